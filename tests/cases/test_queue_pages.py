"""The centre queue's filters and counts, the unit workbench's tabs, and the quick actions
in their rows (cases.queue_views)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case
from cases.worktime import add_working_hours
from grids.models import GridAssignment
from tests.builders import advance
from tests.factories import CategoryFactory, centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")

S = Case.Status
NEAR = Point(centre_of(0, 0).x, centre_of(0, 0).y + 0.0002, srid=4326)  # ~22 m from cell 1's centre


def listed(html: str) -> list[str]:
    return re.findall(r'<tr class="queue-row[^"]*" data-case="([^"]+)"', html)


def count_of(html: str, name: str, value: str) -> int:
    """The count shown beside one choice of a filter."""
    match = re.search(
        rf'name="{name}" value="{value}"[^>]*> <span>[^<]*</span> <span class="facet-count">(\d+)</span>', html
    )
    assert match, (name, value)
    return int(match.group(1))


@pytest.fixture
def queue(town, grid_worker, centre_operator, street_operator, dept_officer, file_case):
    """One case in each state of the centre's queue, plus cases that are not in it."""
    people = {"town": town, "centre_operator": centre_operator, "dept_officer": dept_officer}
    # Grid workers file only in their own cells: this one patrols the whole community here.
    for cell in town.cells[2:4]:
        GridAssignment.objects.create(worker=grid_worker, cell=cell)
    reported = file_case()
    other_cell = file_case(location=centre_of(1, 0))
    accepted = advance(file_case(location=centre_of(0, 1)), S.ACCEPTED, **people)
    returned = advance(file_case(location=centre_of(1, 1)), S.IN_PROGRESS, **people)
    services.case_return(case_id=returned.pk, actor=dept_officer, reason="不归我们管")
    handled = advance(file_case(location=centre_of(1, 1)), S.HANDLED, **people)
    long_ago = timezone.now() - dt.timedelta(days=40)
    overdue_ext = advance(file_case(location=centre_of(1, 1), at=long_ago), S.IN_PROGRESS, extension=(2, "等配件"),
                          times=dict.fromkeys((S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS), long_ago), **people)
    near_ext = advance(file_case(location=centre_of(1, 1)), S.IN_PROGRESS, extension=(2, "等配件"), **people)
    # Tests arrange a deadline an hour of work away; the services only ever set it from the limits.
    Case.objects.filter(pk=near_ext.pk).update(handle_deadline=add_working_hours(timezone.now(), 1))
    not_waiting = advance(file_case(location=centre_of(1, 1)), S.IN_PROGRESS, **people)
    # Another top-level category.
    safety = CategoryFactory(code="05", name="安全隐患", parent=None, default_department=None)
    fire = CategoryFactory(code="0501", name="消防通道堵塞", parent=safety, default_department=town.department)
    fire_case = file_case(category=fire, location=centre_of(0, 1))
    # Escalated from the community to the street: the street's, no longer the community's.
    escalated = file_case(location=centre_of(1, 0))
    services.case_escalate(case_id=escalated.pk, actor=centre_operator, note="需街道协调")
    return {
        "reported": reported, "other_cell": other_cell, "accepted": accepted, "returned": returned,
        "handled": handled, "overdue_ext": overdue_ext, "near_ext": near_ext, "not_waiting": not_waiting,
        "fire": fire_case, "safety": safety, "escalated": escalated,
    }


def numbers(*cases: Case) -> set[str]:
    return {c.number for c in cases}


def test_queue_lists_what_waits_for_the_centre(login, queue, centre_operator):
    html = login(centre_operator).get(reverse("centre-queue")).text
    q = queue
    assert set(listed(html)) == numbers(q["reported"], q["other_cell"], q["accepted"], q["returned"], q["handled"],
                                        q["overdue_ext"], q["near_ext"], q["fire"])
    assert q["not_waiting"].number not in html and q["escalated"].number not in html


@pytest.mark.parametrize(("state", "keys"), [
    ("reported", ["reported", "other_cell", "fire"]),
    ("accepted", ["accepted"]),
    ("returned", ["returned"]),
    ("handled", ["handled"]),
    ("extension", ["overdue_ext", "near_ext"]),
])
def test_state_filter_narrows_and_its_count_matches(login, queue, centre_operator, state, keys):
    client = login(centre_operator)
    html = client.get(reverse("centre-queue"), {"state": state}).text
    assert set(listed(html)) == numbers(*(queue[k] for k in keys))
    # The count beside the choice, on the unfiltered page, is what the filter gives.
    assert count_of(client.get(reverse("centre-queue")).text, "state", state) == len(keys)


