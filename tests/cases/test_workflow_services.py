"""The thin flow through the services: report → accept → dispatch → sign for → handled →
verify → closed, its branches, and the refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point

from access.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted, OutsideCity
from cases import services, workflow
from cases.models import Case, CaseEvent
from tests.cases.photos import fake_jpeg, jpeg
from tests.factories import centre_of

A = CaseEvent.Action
S = Case.Status


def test_report_lands_in_cell_and_community_centre(case_at, town, grid_worker):
    case = case_at(S.REPORTED, location=centre_of(1, 0))
    assert case.grid_cell == town.cells[1]
    assert case.centre == town.community
    assert case.status == Case.Status.REPORTED
    assert case.source == Case.Source.GRID_WORKER
    assert case.number.startswith("320213")
    event = case.events.get()
    assert (event.action, event.to_status, event.role) == (A.REPORT, Case.Status.REPORTED, "grid_worker")


def test_whole_thin_flow_writes_one_event_per_step(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.REPORTED, photos=[jpeg()])
    services.case_accept(case_id=case.pk, actor=centre_operator)
    services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)
    services.case_sign_for(case_id=case.pk, actor=dept_officer)
    services.case_report_handled(case_id=case.pk, actor=dept_officer, result="摊位已清理", photos=[jpeg("after.jpg")])
    case = services.case_verify(case_id=case.pk, actor=centre_operator, passed=True)
    assert case.status == Case.Status.CLOSED
    assert case.closed_at is not None
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [A.REPORT, A.ACCEPT, A.DISPATCH, A.SIGN_FOR, A.REPORT_HANDLED, A.VERIFY_PASS]
    statuses = list(case.events.values_list("from_status", "to_status"))
    assert statuses[1:] == [
        ("reported", "accepted"), ("accepted", "dispatched"), ("dispatched", "in_progress"),
        ("in_progress", "handled"), ("handled", "closed"),
    ]
    assert case.attachments.count() == 2


def test_dispatch_sets_working_time_deadlines(case_at, town, grid_worker, centre_operator):
    case = case_at(S.REPORTED)
    services.case_accept(case_id=case.pk, actor=centre_operator)
    # Monday 2026-09-28 10:00 Beijing time; the National Day holiday starts 1 October.
    monday = dt.datetime(2026, 9, 28, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    case = services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit, at=monday)
    assert case.sign_deadline == monday + dt.timedelta(hours=4)
    # 3 working days: Tue 29, Wed 30, then (after the 1–7 Oct holiday) Thu 8 Oct.
    assert case.handle_deadline.astimezone(monday.tzinfo) == dt.datetime(2026, 10, 8, 17, 0, tzinfo=monday.tzinfo)


def test_verify_fail_sends_back_for_rework(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.HANDLED)
    case = services.case_verify(case_id=case.pk, actor=centre_operator, passed=False, note="摊位还在")
    assert case.status == Case.Status.IN_PROGRESS
    with pytest.raises(InvalidInput):
        services.case_verify(case_id=case.pk, actor=centre_operator, passed=False, note="")


def test_return_puts_case_back_in_centre_queue(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.DISPATCHED)
    with pytest.raises(InvalidInput):
        services.case_return(case_id=case.pk, actor=dept_officer, reason="  ")
    case = services.case_return(case_id=case.pk, actor=dept_officer, reason="不属于城管职责")
    assert case.status == Case.Status.ACCEPTED
    assert case.unit is None and case.handle_deadline is None
    event = case.events.latest("id")
    assert event.unit == town.unit and event.note == "不属于城管职责"


def test_reject_requires_reason(case_at, town, grid_worker, centre_operator):
    case = case_at(S.REPORTED)
    with pytest.raises(InvalidInput):
        services.case_reject(case_id=case.pk, actor=centre_operator, reason="")
    case.refresh_from_db()
    assert case.status == Case.Status.REPORTED
    case = services.case_reject(case_id=case.pk, actor=centre_operator, reason="重复上报")
    assert case.status == Case.Status.REJECTED


def test_resolve_on_spot_needs_eligible_category_and_photo(case_at, town, grid_worker):
    case = case_at(S.REPORTED, category=town.spot_category)
    with pytest.raises(InvalidInput):
        services.case_resolve_on_spot(case_id=case.pk, actor=grid_worker, note="已清理", photos=[])
    case = services.case_resolve_on_spot(case_id=case.pk, actor=grid_worker, note="已清理", photos=[jpeg()])
    assert case.status == Case.Status.CLOSED and case.self_resolved
    other = case_at(S.REPORTED)  # 占道经营 is not self-resolvable
    with pytest.raises(InvalidInput):
        services.case_resolve_on_spot(case_id=other.pk, actor=grid_worker, note="x", photos=[jpeg()])


@pytest.mark.parametrize(
    "step",
    ["dispatch", "sign_for", "report_handled", "verify", "accept_twice"],
)
def test_illegal_transitions_are_refused_and_name_allowed_actions(town, grid_worker, centre_operator, dept_officer,
                                                                  step, case_at):
    case = case_at(S.REPORTED)
    before = case.events.count()
    with pytest.raises(InvalidTransition) as refused:
        if step == "dispatch":
            services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)
        elif step == "sign_for":
            services.case_sign_for(case_id=case.pk, actor=dept_officer)
        elif step == "report_handled":
            services.case_report_handled(case_id=case.pk, actor=dept_officer, result="x")
        elif step == "verify":
            services.case_verify(case_id=case.pk, actor=centre_operator, passed=True)
        else:
            services.case_accept(case_id=case.pk, actor=centre_operator)
            services.case_accept(case_id=case.pk, actor=centre_operator)
    assert refused.value.http_status == 409
    # What the refused person may do instead (cases.workflow.available_actions): the centre
    # is told what it can do with the case; the unit, which holds nothing here, nothing.
    actor = dept_officer if step in ("sign_for", "report_handled") else centre_operator
    case.refresh_from_db()
    assert refused.value.extra["allowed_actions"] == workflow.available_actions(actor, case)
    assert bool(refused.value.extra["allowed_actions"]) == (actor == centre_operator)
    expected_events = before + (1 if step == "accept_twice" else 0)
    assert case.events.count() == expected_events


def test_wrong_role_is_not_permitted(case_at, town, grid_worker, centre_operator, dept_officer, outsider):
    case = case_at(S.REPORTED)
    with pytest.raises(NotPermitted):
        services.case_accept(case_id=case.pk, actor=dept_officer)
    with pytest.raises(NotPermitted):
        services.case_accept(case_id=case.pk, actor=outsider)
    services.case_accept(case_id=case.pk, actor=centre_operator)
    services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.other_unit)
    with pytest.raises(NotPermitted):  # dispatched to 环保, not to this officer's 城管 unit
        services.case_sign_for(case_id=case.pk, actor=dept_officer)


def test_street_operator_covers_its_communities(case_at, town, grid_worker, street_operator):
    case = case_at(S.REPORTED)
    assert services.case_accept(case_id=case.pk, actor=street_operator).status == Case.Status.ACCEPTED


def test_same_client_key_returns_the_first_case(case_at, town, grid_worker, outsider):
    first = case_at(S.REPORTED, client_key="phone-1-abc")
    again = case_at(S.REPORTED, client_key="phone-1-abc", description="retry")
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    with pytest.raises(Conflict):
        case_at(S.REPORTED, reporter=outsider, client_key="phone-1-abc")


def test_point_outside_city_is_refused(case_at, town, grid_worker):
    with pytest.raises(OutsideCity) as refused:
        case_at(S.REPORTED, location=Point(121.5, 31.2, srid=4326))
    assert refused.value.code == "outside_city"
    assert Case.objects.count() == 0


def test_swapped_coordinates_are_named(case_at, town, grid_worker):
    inside = centre_of(0, 0)
    with pytest.raises(OutsideCity) as refused:
        case_at(S.REPORTED, location=Point(inside.y, inside.x, srid=4326))
    assert refused.value.code == "swapped_coordinates"


def test_fake_photo_is_refused_and_nothing_saved(case_at, town, grid_worker):
    with pytest.raises(InvalidInput):
        case_at(S.REPORTED, photos=[fake_jpeg()])
    assert Case.objects.count() == 0
