"""Possible duplicates: same category, open, nearby, recent; offered to the centre with a
one-step merge."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.errors import InvalidInput
from cases import services
from cases.models import Case
from cases.selectors import possible_duplicates
from tests.builders import api_client
from tests.factories import centre_of

# ~0.0003° of latitude is about 33 m; 0.001° about 111 m.
HERE = centre_of(0, 0)
S = Case.Status


def at(dy: float) -> Point:
    return Point(HERE.x, HERE.y + dy, srid=4326)


def test_nearby_recent_open_case_of_same_category_is_flagged(case_at, town, grid_worker, centre_operator):
    first = case_at(S.REPORTED)
    second = case_at(S.REPORTED, location=at(0.0003))
    found = possible_duplicates(case=second, user=centre_operator)
    assert [c.pk for c in found] == [first.pk]
    assert 25 < found[0].distance_m < 40


def test_far_old_closed_or_other_category_is_not_flagged(case_at, town, grid_worker, centre_operator):
    long_ago = timezone.now() - dt.timedelta(days=30)
    case_at(S.REPORTED, location=at(0.001))  # ~111 m away
    case_at(S.REPORTED, at=long_ago)  # too old
    case_at(S.REPORTED, category=town.spot_category)  # another category
    rejected = case_at(S.REPORTED)
    services.case_reject(case_id=rejected.pk, actor=centre_operator, reason="无效")
    new = case_at(S.REPORTED)
    assert possible_duplicates(case=new, user=centre_operator) == []


def test_candidates_are_limited_to_what_the_user_may_see(case_at, town, grid_worker, centre_operator, outsider):
    case_at(S.REPORTED)
    second = case_at(S.REPORTED, location=at(0.0001))
    assert possible_duplicates(case=second, user=outsider) == []


def test_api_lists_candidates_and_the_page_merges_in_one_step(case_at, town, grid_worker, centre_operator):
    first = case_at(S.REPORTED)
    second = case_at(S.REPORTED, location=at(0.0002))
    api = api_client(centre_operator, language=None)
    listed = api.get(f"/api/cases/{second.pk}/").json()["possible_duplicates"]
    assert [d["id"] for d in listed] == [first.pk]
    from django.test import Client

    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(centre_operator)
    page = web.get(reverse("case-detail", args=[second.pk])).text
    assert "Possible duplicates" in page and f"Merge into {first.number}" in page
    merged = web.post(reverse("case-action", args=[second.pk, "reject"]),
                      {"kind": "duplicate", "duplicate_of": first.pk, "reason": f"Duplicate of {first.number}"})
    assert merged.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.duplicate_of_id) == (Case.Status.REJECTED, first.pk)


def test_a_case_outside_the_operators_scope_cannot_be_the_original(town, grid_worker, outsider, centre_operator,
                                                                   case_at):
    """The other community's case exists, but this centre cannot see it: merging into it is
    refused exactly like naming a case that does not exist, and nothing changes."""
    theirs = services.case_report(actor=outsider, category=town.category, location=centre_of(0, 0, origin=(120.32, 31.57)),
                                  description="别处的摊位")
    ours = case_at(S.REPORTED)
    for target in (theirs.pk, 99_999_999):
        try:
            services.case_reject(case_id=ours.pk, actor=centre_operator, reason="重复", kind="duplicate",
                                 duplicate_of=target)
        except InvalidInput as refused:
            assert refused.extra["field"] == "duplicate_of"
        else:
            raise AssertionError("merged into a case the operator cannot see")
    ours.refresh_from_db()
    assert ours.status == Case.Status.REPORTED and ours.duplicate_of is None
    # The web form says so in place (400), with the number the operator typed.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(centre_operator)
    response = client.post(reverse("case-action", args=[ours.pk, "reject"]),
                           {"kind": "duplicate", "duplicate_of": theirs.number, "reason": "重复"})
    assert response.status_code == 400
    assert "No case with this number." in response.text
    # ...exactly as for a number nobody holds (the form used to tell the two apart).
    missing = client.post(reverse("case-action", args=[ours.pk, "reject"]),
                          {"kind": "duplicate", "duplicate_of": "99999999999999999999", "reason": "重复"})
    assert missing.status_code == 400
    assert _form_errors(missing.text) == _form_errors(response.text)


def _form_errors(html: str) -> list[str]:
    import re

    return re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, flags=re.S)