def test_category_filter_is_by_top_level(login, queue, centre_operator, town):
    client = login(centre_operator)
    html = client.get(reverse("centre-queue"), {"category": queue["safety"].pk}).text
    assert listed(html) == [queue["fire"].number]
    html = client.get(reverse("centre-queue"), {"category": town.category.parent_id}).text
    assert len(listed(html)) == 7
    assert re.search(rf'<option value="{queue["safety"].pk}"[^>]*>安全隐患 \(1\)</option>', html)
    assert re.search(rf'<option value="{town.category.parent_id}"[^>]*>市容环境 \(7\)</option>', html)


def test_cell_filter_takes_a_code_prefix_or_a_name(login, queue, centre_operator, town):
    client = login(centre_operator)
    by_code = listed(client.get(reverse("centre-queue"), {"cell": town.cells[1].code}).text)
    assert by_code == [queue["other_cell"].number]
    by_name = listed(client.get(reverse("centre-queue"), {"cell": town.cells[1].name}).text)
    assert by_name == by_code
    assert len(listed(client.get(reverse("centre-queue"), {"cell": town.community.code}).text)) == 8


def test_deadline_filter_and_highlight(login, queue, centre_operator):
    client = login(centre_operator)
    html = client.get(reverse("centre-queue"), {"deadline": "overdue"}).text
    assert listed(html) == [queue["overdue_ext"].number]
    assert 'class="queue-row row-overdue"' in html and "Overdue by" in html
    html = client.get(reverse("centre-queue"), {"deadline": "near"}).text
    assert listed(html) == [queue["near_ext"].number]
    assert 'class="queue-row row-near"' in html and "Near deadline" in html
    assert listed(client.get(reverse("centre-queue"), {"deadline": "on_time"}).text) == []
    page = client.get(reverse("centre-queue")).text
    assert (count_of(page, "deadline", "overdue"), count_of(page, "deadline", "near"),
            count_of(page, "deadline", "none")) == (1, 1, 6)


def test_counts_of_one_filter_keep_the_others(login, queue, centre_operator):
    html = login(centre_operator).get(reverse("centre-queue"), {"state": "reported"}).text
    assert count_of(html, "deadline", "none") == 3  # the new reports have no clock
    assert count_of(html, "deadline", "overdue") == 0
    assert count_of(html, "state", "extension") == 2  # a state's count ignores the state chosen


def test_level_filter_tells_own_escalated_and_below(login, queue, street_operator, centre_operator):
    street = login(street_operator)
    html = street.get(reverse("centre-queue"), {"level": "escalated"}).text
    assert listed(html) == [queue["escalated"].number]
    html = street.get(reverse("centre-queue"), {"level": "below"}).text
    assert len(listed(html)) == 8
    assert count_of(html, "level", "own") == 0
    community = login(centre_operator).get(reverse("centre-queue"), {"level": "own"}).text
    assert len(listed(community)) == 8


@pytest.mark.parametrize("query", [
    {"state": "bogus"}, {"category": "abc"}, {"category": "999999"}, {"deadline": "yesterday"},
    {"level": "<script>"}, {"page": "x"}, {"page": "-3"}, {"cell": "x" * 500},
])
def test_bad_filter_values_are_ignored_with_a_message(login, queue, centre_operator, query):
    response = login(centre_operator).get(reverse("centre-queue"), query)
    assert response.status_code == 200
    if "page" not in query:
        assert "not understood and are ignored" in response.text
    assert len(listed(response.text)) == 8


def test_pager_keeps_the_filters(login, queue, centre_operator, settings, monkeypatch):
    monkeypatch.setattr("cases.views.PAGE_SIZE", 2)
    html = login(centre_operator).get(reverse("centre-queue"), {"state": "reported", "level": "own"}).text
    assert len(listed(html)) == 2
    assert "?state=reported&amp;level=own&amp;page=2" in html


def test_new_report_shows_its_duplicate_and_merges_from_the_queue(login, queue, centre_operator, file_case):
    twin = file_case(location=NEAR)
    client = login(centre_operator)
    html = client.get(reverse("centre-queue"), {"state": "reported"}).text
    assert f"Merge into {queue['reported'].number}" in html
    response = client.post(reverse("case-action", args=[twin.pk, "reject"]), {
        "kind": "duplicate", "duplicate_of": queue["reported"].pk, "reason": "重复",
        "next": reverse("centre-queue") + "?state=reported",
    })
    assert response.status_code == 302 and response["Location"] == reverse("centre-queue") + "?state=reported"
    twin.refresh_from_db()
    assert twin.status == S.REJECTED and twin.duplicate_of_id == queue["reported"].pk


