"""The branches of DOMAIN §3 beyond the thin flow: reject kinds and merge into a duplicate,
escalation up the centres, extension request → approve / deny, rework counting,
evaluation and reopening."""

from __future__ import annotations

import datetime as dt

import pytest

from access.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from access.models import RoleAssignment
from cases import services
from cases.models import Case, CaseEvent, ExtensionRequest
from cases.selectors import centre_queue
from tests.factories import UserFactory

A = CaseEvent.Action
S = Case.Status
BJ = dt.timezone(dt.timedelta(hours=8))


def test_reject_as_duplicate_links_the_original(case_at, town, grid_worker, centre_operator):
    original = case_at(S.REPORTED)
    again = case_at(S.REPORTED, description="同一个摊位")
    rejected = services.case_reject(case_id=again.pk, actor=centre_operator, reason="重复",
                                    kind=Case.RejectKind.DUPLICATE, duplicate_of=original.pk)
    assert rejected.status == Case.Status.REJECTED
    assert (rejected.reject_kind, rejected.duplicate_of_id) == (Case.RejectKind.DUPLICATE, original.pk)
    assert list(original.duplicates.all()) == [rejected]


@pytest.mark.parametrize("duplicate_of", [None, "self", 999999])
def test_duplicate_without_a_real_other_case_is_refused(case_at, town, grid_worker, centre_operator, duplicate_of):
    case = case_at(S.REPORTED)
    target = case.pk if duplicate_of == "self" else duplicate_of
    with pytest.raises(InvalidInput) as refused:
        services.case_reject(case_id=case.pk, actor=centre_operator, reason="重复",
                             kind=Case.RejectKind.DUPLICATE, duplicate_of=target)
    assert refused.value.extra["field"] == "duplicate_of"
    case.refresh_from_db()
    assert case.status == Case.Status.REPORTED and case.events.count() == 1


def test_escalation_moves_the_case_up_one_centre_at_a_time(town, grid_worker, centre_operator, street_operator,
                                                           case_at):
    case = case_at(S.REPORTED)
    assert case in centre_queue(user=centre_operator)
    case = services.case_escalate(case_id=case.pk, actor=centre_operator, note="涉及多个社区")
    assert case.centre == town.street and case.status == Case.Status.REPORTED
    # The community no longer acts on it and no longer queues it; the street does.
    assert case not in centre_queue(user=centre_operator)
    assert case in centre_queue(user=street_operator)
    with pytest.raises(NotPermitted):
        services.case_accept(case_id=case.pk, actor=centre_operator)
    services.case_escalate(case_id=case.pk, actor=street_operator)
    case.refresh_from_db()
    assert case.centre == town.district
    event = case.events.filter(action=A.ESCALATE).first()
    assert event.note == "涉及多个社区"


def test_escalation_stops_at_the_city(case_at, town, grid_worker):
    admin = UserFactory(username="city_admin", is_superuser=True)
    case = case_at(S.REPORTED)
    for _ in range(3):  # community → street → district → city
        services.case_escalate(case_id=case.pk, actor=admin)
    with pytest.raises(Conflict):
        services.case_escalate(case_id=case.pk, actor=admin)
    assert Case.objects.get(pk=case.pk).centre == town.city


def test_escalating_a_dispatched_case_is_an_illegal_transition(town, grid_worker, centre_operator, dept_officer,
                                                               case_at):
    case = case_at(S.IN_PROGRESS)
    with pytest.raises(InvalidTransition):
        services.case_escalate(case_id=case.pk, actor=centre_operator)


def test_extension_approved_moves_the_deadline_in_working_days(town, grid_worker, centre_operator, dept_officer,
                                                               case_at):
    monday = dt.datetime(2026, 9, 28, 10, 0, tzinfo=BJ)
    case = case_at(S.IN_PROGRESS, times={S.DISPATCHED: monday})
    assert case.handle_deadline.astimezone(BJ).date() == dt.date(2026, 10, 8)
    request = services.case_request_extension(case_id=case.pk, actor=dept_officer, days=2, reason="需协调业主")
    assert request.status == ExtensionRequest.Status.PENDING
    with pytest.raises(Conflict):  # one pending request at a time
        services.case_request_extension(case_id=case.pk, actor=dept_officer, days=1, reason="again")
    case = services.case_decide_extension(case_id=case.pk, actor=centre_operator, approve=True)
    # Thu 8 Oct + 2 working days: Fri 9, Sat 10 (an adjusted working day).
    assert case.handle_deadline == dt.datetime(2026, 10, 10, 17, 0, tzinfo=BJ)
    request.refresh_from_db()
    assert request.status == ExtensionRequest.Status.APPROVED
    assert case.status == Case.Status.IN_PROGRESS


def test_extension_denied_needs_a_note_and_keeps_the_deadline(town, grid_worker, centre_operator, dept_officer,
                                                              case_at):
    case = case_at(S.IN_PROGRESS)
    deadline = case.handle_deadline
    services.case_request_extension(case_id=case.pk, actor=dept_officer, days=3, reason="缺材料")
    with pytest.raises(InvalidInput):
        services.case_decide_extension(case_id=case.pk, actor=centre_operator, approve=False, note="")
    case = services.case_decide_extension(case_id=case.pk, actor=centre_operator, approve=False, note="时限内可完成")
    assert case.handle_deadline == deadline
    assert case.extensions.get().status == ExtensionRequest.Status.DENIED
    with pytest.raises(Conflict):  # nothing pending any more
        services.case_decide_extension(case_id=case.pk, actor=centre_operator, approve=True)


