"""Reads of risk scores for the map and the warning lists, and of the grid workers' tasks."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Case as DbCase
from django.db.models import IntegerField, Max, QuerySet, Subquery, Value, When
from django.http import Http404

from access.roles import roles_of
from risk.forecast import RECENCY_V1
from risk.models import PatrolTask, RiskScore

if TYPE_CHECKING:
    from access.roles import AnyUser


def latest_horizon_start(*, model: str = RECENCY_V1) -> dt.date | None:
    """The newest horizon `model` has scores for, or None before its first run."""
    latest: dt.date | None = RiskScore.objects.filter(model=model).aggregate(latest=Max("horizon_start"))["latest"]
    return latest


def latest_risk_scores(*, model: str = RECENCY_V1) -> dict[int, tuple[float, str]]:
    """cell id → (score, level) for the newest horizon of `model`, in one query; empty
    before the first run. Cells created after that run are simply absent."""
    newest = RiskScore.objects.filter(model=model).order_by("-horizon_start").values("horizon_start")[:1]
    rows = RiskScore.objects.filter(model=model, horizon_start=Subquery(newest)).values_list("cell_id", "score", "level")
    return {cell_id: (score, level) for cell_id, score, level in rows}


def tasks_visible_to(*, user: AnyUser) -> QuerySet[PatrolTask]:
    """Tasks of the user's own cells (everything for an administrator)."""
    roles = roles_of(user)
    qs = PatrolTask.objects.select_related("cell").defer("cell__geom")
    if roles.is_admin:
        return qs
    return qs.filter(cell_id__in=roles.cell_ids)


def open_tasks(*, user: AnyUser) -> QuerySet[PatrolTask]:
    """Open tasks, risk warnings first, then by due date."""
    warning_first = DbCase(When(kind=PatrolTask.Kind.RISK_WARNING, then=Value(0)), default=Value(1),
                          output_field=IntegerField())
    return (
        tasks_visible_to(user=user)
        .filter(status=PatrolTask.Status.OPEN)
        .annotate(warning_first=warning_first)
        .order_by("warning_first", "due_date", "pk")
    )


def access_task(*, user: AnyUser, task_id: int) -> PatrolTask:
    task = tasks_visible_to(user=user).filter(pk=task_id).first()
    if task is None:
        raise Http404("No such task")
    return task