def test_quick_accept_comes_back_to_the_queue_but_never_off_site(login, queue, centre_operator):
    client = login(centre_operator)
    response = client.post(reverse("case-action", args=[queue["reported"].pk, "accept"]),
                           {"next": "https://evil.example/"})
    assert response["Location"] == reverse("case-detail", args=[queue["reported"].pk])
    response = client.post(reverse("case-action", args=[queue["other_cell"].pk, "accept"]),
                           {"next": "/centre/queue/?state=reported"})
    assert response["Location"] == "/centre/queue/?state=reported"


def test_queue_queries_do_not_grow_with_rows(login, queue, centre_operator, file_case):
    client = login(centre_operator)
    client.get(reverse("centre-queue"))  # the session and its caches are warm from here on
    with CaptureQueriesContext(connection) as few:
        assert len(listed(client.get(reverse("centre-queue")).text)) == 8
    for i in range(6):
        file_case(location=Point(NEAR.x + i * 0.00005, NEAR.y, srid=4326))
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("centre-queue")).text
    assert len(listed(html)) == 14 and html.count('data-action="merge"') >= 6
    assert len(many) == len(few) <= 14


# --- the unit workbench -------------------------------------------------------------


@pytest.fixture
def bench(town, centre_operator, dept_officer, file_case):
    people = {"town": town, "centre_operator": centre_operator, "dept_officer": dept_officer}
    to_sign = advance(file_case(), S.DISPATCHED, **people)
    working = advance(file_case(), S.IN_PROGRESS, **people)
    returned = advance(file_case(), S.DISPATCHED, **people)
    services.case_return(case_id=returned.pk, actor=dept_officer, reason="不归我们管")
    long_ago = timezone.now() - dt.timedelta(days=40)
    late = advance(file_case(at=long_ago), S.DISPATCHED, times=dict.fromkeys((S.ACCEPTED, S.DISPATCHED), long_ago),
                   **people)
    co = advance(file_case(), S.DISPATCHED, unit=town.other_unit, co_handlers=[town.unit], **people)
    return {"to_sign": to_sign, "working": working, "returned": returned, "late": late, "co": co}


@pytest.mark.parametrize(("tab", "keys"), [
    ("to_sign", ["to_sign", "late"]),
    ("in_progress", ["working"]),
    ("returned", ["returned"]),
    ("overdue", ["late"]),
    ("co_handling", ["co"]),
])
def test_workbench_tabs_and_counts(login, bench, dept_officer, tab, keys):
    client = login(dept_officer)
    html = client.get(reverse("unit-queue"), {"tab": tab}).text
    assert set(listed(html)) == {bench[k].number for k in keys}
    match = re.search(rf'href="\?tab={tab}"[^>]*>[^<]*<span class="facet-count">(\d+)</span>', html)
    assert match and int(match.group(1)) == len(keys)


def test_returned_tab_says_why(login, bench, dept_officer):
    html = login(dept_officer).get(reverse("unit-queue"), {"tab": "returned"}).text
    assert "不归我们管" in html


def test_workbench_default_tab_and_bad_tab(login, bench, dept_officer):
    client = login(dept_officer)
    assert 'href="?tab=to_sign" aria-current="page"' in client.get(reverse("unit-queue")).text
    response = client.get(reverse("unit-queue"), {"tab": "nonsense"})
    assert response.status_code == 200 and "Unknown tab" in response.text
    assert set(listed(response.text)) == {bench["to_sign"].number, bench["late"].number}


def test_workbench_sign_for_in_one_click(login, bench, dept_officer):
    client = login(dept_officer)
    response = client.post(reverse("case-action", args=[bench["to_sign"].pk, "sign_for"]),
                           {"next": "/unit/queue/?tab=to_sign"})
    assert response["Location"] == "/unit/queue/?tab=to_sign"
    bench["to_sign"].refresh_from_db()
    assert bench["to_sign"].status == S.IN_PROGRESS


