"""The workflow branches on the case page: each panel appears only when it can succeed,
and each POST goes through its service with errors shown in place."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, ExtensionRequest
from tests.builders import advance, api_client

pytestmark = pytest.mark.usefixtures("media_in_tmp")

A = CaseEvent.Action


def buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', html))


def url(case: Case, action: str) -> str:
    return reverse("case-action", args=[case.pk, action])


def test_centre_escalates_from_the_case_page(login, file_case, town, centre_operator, street_operator) -> None:
    case = file_case()
    community = login(centre_operator)
    assert A.ESCALATE in buttons(community.get(reverse("case-detail", args=[case.pk])).text)
    response = community.post(url(case, A.ESCALATE), {"note": "需街道协调"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.centre == town.street
    # The community can still read it but has no buttons left; the street has them.
    assert buttons(community.get(reverse("case-detail", args=[case.pk])).text) == set()
    assert A.ACCEPT in buttons(login(street_operator).get(reverse("case-detail", args=[case.pk])).text)


def test_reject_as_duplicate_needs_the_other_case(login, file_case, centre_operator) -> None:
    original, case = file_case(), file_case()
    centre = login(centre_operator)
    missing = centre.post(url(case, A.REJECT), {"kind": "duplicate", "reason": "重复"})
    assert missing.status_code == 400
    assert "Name the case this one duplicates." in missing.text
    assert "重复" in missing.text  # what was typed is kept
    done = centre.post(url(case, A.REJECT), {"kind": "duplicate", "duplicate_of": original.pk, "reason": "重复"})
    assert done.status_code == 302
    page = centre.get(reverse("case-detail", args=[case.pk])).text
    assert original.number in page and "Duplicate of another case" in page


def test_extension_panels_follow_the_pending_request(login, file_case, town, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.IN_PROGRESS, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    dept, centre = login(dept_officer), login(centre_operator)
    detail = reverse("case-detail", args=[case.pk])
    assert A.APPROVE_EXTENSION not in buttons(centre.get(detail).text)  # nothing to decide yet
    assert dept.post(url(case, A.REQUEST_EXTENSION), {"days": 30, "reason": "x"}).status_code == 400
    assert dept.post(url(case, A.REQUEST_EXTENSION), {"days": 2, "reason": "需协调业主"}).status_code == 302
    assert A.REQUEST_EXTENSION not in buttons(dept.get(detail).text)
    page = centre.get(detail).text
    assert {A.APPROVE_EXTENSION, A.DENY_EXTENSION} <= buttons(page) and "需协调业主" in page
    assert centre.post(url(case, A.DENY_EXTENSION), {"note": ""}).status_code == 400
    assert "Also give back the working time the request waited" in page
    before = Case.objects.get(pk=case.pk).handle_deadline
    assert centre.post(url(case, A.APPROVE_EXTENSION), {"note": "", "pause_clock": "on"}).status_code == 302
    assert ExtensionRequest.objects.get(case=case).status == ExtensionRequest.Status.APPROVED
    assert Case.objects.get(pk=case.pk).handle_deadline > before


def test_reporter_evaluates_then_centre_reopens(login, file_case, town, grid_worker, centre_operator,
                                                dept_officer) -> None:
    case = advance(file_case(), Case.Status.CLOSED, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    worker, centre = login(grid_worker), login(centre_operator)
    detail = reverse("case-detail", args=[case.pk])
    assert A.EVALUATE in buttons(worker.get(detail).text)
    assert worker.post(url(case, A.EVALUATE), {"satisfaction": "4", "comment": "及时"}).status_code == 302
    assert A.EVALUATE not in buttons(worker.get(detail).text)
    assert A.EVALUATE not in buttons(centre.get(detail).text)
    assert centre.post(url(case, A.REOPEN), {"reason": ""}).status_code == 400
    assert centre.post(url(case, A.REOPEN), {"reason": "问题复发"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.satisfaction) == (Case.Status.ACCEPTED, 4)


def test_centre_reassigns_from_the_case_page_and_api(login, file_case, town, centre_operator, dept_officer) -> None:

    case = advance(file_case(), Case.Status.DISPATCHED, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    centre = login(centre_operator)
    assert A.REASSIGN in buttons(centre.get(reverse("case-detail", args=[case.pk])).text)
    assert centre.post(url(case, A.REASSIGN), {"unit": town.other_unit.pk, "reason": ""}).status_code == 400
    assert centre.post(url(case, A.REASSIGN), {"unit": town.other_unit.pk, "reason": "改派"}).status_code == 302
    case.refresh_from_db()
    assert case.unit == town.other_unit
    api = api_client(centre_operator)
    back = api.post(f"/api/cases/{case.pk}/reassign/", {"unit": town.unit.pk, "reason": "改回"})
    assert back.status_code == 200 and back.json()["unit"] == town.unit.pk
