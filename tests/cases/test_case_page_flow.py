"""The case page and its actions through HTTP: the whole thin flow, the branches, and
every refusal with its status (409 transition, 403 role, 404 not yours, 400 input)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent
from tests.builders import advance
from tests.cases.photos import fake_jpeg, jpeg
from tests.factories import centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")

A = CaseEvent.Action


def action_url(case: Case, action: str) -> str:
    return reverse("case-action", args=[case.pk, action])


def buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', html))


def test_whole_thin_flow_through_the_web(login, town, grid_worker, centre_operator, dept_officer) -> None:
    worker, centre, dept = login(grid_worker), login(centre_operator), login(dept_officer)

    # Grid worker files a report from the form.
    point = centre_of(0, 0)
    response = worker.post(reverse("case-report"), {
        "category": town.category.pk, "description": "占道经营", "lon": point.x, "lat": point.y,
        "coord_system": "wgs84", "client_key": str(uuid.uuid4()), "photo": jpeg(),
    })
    case = Case.objects.get()
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    assert case.number in worker.get(response["Location"]).text

    # Centre: the queue lists it; the page offers accept and reject; accept.
    assert case.number in centre.get(reverse("centre-queue")).text
    page = centre.get(reverse("case-detail", args=[case.pk])).text
    assert buttons(page) == {A.ACCEPT, A.REJECT, A.ESCALATE}
    assert centre.post(action_url(case, A.ACCEPT), {"note": "属实"}).status_code == 302

    # Dispatch: the category's default unit is preselected.
    page = centre.get(reverse("case-detail", args=[case.pk])).text
    assert buttons(page) == {A.DISPATCH, A.ESCALATE}
    assert f'<option value="{town.unit.pk}" selected>' in page
    assert centre.post(action_url(case, A.DISPATCH), {"unit": town.unit.pk, "note": ""}).status_code == 302

    # Department: the unit queue lists it; sign for, then report handled with a photo.
    assert case.number in dept.get(reverse("unit-queue")).text
    assert buttons(dept.get(reverse("case-detail", args=[case.pk])).text) == {A.SIGN_FOR, A.RETURN, A.REQUEST_EXTENSION}
    assert dept.post(action_url(case, A.SIGN_FOR)).status_code == 302
    assert buttons(dept.get(reverse("case-detail", args=[case.pk])).text) == {A.REPORT_HANDLED, A.RETURN, A.REQUEST_EXTENSION}
    response = dept.post(action_url(case, A.REPORT_HANDLED), {"result": "摊位已清理", "photo": jpeg("after.jpg")})
    assert response.status_code == 302

    # Centre verifies: pass closes it.
    page = centre.get(reverse("case-detail", args=[case.pk])).text
    assert buttons(page) == {A.VERIFY_PASS, A.VERIFY_FAIL}
    assert centre.post(action_url(case, A.VERIFY_PASS), {"note": ""}).status_code == 302

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert list(case.events.values_list("action", flat=True)) == [
        A.REPORT, A.ACCEPT, A.DISPATCH, A.SIGN_FOR, A.REPORT_HANDLED, A.VERIFY_PASS,
    ]
    page = worker.get(reverse("case-detail", args=[case.pk])).text
    assert buttons(page) == {A.EVALUATE}  # the reporter may rate the closed case
    # The timeline shows every step with actor and role; both photos are on the page.
    for text in ("Accept", "Dispatch", "Sign for", "Report handled", "Verify: pass", "centre_community",
                 "Department staff", "摊位已清理", "Handled → Closed"):
        assert text in page, text
    assert page.count(f"/cases/{case.pk}/photos/") == 4  # two photos, each linked and shown


def test_case_page_shows_map_data_and_deadlines(login, file_case, town, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.DISPATCHED, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    html = login(centre_operator).get(reverse("case-detail", args=[case.pk])).text
    assert 'id="case-map-data"' in html and '"point": [' in html and '"MultiPolygon"' in html
    assert "Sign for by" in html and "Handle by" in html
    assert town.unit.name in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_case_page_writes_every_time_one_way(login, file_case, town, centre_operator, dept_officer, language) -> None:
    """Deadlines, report, timeline: each `<time>` reads 2026-11-30 17:00 in both languages
    (it mixed "11/30/2026 5 p.m." with that before)."""
    case = advance(file_case(), Case.Status.DISPATCHED, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    html = login(centre_operator, language).get(reverse("case-detail", args=[case.pk])).text
    times = re.findall(r'<time datetime="[^"]+">([^<]*)</time>', html)
    assert len(times) >= 5  # two deadlines (and their summary), the report, the timeline's rows
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text) for text in times), times


def test_success_message_after_action(login, file_case, centre_operator) -> None:
    case = file_case()
    response = login(centre_operator).post(action_url(case, A.ACCEPT), {"note": ""}, follow=True)
    assert "Accepted." in response.text


def test_illegal_transition_is_409_with_message(login, file_case, centre_operator) -> None:
    case = file_case()
    client = login(centre_operator)
    client.post(action_url(case, A.ACCEPT), {"note": ""})
    response = client.post(action_url(case, A.ACCEPT), {"note": "again"})
    assert response.status_code == 409
    assert "“Accept” is not possible: the case is Accepted." in response.text
    assert 'role="alert"' in response.text
    assert case.events.count() == 2


def test_verify_on_reported_case_is_409(login, file_case, centre_operator) -> None:
    case = file_case()
    response = login(centre_operator).post(action_url(case, A.VERIFY_PASS), {"note": ""})
    assert response.status_code == 409


def test_wrong_role_is_403(login, file_case, grid_worker, dept_officer, town, centre_operator) -> None:
    case = file_case()
    response = login(grid_worker).post(action_url(case, A.ACCEPT), {"note": ""})
    assert response.status_code == 403
    assert "You may not take the action “Accept” on this case." in response.text
    case = advance(case, Case.Status.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=dept_officer)
    # The grid worker can see the dispatched case (own cell) but may not sign for it.
    assert login(grid_worker).post(action_url(case, A.SIGN_FOR)).status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.DISPATCHED


def test_supervisor_sees_no_buttons_and_may_not_act(login, file_case, supervisor) -> None:
    case = file_case()
    client = login(supervisor)
    assert buttons(client.get(reverse("case-detail", args=[case.pk])).text) == set()
    assert client.post(action_url(case, A.ACCEPT), {"note": ""}).status_code == 403


def test_outsider_gets_404_for_page_action_and_photo(login, file_case, outsider) -> None:
    case = file_case(photos=[jpeg()])
    photo = case.attachments.get()
    client = login(outsider)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 404
    assert client.post(action_url(case, A.ACCEPT), {"note": ""}).status_code == 404
    assert client.get(reverse("case-photo", args=[case.pk, photo.pk])).status_code == 404
    assert client.get(reverse("case-detail", args=[999999])).status_code == 404


def test_dept_of_other_unit_cannot_see_case(login, file_case, town) -> None:
    from access.models import RoleAssignment
    from tests.factories import UserFactory

    other = UserFactory(username="dept_hb")
    RoleAssignment.objects.create(user=other, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    case = file_case()
    assert login(other).get(reverse("case-detail", args=[case.pk])).status_code == 404


def test_photo_is_served_to_those_who_may_see_the_case(login, file_case, grid_worker) -> None:
    case = file_case(photos=[jpeg()])
    photo = case.attachments.get()
    response = login(grid_worker).get(reverse("case-photo", args=[case.pk, photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert "private" in response["Cache-Control"]


def test_unknown_action_is_404_and_get_is_405(login, file_case, centre_operator) -> None:
    case = file_case()
    client = login(centre_operator)
    assert client.post(action_url(case, "delete"), {}).status_code == 404
    assert client.get(action_url(case, A.ACCEPT)).status_code == 405


def test_anonymous_action_is_sent_to_login(client, file_case) -> None:
    case = file_case()
    response = client.post(action_url(case, A.ACCEPT), {"note": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert case.events.count() == 1


def test_reject_needs_a_reason(login, file_case, centre_operator) -> None:
    case = file_case()
    client = login(centre_operator)
    response = client.post(action_url(case, A.REJECT), {"reason": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.text
    # The reject panel is open again (not folded) so the error is visible.
    assert '<div class="panel panel-reject">' in response.text
    assert client.post(action_url(case, A.REJECT), {"reason": "重复上报"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.REJECTED


def test_dispatch_needs_a_unit_of_the_district(login, file_case, centre_operator) -> None:
    case = file_case()
    client = login(centre_operator)
    client.post(action_url(case, A.ACCEPT), {"note": ""})
    response = client.post(action_url(case, A.DISPATCH), {"unit": "", "note": "急"})
    assert response.status_code == 400
    assert "急" in response.text
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED


def test_return_sends_case_back_to_centre(login, file_case, town, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.IN_PROGRESS, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    client = login(dept_officer)
    assert client.post(action_url(case, A.RETURN), {"reason": ""}).status_code == 400
    assert client.post(action_url(case, A.RETURN), {"reason": "不属于本单位"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED and case.unit is None
    assert case.number not in client.get(reverse("unit-queue")).text


def test_report_handled_needs_result_and_a_real_photo(login, file_case, town, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.IN_PROGRESS, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    client = login(dept_officer)
    response = client.post(action_url(case, A.REPORT_HANDLED), {"result": "已处理", "photo": fake_jpeg()})
    assert response.status_code == 400
    assert "notes.jpg is not an image." in response.text
    assert "已处理" in response.text
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS and case.attachments.count() == 0


def test_report_handled_takes_several_photos_up_to_nine(login, file_case, town, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.IN_PROGRESS, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    client = login(dept_officer)
    ten = [jpeg(f"after-{i}.jpg") for i in range(10)]
    response = client.post(action_url(case, A.REPORT_HANDLED), {"result": "已处理", "photo": ten})
    assert response.status_code == 400
    assert "At most 9 photos; you chose 10." in response.text
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS and case.attachments.count() == 0

    three = [jpeg(f"after-{i}.jpg") for i in range(3)]
    assert client.post(action_url(case, A.REPORT_HANDLED), {"result": "已处理", "photo": three}).status_code == 302
    handled = case.events.get(action=A.REPORT_HANDLED)
    assert handled.attachments.count() == 3


def test_verify_fail_needs_a_note_then_sends_back(login, file_case, town, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.HANDLED, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    client = login(centre_operator)
    assert client.post(action_url(case, A.VERIFY_FAIL), {"note": ""}).status_code == 400
    assert client.post(action_url(case, A.VERIFY_FAIL), {"note": "摊位还在"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS


def test_grid_worker_may_verify_on_site(login, file_case, town, grid_worker, centre_operator, dept_officer) -> None:
    case = advance(file_case(), Case.Status.HANDLED, town=town, centre_operator=centre_operator,
                   dept_officer=dept_officer)
    client = login(grid_worker)
    assert buttons(client.get(reverse("case-detail", args=[case.pk])).text) == {A.VERIFY_PASS, A.VERIFY_FAIL}
    assert client.post(action_url(case, A.VERIFY_PASS), {"note": "现场已核实"}).status_code == 302


class TestResolveOnTheSpot:
    def test_offered_only_for_self_resolvable_categories(self, login, town, grid_worker, file_case) -> None:
        client = login(grid_worker)
        plain = file_case()
        spot = file_case(category=town.spot_category)
        assert A.RESOLVE_ON_SPOT not in buttons(client.get(reverse("case-detail", args=[plain.pk])).text)
        page = client.get(reverse("case-detail", args=[spot.pk])).text
        assert buttons(page) == {A.RESOLVE_ON_SPOT}
        assert 'enctype="multipart/form-data"' in page

    def test_needs_a_photo(self, login, town, grid_worker, file_case) -> None:
        spot = file_case(category=town.spot_category)
        response = login(grid_worker).post(action_url(spot, A.RESOLVE_ON_SPOT), {"note": "已清理"})
        assert response.status_code == 400
        assert "已清理" in response.text
        spot.refresh_from_db()
        assert spot.status == Case.Status.REPORTED

    def test_closes_the_case(self, login, town, grid_worker, file_case) -> None:
        spot = file_case(category=town.spot_category)
        response = login(grid_worker).post(action_url(spot, A.RESOLVE_ON_SPOT), {"note": "已清理", "photo": jpeg()})
        assert response.status_code == 302
        spot.refresh_from_db()
        assert spot.status == Case.Status.CLOSED and spot.self_resolved

    def test_plain_category_is_refused_by_the_service(self, login, grid_worker, file_case) -> None:
        case = file_case()
        response = login(grid_worker).post(action_url(case, A.RESOLVE_ON_SPOT), {"note": "", "photo": jpeg()})
        assert response.status_code == 400
        assert "cannot be resolved on the spot" in response.text


@pytest.mark.parametrize(("persona", "name"), [
    ("grid_worker", "centre-queue"), ("dept_officer", "centre-queue"),
    ("grid_worker", "unit-queue"), ("centre_operator", "unit-queue"),
    ("grid_worker", "supervisor-map"), ("centre_operator", "supervisor-counts"),
])
def test_role_pages_are_403_for_other_roles(request, login, persona: str, name: str) -> None:
    response = login(request.getfixturevalue(persona)).get(reverse(name))
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_queues_are_a_bounded_number_of_queries(
    login, file_case, town, centre_operator, dept_officer, django_assert_max_num_queries
) -> None:
    cases = [file_case() for _ in range(6)]
    for case in cases[:3]:
        advance(case, Case.Status.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=dept_officer)
    centre, dept = login(centre_operator), login(dept_officer)
    # The centre's adds one grouped count per filter, its top categories and one
    # duplicate look-up for the whole page (tests/cases/test_queue_pages.py).
    with django_assert_max_num_queries(12):
        html = centre.get(reverse("centre-queue")).text
    assert html.count('<tr class="queue-row') == 3
    with django_assert_max_num_queries(8):
        html = dept.get(reverse("unit-queue")).text
    assert html.count('<tr class="queue-row') == 3


def test_street_operator_sees_community_cases_in_queue(login, file_case, street_operator) -> None:
    case = file_case()
    assert case.number in login(street_operator).get(reverse("centre-queue")).text


def test_outsider_reports_do_not_show_in_other_queue(login, town, outsider, centre_operator) -> None:
    other = services.case_report(actor=outsider, category=town.category, location=centre_of(2, 0), description="x")
    assert other.number not in login(centre_operator).get(reverse("centre-queue")).text