def test_other_units_workbench_is_empty(login, bench, town):
    from access.models import RoleAssignment
    from tests.factories import UserFactory

    hb = UserFactory(username="dept_hb_only")
    RoleAssignment.objects.create(user=hb, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    html = login(hb).get(reverse("unit-queue"), {"tab": "to_sign"}).text
    assert listed(html) == [bench["co"].number]  # the other unit leads that one


@pytest.mark.parametrize("tab", ["to_sign", "returned"])
def test_workbench_queries_do_not_grow_with_rows(login, bench, dept_officer, town, centre_operator, file_case, tab):
    client = login(dept_officer)
    client.get(reverse("unit-queue"), {"tab": tab})
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("unit-queue"), {"tab": tab})
    people = {"town": town, "centre_operator": centre_operator, "dept_officer": dept_officer}
    for _ in range(4):
        case = advance(file_case(), S.DISPATCHED, **people)
        if tab == "returned":
            services.case_return(case_id=case.pk, actor=dept_officer, reason="不归我们管")
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("unit-queue"), {"tab": tab}).text
    assert len(listed(html)) >= 5
    assert len(many) == len(few) <= 8


# --- the case page --------------------------------------------------------------------


def test_case_page_says_who_acts_next_and_the_time_left(login, bench, dept_officer, centre_operator):
    html = login(dept_officer).get(reverse("case-detail", args=[bench["to_sign"].pk])).text
    assert "Next: 梁溪区城管局 signs for it" in html and "working hours left" in html
    html = login(centre_operator).get(reverse("case-detail", args=[bench["late"].pk])).text
    assert "Overdue by" in html and "progress-overdue" in html


def test_dispatch_panel_shows_the_proposal_the_return_and_co_handler_boxes(login, bench, centre_operator, town):
    html = login(centre_operator).get(reverse("case-detail", args=[bench["returned"].pk])).text
    assert "Returned by 梁溪区城管局: 不归我们管" in html
    assert "Proposed: 梁溪区城管局" in html
    assert f'type="checkbox" name="co_handlers" value="{town.other_unit.pk}"' in html
    assert "<legend>Co-handling units</legend>" in html


def test_extension_panel_shows_the_request(login, bench, centre_operator, dept_officer):
    services.case_request_extension(case_id=bench["working"].pk, actor=dept_officer, days=3, reason="等配件到货")
    html = login(centre_operator).get(reverse("case-detail", args=[bench["working"].pk])).text
    assert "梁溪区城管局 asks for 3 more working days: 等配件到货" in html
    assert "decides on 梁溪区城管局&#x27;s extension request" in html


def test_reject_as_duplicate_takes_the_case_number(login, queue, centre_operator, file_case):
    twin = file_case(location=NEAR)
    client = login(centre_operator)
    url = reverse("case-action", args=[twin.pk, "reject"])
    # A case number is 20 digits: more than a database id holds. A clear form error, not a 500.
    response = client.post(url, {"kind": "duplicate", "duplicate_of": "99999999999999999999", "reason": "重复"})
    assert response.status_code == 400 and "No case with this number" in response.text
    response = client.post(url, {"kind": "duplicate", "duplicate_of": queue["reported"].number, "reason": "重复"})
    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.duplicate_of_id == queue["reported"].pk


def test_a_fresh_dispatch_is_not_near_its_sign_for_deadline_until_the_last_hour(
    login, town, centre_operator, dept_officer, file_case, settings
):
    """The sign-for limit is itself a few working hours (4 here): it has its own 'near'
    (NEAR_SIGN_FOR_WORKING_HOURS), so a case just dispatched is not amber at once."""
    settings.NEAR_DEADLINE_WORKING_HOURS = 4
    settings.NEAR_SIGN_FOR_WORKING_HOURS = 1
    case = advance(file_case(), S.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=dept_officer)
    client = login(dept_officer)

    def state_on_the_workbench() -> str:
        row = re.search(rf'{case.number}.*?class="time-left ([a-z-]+)"', client.get(reverse("unit-queue")).text, re.S)
        assert row is not None
        return row.group(1)

    # Seen from 4 and from 0.5 working hours before the sign-for deadline.
    Case.objects.filter(pk=case.pk).update(sign_deadline=add_working_hours(timezone.now(), 4))
    assert state_on_the_workbench() == "on-time"
    Case.objects.filter(pk=case.pk).update(sign_deadline=add_working_hours(timezone.now(), 0.5))
    assert state_on_the_workbench() == "near"
    assert "Near deadline" in client.get(reverse("case-detail", args=[case.pk])).text
