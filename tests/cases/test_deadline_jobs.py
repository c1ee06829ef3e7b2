"""Overdue escalation (督办) and near-deadline warnings: each job run twice for the same
moment leaves the same rows; cases that moved on in time are left alone."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import services
from cases.models import Case, CaseEvent, Notification, Supervision
from tests.builders import api_client

BJ = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BJ)  # sign for by 14:00, handle by Thu 26 17:00


@pytest.fixture
def dispatched(case_at) -> Case:
    return case_at(Case.Status.DISPATCHED, times={Case.Status.REPORTED: MONDAY - dt.timedelta(hours=1),
                                                  Case.Status.ACCEPTED: MONDAY, Case.Status.DISPATCHED: MONDAY})


def test_unsigned_case_is_escalated_once_however_often_the_job_runs(dispatched, dept_officer, supervisor):
    late = MONDAY + dt.timedelta(hours=5)
    assert services.cases_escalate_overdue(now=late) == 1
    assert services.cases_escalate_overdue(now=late) == 0
    assert services.cases_escalate_overdue(now=late + dt.timedelta(minutes=15)) == 0
    supervision = Supervision.objects.get()
    assert (supervision.kind, supervision.unit_id) == (Supervision.Kind.SIGN_FOR_OVERDUE, dispatched.unit_id)
    events = CaseEvent.objects.filter(case=dispatched, action=CaseEvent.Action.SUPERVISE)
    assert events.count() == 1 and events.get().actor is None and events.get().role == "system"
    told = set(Notification.objects.filter(kind=Notification.Kind.OVERDUE).values_list("recipient__username", flat=True))
    assert told == {dept_officer.username, supervisor.username}
    dispatched.refresh_from_db()
    assert dispatched.status == Case.Status.DISPATCHED  # escalation does not move the case


def test_signed_in_time_is_not_escalated_until_handling_is_late(dispatched, dept_officer):
    services.case_sign_for(case_id=dispatched.pk, actor=dept_officer, at=MONDAY + dt.timedelta(hours=1))
    assert services.cases_escalate_overdue(now=MONDAY + dt.timedelta(hours=5)) == 0
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=BJ)
    assert services.cases_escalate_overdue(now=friday) == 1
    assert Supervision.objects.get().kind == Supervision.Kind.HANDLING_OVERDUE
    assert services.cases_escalate_overdue(now=friday) == 0


def test_an_approved_extension_gives_a_new_deadline_and_a_new_escalation_if_missed(dispatched, dept_officer,
                                                                                    centre_operator):
    services.case_sign_for(case_id=dispatched.pk, actor=dept_officer, at=MONDAY + dt.timedelta(hours=1))
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=BJ)
    assert services.cases_escalate_overdue(now=friday) == 1
    services.case_request_extension(case_id=dispatched.pk, actor=dept_officer, days=1, reason="x", at=friday)
    services.case_decide_extension(case_id=dispatched.pk, actor=centre_operator, approve=True, at=friday)
    assert services.cases_escalate_overdue(now=friday) == 0  # new deadline Fri 17:00 not yet passed
    assert services.cases_escalate_overdue(now=friday + dt.timedelta(hours=9)) == 1
    assert Supervision.objects.count() == 2


def test_closed_case_is_never_escalated(dispatched, dept_officer, centre_operator):
    services.case_sign_for(case_id=dispatched.pk, actor=dept_officer, at=MONDAY + dt.timedelta(hours=1))
    services.case_report_handled(case_id=dispatched.pk, actor=dept_officer, result="done", at=MONDAY)
    services.case_verify(case_id=dispatched.pk, actor=centre_operator, passed=True, at=MONDAY)
    assert services.cases_escalate_overdue(now=MONDAY + dt.timedelta(days=30)) == 0


def test_near_deadline_warning_goes_to_the_unit_once(dispatched, dept_officer):
    services.case_sign_for(case_id=dispatched.pk, actor=dept_officer, at=MONDAY + dt.timedelta(hours=1))
    thursday_2pm = dt.datetime(2026, 11, 26, 14, 0, tzinfo=BJ)  # 3 h before the deadline
    assert services.cases_warn_near_deadline(now=MONDAY + dt.timedelta(hours=2)) == 0  # too early
    assert services.cases_warn_near_deadline(now=thursday_2pm) == 1
    assert services.cases_warn_near_deadline(now=thursday_2pm + dt.timedelta(minutes=15)) == 0
    note = Notification.objects.get(kind=Notification.Kind.NEAR_DEADLINE)
    assert (note.recipient, note.case_id) == (dept_officer, dispatched.pk)


def test_deadline_jobs_are_on_the_beat_schedule():
    from cases.tasks import escalate_overdue_task, warn_near_deadline_task
    from governance.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {escalate_overdue_task.name, warn_near_deadline_task.name} <= tasks


def test_notifications_api_lists_mine_and_marks_read(dispatched, dept_officer, supervisor):
    services.cases_escalate_overdue(now=MONDAY + dt.timedelta(hours=5))
    mine = api_client(dept_officer, language=None)
    listed = mine.get("/api/notifications/?unread=1").json()["results"]
    assert [(n["kind"], n["case"]) for n in listed] == [("overdue", dispatched.pk)]
    assert mine.post(f"/api/notifications/{listed[0]['id']}/read/").json()["read_at"] is not None
    assert mine.get("/api/notifications/?unread=1").json()["count"] == 0
    theirs = api_client(supervisor, language=None)
    assert theirs.post(f"/api/notifications/{listed[0]['id']}/read/").status_code == 404
