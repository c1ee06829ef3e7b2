"""The shared builders themselves (tests.builders, the case_at, file_case and api_client
fixtures): many tests stand on them, so a builder that quietly built less (a dropped
option, a photo on the wrong event) would make those tests pass for the wrong reason."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token

from cases.models import Case, CaseEvent, ExtensionRequest
from tests.builders import MAIN_PATH, advance
from tests.cases.photos import jpeg
from tests.factories import centre_of

S = Case.Status
A = CaseEvent.Action
BJ = dt.timezone(dt.timedelta(hours=8))

pytestmark = pytest.mark.usefixtures("media_in_tmp")


@pytest.mark.parametrize("status", MAIN_PATH)
def test_case_at_walks_every_step_up_to_the_status(case_at, status):
    case = case_at(status)
    stored = Case.objects.get(pk=case.pk)
    assert case.status == stored.status == status
    steps = [e.to_status for e in stored.events.all()]
    assert steps == list(MAIN_PATH[: MAIN_PATH.index(status) + 1])


def test_case_at_files_as_the_reporter_with_the_reports_fields(case_at, centre_operator, town):
    case = case_at(S.REPORTED, reporter=centre_operator, location=centre_of(1, 0), photos=[jpeg()])
    report = case.events.get()
    assert report.actor == centre_operator and case.grid_cell == town.cells[1]
    assert report.attachments.count() == 1  # the report's own photo, not kept for a later step


def test_advance_goes_on_from_where_the_case_stands(case_at, town, centre_operator, dept_officer):
    accepted = case_at(S.ACCEPTED)
    people = {"town": town, "centre_operator": centre_operator, "dept_officer": dept_officer}
    moved = advance(accepted, S.IN_PROGRESS, **people)
    assert [e.action for e in moved.events.all()] == [A.REPORT, A.ACCEPT, A.DISPATCH, A.SIGN_FOR]
    assert advance(moved, S.IN_PROGRESS, **people) is moved
    with pytest.raises(ValueError, match="past"):
        advance(moved, S.ACCEPTED, **people)


def test_the_options_reach_their_steps(case_at, town):
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BJ)
    case = case_at(S.IN_PROGRESS, unit=town.unit, co_handlers=[town.other_unit], extension=(2, "等待材料"),
                   times={S.REPORTED: monday - dt.timedelta(hours=1), S.DISPATCHED: monday})
    assert [c.unit for c in case.co_handlers.all()] == [town.other_unit]
    assert case.extensions.get().status == ExtensionRequest.Status.PENDING
    times = {e.action: e.created_at for e in case.events.all()}
    assert times[A.REPORT] == monday - dt.timedelta(hours=1) and times[A.DISPATCH] == monday
    assert times[A.SIGN_FOR] > monday  # a step not named happens now

    handled = case_at(S.HANDLED, result="已清理", handled_photos=[jpeg(), jpeg()])
    event = handled.events.get(action=A.REPORT_HANDLED)
    assert event.note == "已清理" and event.attachments.count() == 2
    assert handled.events.get(action=A.REPORT).attachments.count() == 0


def test_case_at_asks_only_for_the_personas_its_steps_need(request, case_at):
    case_at(S.REPORTED)
    assert "centre_operator" not in request.fixturenames and "dept_officer" not in request.fixturenames
    case_at(S.DISPATCHED)
    assert "centre_operator" in request.fixturenames and "dept_officer" not in request.fixturenames


def test_file_case_files_a_reported_case_as_the_actor_given(file_case, grid_worker, centre_operator):
    assert file_case().events.get().actor == grid_worker
    assert file_case(actor=centre_operator, description="井盖缺失").events.get().actor == centre_operator


def test_api_client_signs_in_as_asked(api_client, grid_worker, case_at):
    case = case_at(S.REPORTED)
    assert api_client(None).get("/api/cases/").status_code in (401, 403)
    for client in (api_client(grid_worker), api_client(grid_worker, token=True)):
        assert [c["id"] for c in client.get("/api/cases/").json()["results"]] == [case.pk]
    # The token client goes through the authentication classes: without its token it is refused.
    phone, forced = api_client(grid_worker, token=True), api_client(grid_worker)
    Token.objects.filter(user=grid_worker).delete()
    assert phone.get("/api/cases/").status_code in (401, 403)
    assert forced.get("/api/cases/").status_code == 200
    assert forced.defaults["HTTP_ACCEPT_LANGUAGE"] == "en"
    assert "HTTP_ACCEPT_LANGUAGE" not in api_client(grid_worker, language=None).defaults
