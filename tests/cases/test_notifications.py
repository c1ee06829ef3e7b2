"""Whoever must act next is told, after commit, by a Celery task; each event once."""

from __future__ import annotations

import pytest

from cases import services
from cases.models import CaseEvent, Notification
from tests.factories import centre_of

pytestmark = pytest.mark.notifications


def kinds_for(user) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", "key"))


def test_each_step_tells_the_next_actor_once(town, grid_worker, centre_operator, dept_officer,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                    description="x")
    assert len(callbacks) == 1  # the commit hook hands the event to Celery
    report = case.events.get()
    assert services.notify_next_actors(event_id=report.pk) == 1
    assert services.notify_next_actors(event_id=report.pk) == 0  # idempotent per event
    assert kinds_for(centre_operator) == [("action_needed", f"event:{report.pk}")]

    services.case_accept(case_id=case.pk, actor=centre_operator)
    dispatch_case = services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)
    dispatch = dispatch_case.events.get(action=CaseEvent.Action.DISPATCH)
    assert services.notify_next_actors(event_id=dispatch.pk) == 1
    assert kinds_for(dept_officer) == [("action_needed", f"event:{dispatch.pk}")]

    services.case_sign_for(case_id=case.pk, actor=dept_officer)
    services.case_report_handled(case_id=case.pk, actor=dept_officer, result="done")
    closed = services.case_verify(case_id=case.pk, actor=centre_operator, passed=True)
    verify = closed.events.get(action=CaseEvent.Action.VERIFY_PASS)
    assert services.notify_next_actors(event_id=verify.pk) == 1
    assert ("case_closed", f"event:{verify.pk}") in kinds_for(grid_worker)


def test_actor_is_not_told_of_their_own_act_and_missing_event_is_ignored(town, centre_operator):
    admin_case_reporter = centre_operator  # a centre operator reporting in their own community
    case = services.case_report(actor=admin_case_reporter, category=town.category, location=centre_of(0, 0),
                                description="x")
    assert services.notify_next_actors(event_id=case.events.get().pk) == 0
    assert services.notify_next_actors(event_id=987654321) == 0


@pytest.mark.django_db(transaction=True)
def test_commit_hook_runs_the_task(town, grid_worker, centre_operator, settings):
    # Eager here, and only here, because this test checks the hook → task wiring inside one
    # process; a real worker consuming from Redis is shown in tests/risk/test_risk_job.py.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from governance.celery import app

    app.conf.task_always_eager = True
    try:
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x")
    finally:
        app.conf.task_always_eager = False
    assert Notification.objects.filter(recipient=centre_operator, kind="action_needed").count() == 1


def test_muted_block_queues_nothing(town, grid_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, services.notifications_muted():
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x")
    assert callbacks == []
