"""Two people acting on one case at once, on two real database connections: exactly one
wins, the other is refused, and the timeline holds one entry for the action."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from access.errors import InvalidTransition
from cases import services
from cases.models import Case, CaseEvent
from tests.factories import centre_of


def run_concurrently(*calls):
    """Runs each call in its own thread (so its own DB connection), started together."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_operators_dispatching_at_once_one_wins(town, grid_worker, centre_operator, street_operator, case_at):
    case = case_at(Case.Status.ACCEPTED)
    outcomes = run_concurrently(
        lambda: services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit),
        lambda: services.case_dispatch(case_id=case.pk, actor=street_operator, unit=town.other_unit),
    )
    wins = [o for o in outcomes if isinstance(o, Case)]
    losses = [o for o in outcomes if isinstance(o, InvalidTransition)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.DISPATCH).count() == 1
    case.refresh_from_db()
    assert case.unit == wins[0].unit


@pytest.mark.django_db(transaction=True)
def test_two_staff_returning_at_once_one_wins(town, grid_worker, centre_operator, dept_officer, case_at):
    from access.models import RoleAssignment
    from tests.factories import UserFactory

    colleague = UserFactory(username="dept_cg_2")
    RoleAssignment.objects.create(user=colleague, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.unit)
    case = case_at(Case.Status.DISPATCHED)
    outcomes = run_concurrently(
        lambda: services.case_return(case_id=case.pk, actor=dept_officer, reason="不归我们管"),
        lambda: services.case_return(case_id=case.pk, actor=colleague, reason="非本单位职责"),
    )
    assert sum(isinstance(o, Case) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, InvalidTransition) for o in outcomes) == 1, outcomes
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.RETURN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_same_client_key_at_once_creates_one_case(town, grid_worker):
    def file():
        return services.case_report(
            actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x", client_key="dup-1"
        )

    outcomes = run_concurrently(file, file, file)
    assert all(isinstance(o, Case) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1
    assert Case.objects.filter(client_key="dup-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_department_returning_while_the_centre_reassigns_one_wins(town, grid_worker, centre_operator, dept_officer,
                                                                  case_at):
    from access.errors import NotPermitted

    case = case_at(Case.Status.DISPATCHED)
    outcomes = run_concurrently(
        lambda: services.case_return(case_id=case.pk, actor=dept_officer, reason="不归我们管"),
        lambda: services.case_reassign(case_id=case.pk, actor=centre_operator, unit=town.other_unit, reason="改派"),
    )
    # Whichever commits first wins; the other finds the case moved on (returned: nothing to
    # reassign; reassigned: no longer this officer's unit) and writes nothing.
    assert sum(isinstance(o, Case) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, InvalidTransition | NotPermitted) for o in outcomes) == 1, outcomes
    actions = set(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert len(actions & {CaseEvent.Action.RETURN, CaseEvent.Action.REASSIGN}) == 1