@pytest.mark.parametrize("days", [0, 16])
def test_extension_days_out_of_range_is_refused(case_at, town, grid_worker, centre_operator, dept_officer, days):
    case = case_at(S.IN_PROGRESS)
    with pytest.raises(InvalidInput):
        services.case_request_extension(case_id=case.pk, actor=dept_officer, days=days, reason="x")
    assert not ExtensionRequest.objects.exists()


def test_only_the_handling_unit_requests_and_only_the_centre_decides(town, grid_worker, centre_operator, dept_officer,
                                                                     case_at):
    case = case_at(S.IN_PROGRESS)
    with pytest.raises(NotPermitted):
        services.case_request_extension(case_id=case.pk, actor=centre_operator, days=1, reason="x")
    services.case_request_extension(case_id=case.pk, actor=dept_officer, days=1, reason="x")
    with pytest.raises(NotPermitted):
        services.case_decide_extension(case_id=case.pk, actor=dept_officer, approve=True)


def test_failed_verifications_are_counted_as_rework(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.IN_PROGRESS)
    for _ in range(2):
        services.case_report_handled(case_id=case.pk, actor=dept_officer, result="done")
        case = services.case_verify(case_id=case.pk, actor=centre_operator, passed=False, note="未整改到位")
    assert case.rework_count == 2


def test_reporter_evaluates_a_closed_case_once(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.CLOSED)
    with pytest.raises(InvalidInput):
        services.case_evaluate(case_id=case.pk, actor=grid_worker, satisfaction=6)
    case = services.case_evaluate(case_id=case.pk, actor=grid_worker, satisfaction=4, comment="处理及时")
    assert case.satisfaction == 4
    assert case.events.latest("id").note == "4/5 处理及时"
    with pytest.raises(Conflict):
        services.case_evaluate(case_id=case.pk, actor=centre_operator, satisfaction=5)


def test_evaluating_an_open_case_is_illegal(case_at, town, grid_worker):
    case = case_at(S.REPORTED)
    with pytest.raises(InvalidTransition):
        services.case_evaluate(case_id=case.pk, actor=grid_worker, satisfaction=5)


def test_centre_reopens_within_the_window_only(case_at, town, grid_worker, centre_operator, dept_officer, settings):
    case = case_at(S.CLOSED)
    later = case.closed_at + dt.timedelta(days=settings.REOPEN_DAYS, hours=1)
    with pytest.raises(Conflict):
        services.case_reopen(case_id=case.pk, actor=centre_operator, reason="摊位又回来了", at=later)
    with pytest.raises(NotPermitted):
        services.case_reopen(case_id=case.pk, actor=dept_officer, reason="x")
    case = services.case_reopen(case_id=case.pk, actor=centre_operator, reason="摊位又回来了")
    assert case.status == Case.Status.ACCEPTED
    assert case.closed_at is None and case.unit is None
    assert case in centre_queue(user=centre_operator)
    services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)


def test_a_colleague_of_another_unit_cannot_request_extension(town, grid_worker, centre_operator, dept_officer,
                                                              case_at):
    other = UserFactory(username="dept_hb")
    RoleAssignment.objects.create(user=other, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    case = case_at(S.IN_PROGRESS)
    with pytest.raises(NotPermitted):
        services.case_request_extension(case_id=case.pk, actor=other, days=1, reason="x")


def test_category_handled_by_the_street_routes_new_reports_there(town, grid_worker, centre_operator, street_operator,
                                                                 case_at):
    town.category.handling_level = "street"
    town.category.save()
    case = case_at(S.REPORTED)
    assert case.centre == town.street
    assert case in centre_queue(user=street_operator)
    assert case not in centre_queue(user=centre_operator)


def test_category_limit_changes_apply_to_new_cases_only(case_at, town, grid_worker):
    before = case_at(S.REPORTED)
    town.category.handle_days = 7
    town.category.sign_for_hours = 8
    town.category.save()
    after = case_at(S.REPORTED)
    before.refresh_from_db()
    assert (before.handle_days, before.sign_for_hours) == (3, 4)
    assert (after.handle_days, after.sign_for_hours) == (7, 8)


def test_approval_may_pause_the_clock_for_the_time_the_request_waited(case_at, town, grid_worker, centre_operator,
                                                                       dept_officer):
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BJ)  # handling deadline Thu 26 Nov 17:00
    case = case_at(S.IN_PROGRESS, times={S.DISPATCHED: monday})
    services.case_request_extension(case_id=case.pk, actor=dept_officer, days=1, reason="x",
                                    at=dt.datetime(2026, 11, 24, 15, 0, tzinfo=BJ))
    # Decided the next day at 11:00: it waited 2 h on Tuesday + 2 h on Wednesday = 4 working hours.
    case = services.case_decide_extension(case_id=case.pk, actor=centre_operator, approve=True, pause_clock=True,
                                          at=dt.datetime(2026, 11, 25, 11, 0, tzinfo=BJ))
    # Thu 17:00 + 1 working day = Fri 27 17:00, + 4 working hours = Mon 30 13:00.
    assert case.handle_deadline == dt.datetime(2026, 11, 30, 13, 0, tzinfo=BJ)
    assert "4.0" in case.events.latest("id").note


def test_centre_reassigns_to_another_unit(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.IN_PROGRESS)
    with pytest.raises(InvalidInput):
        services.case_reassign(case_id=case.pk, actor=centre_operator, unit=town.unit, reason="x")
    with pytest.raises(NotPermitted):
        services.case_reassign(case_id=case.pk, actor=dept_officer, unit=town.other_unit, reason="x")
    case = services.case_reassign(case_id=case.pk, actor=centre_operator, unit=town.other_unit, reason="改派环保")
    assert (case.status, case.unit) == (Case.Status.DISPATCHED, town.other_unit)
    with pytest.raises(NotPermitted):  # the old unit has nothing more to do with it
        services.case_sign_for(case_id=case.pk, actor=dept_officer)
