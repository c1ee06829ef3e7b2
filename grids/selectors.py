"""Reads for the grid worker's day: open tasks of their cells and cases to verify on site."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case as DbCase
from django.db.models import IntegerField, Max, QuerySet, Value, When
from django.http import Http404

from cases.models import Case, Category
from cases.permissions import roles_of
from cases.selectors import case_list_visible_to
from grids.models import PatrolTask

if TYPE_CHECKING:
    from cases.permissions import AnyUser


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


def cases_to_verify_on_site(*, user: AnyUser) -> QuerySet[Case]:
    """Handled cases in the worker's own cells: the grid worker on site may verify them
    (cases.workflow: verify, cell_grid_worker). Derived from the cases, so nothing to keep in step."""
    roles = roles_of(user)
    return (
        case_list_visible_to(user=user)
        .filter(status=Case.Status.HANDLED, grid_cell_id__in=roles.cell_ids)
        .defer("grid_cell__geom", "centre__geom", "location")
        .order_by("handle_deadline", "reported_at")
    )


def recent_categories(*, user: AnyUser, limit: int = 4) -> list[Category]:
    """The active categories this person reported under most recently, newest first: the
    one-tap choices on the report form (a grid worker files the same few kinds all week)."""
    recent = (
        Case.objects.filter(reporter_id=user.pk, category__active=True, category__parent__isnull=False)
        .values("category_id")
        .annotate(last=Max("reported_at"))
        .order_by("-last")[:limit]
    )
    ids = [row["category_id"] for row in recent]
    by_id = Category.objects.select_related("parent").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]
