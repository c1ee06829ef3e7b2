"""Grid workers' tasks on real PostGIS: warning patrols from the risk job (once per
horizon), completion with a note, a second completion refused (409), and scope."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from access.errors import Conflict, InvalidInput, NotFound
from cases import services as case_services
from risk import selectors
from risk.models import PatrolTask, RiskScore
from risk.services import risk_score_all_cells, task_complete
from tests.builders import patrol_task
from tests.factories import centre_of

AS_OF = dt.date(2026, 3, 10)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def busy_cells(town, settings):
    """cells[0] five fresh cases, cells[1] two, the rest none: by share (half of the scored
    cells each) the busier is red, the other orange."""
    settings.RISK_LEVEL_THRESHOLDS = None
    settings.RISK_LEVEL_QUANTILES = {"red": 0.5, "orange": 0.5, "yellow": 0.0}
    for col, n in ((0, 5), (1, 2)):
        for day in range(n):
            when = dt.datetime.combine(AS_OF, dt.time.min, tzinfo=SHANGHAI) - dt.timedelta(days=day + 1)
            case_services.case_report(actor=None, category=town.category, location=centre_of(col, 0),
                                      description="占道", at=when)
    return town


def test_risk_job_creates_one_patrol_per_red_or_orange_cell(busy_cells) -> None:
    town = busy_cells
    risk_score_all_cells(as_of=AS_OF)
    warned = set(RiskScore.objects.filter(level__in=["red", "orange"]).values_list("cell_id", flat=True))
    assert warned == {town.cells[0].pk, town.cells[1].pk}
    tasks = PatrolTask.objects.all()
    assert {t.cell_id for t in tasks} == warned
    red = tasks.get(cell=town.cells[0])
    assert red.kind == PatrolTask.Kind.RISK_WARNING and red.risk_level == "red"
    assert red.horizon_start == AS_OF and red.due_date == AS_OF + dt.timedelta(days=1)
    assert red.status == PatrolTask.Status.OPEN and red.risk_score and red.risk_score > 0


def test_rerunning_the_risk_job_adds_no_task(busy_cells, grid_worker) -> None:
    town = busy_cells
    risk_score_all_cells(as_of=AS_OF)
    task = PatrolTask.objects.get(cell=town.cells[0])
    task_complete(task_id=task.pk, actor=grid_worker, note="巡查无异常")
    risk_score_all_cells(as_of=AS_OF)
    risk_score_all_cells(as_of=AS_OF, horizon_days=3)
    assert PatrolTask.objects.count() == 2
    task.refresh_from_db()
    assert task.status == PatrolTask.Status.DONE  # the re-run did not reopen it
    # The next day's warning is a new patrol.
    risk_score_all_cells(as_of=AS_OF + dt.timedelta(days=1))
    assert PatrolTask.objects.count() == 4


def test_the_constraint_itself_refuses_a_second_warning_task(busy_cells) -> None:
    from django.db import IntegrityError, transaction

    town = busy_cells
    values = {"cell": town.cells[0], "kind": PatrolTask.Kind.RISK_WARNING, "due_date": AS_OF, "horizon_start": AS_OF}
    PatrolTask.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        PatrolTask.objects.create(**values)
    # Routine patrols are not limited.
    PatrolTask.objects.create(cell=town.cells[0], title="例行巡查", due_date=AS_OF)
    PatrolTask.objects.create(cell=town.cells[0], title="例行巡查", due_date=AS_OF)


@pytest.mark.django_db(transaction=True)
def test_concurrent_risk_runs_create_one_task_each(busy_cells) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            risk_score_all_cells(as_of=AS_OF)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PatrolTask.objects.count() == 2


def test_complete_records_who_when_and_what(town, grid_worker) -> None:
    task = patrol_task(town, title="巡查", due_date=AS_OF)
    done = task_complete(task_id=task.pk, actor=grid_worker, note="  消防通道已畅通 ")
    task.refresh_from_db()
    assert task.status == PatrolTask.Status.DONE == done.status
    assert task.done_by == grid_worker and task.done_at is not None
    assert task.done_note == "消防通道已畅通"


def test_second_completion_is_a_conflict(town, grid_worker) -> None:
    task = patrol_task(town, title="巡查", due_date=AS_OF)
    task_complete(task_id=task.pk, actor=grid_worker, note="好")
    with pytest.raises(Conflict) as refused:
        task_complete(task_id=task.pk, actor=grid_worker, note="again")
    assert refused.value.http_status == 409
    task.refresh_from_db()
    assert task.done_note == "好"


def test_completion_needs_a_note(town, grid_worker) -> None:
    task = patrol_task(town, title="巡查", due_date=AS_OF)
    with pytest.raises(InvalidInput):
        task_complete(task_id=task.pk, actor=grid_worker, note="   ")
    task.refresh_from_db()
    assert task.status == PatrolTask.Status.OPEN


def test_worker_of_another_cell_can_neither_see_nor_complete(town, grid_worker, outsider) -> None:
    task = patrol_task(town, 0, title="巡查", due_date=AS_OF)
    with pytest.raises(NotFound):
        task_complete(task_id=task.pk, actor=outsider, note="不是我的")
    assert list(selectors.open_tasks(user=outsider)) == []
    assert list(selectors.open_tasks(user=grid_worker)) == [task]
    task.refresh_from_db()
    assert task.status == PatrolTask.Status.OPEN


def test_open_tasks_put_warnings_first_then_due_date(town, grid_worker) -> None:
    late_patrol = patrol_task(town, 1, title="巡查", due_date=AS_OF)
    early_patrol = PatrolTask.objects.create(cell=town.cells[0], title="早", due_date=AS_OF - dt.timedelta(days=2))
    warning = PatrolTask.objects.create(cell=town.cells[0], kind=PatrolTask.Kind.RISK_WARNING,
                                        due_date=AS_OF + dt.timedelta(days=1), horizon_start=AS_OF, risk_level="red")
    done = patrol_task(town, 0, title="巡查", due_date=AS_OF)
    task_complete(task_id=done.pk, actor=grid_worker, note="ok")
    assert list(selectors.open_tasks(user=grid_worker)) == [warning, early_patrol, late_patrol]
