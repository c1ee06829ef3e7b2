"""Writes of the grid workers' tasks: patrols raised by risk warnings, and their completion.

Services here follow cases.services: one function per transition, atomic, the row locked
(select_for_update) before it is checked, and a DomainError (cases.errors) for a refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import Conflict, InvalidInput, NotFound
from cases.permissions import roles_of
from grids.models import PatrolTask

if TYPE_CHECKING:
    from cases.permissions import AnyUser

# The warning levels that send a grid worker out (DOMAIN §5: I red and II orange).
PATROL_LEVELS = ("red", "orange")
# A warning patrol is due the day after the warning is published: soon, but a worker who
# reads it in the evening is not overdue at once.
PATROL_DUE_DAYS = 1


def patrol_tasks_for_warnings(*, as_of: dt.date, warnings: Iterable[tuple[int, str, float]]) -> int:
    """One open warning patrol per (cell, horizon) for the cells scored red or orange;
    `warnings` holds (cell_id, level, score). Returns how many tasks it created.

    Idempotent: ON CONFLICT DO NOTHING on the one-warning-per-horizon constraint, so a
    re-run of the risk job for the same day (or two at once) adds no second task, and a
    task already done stays done."""
    rows = [
        PatrolTask(
            cell_id=cell_id,
            kind=PatrolTask.Kind.RISK_WARNING,
            due_date=as_of + dt.timedelta(days=PATROL_DUE_DAYS),
            horizon_start=as_of,
            risk_level=level,
            risk_score=score,
        )
        for cell_id, level, score in warnings
        if level in PATROL_LEVELS
    ]
    if not rows:
        return 0
    before = PatrolTask.objects.filter(kind=PatrolTask.Kind.RISK_WARNING, horizon_start=as_of).count()
    PatrolTask.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return PatrolTask.objects.filter(kind=PatrolTask.Kind.RISK_WARNING, horizon_start=as_of).count() - before


@transaction.atomic
def task_complete(*, task_id: int, actor: AnyUser, note: str, at: dt.datetime | None = None) -> PatrolTask:
    """A grid worker of the task's cell marks it done, saying what they found. A task of
    another cell is "not found" (ids leak nothing); a second completion is a 409."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say what you found on the patrol."), field="note")
    roles = roles_of(actor)
    task = PatrolTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None or not (roles.is_admin or task.cell_id in roles.cell_ids):
        raise NotFound(_("No such task."))
    if task.status == PatrolTask.Status.DONE:
        raise Conflict(_("This task was already marked done."))
    task.status = PatrolTask.Status.DONE
    task.done_at = at or timezone.now()
    task.done_by = actor  # type: ignore[assignment]
    task.done_note = note
    task.save(update_fields=["status", "done_at", "done_by", "done_note"])
    return task
