"""The grid worker's day, phone first: open tasks of their cells, handled cases waiting for
an on-site check, and the way to report. Views are thin: risk.selectors and
cases.selectors read, risk.services writes.

Here rather than in grids/: the page reads cases and the risk job's tasks, and grids/ sits
below both (it imports neither); risk/ may import cases."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from access.decorators import role_required
from access.errors import DomainError
from access.roles import person
from cases.selectors import cases_to_verify_on_site
from cases.web_boundary import domain_errors
from risk import selectors, services
from risk.forms import TaskDoneForm


def _today_page(request: HttpRequest, *, bound: tuple[int, TaskDoneForm] | None = None,
                status: int = 200) -> HttpResponse:
    tasks = list(selectors.open_tasks(user=request.user)[:100])
    forms: dict[int, TaskDoneForm] = {}
    for task in tasks:
        if bound is not None and bound[0] == task.pk:
            forms[task.pk] = bound[1]
        else:
            forms[task.pk] = TaskDoneForm(auto_id=f"id_task{task.pk}_%s")
    context: dict[str, Any] = {
        "tasks": [(task, forms[task.pk]) for task in tasks],
        "to_verify": list(cases_to_verify_on_site(user=request.user)[:50]),
        "today": timezone.localdate(),
    }
    return render(request, "risk/today.html", context, status=status)


@login_required
@require_GET
@role_required("grid_worker", "admin")
def worker_today(request: HttpRequest) -> HttpResponse:
    return _today_page(request)


def _task_refused(request: HttpRequest, error: DomainError, pk: int) -> HttpResponse:
    form = TaskDoneForm(request.POST, auto_id=f"id_task{pk}_%s")
    form.is_valid()
    form.add_domain_error(error)
    messages.error(request, error.message)
    return _today_page(request, bound=(pk, form), status=error.http_status)


@login_required
@require_POST
@domain_errors(on_refusal=_task_refused)
@role_required("grid_worker", "admin")
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """POST /worker/tasks/<id>/done/: marks an open task of one's own cells done with a note."""
    task = selectors.access_task(user=request.user, task_id=pk)
    form = TaskDoneForm(request.POST, auto_id=f"id_task{task.pk}_%s")
    if not form.is_valid():
        return _today_page(request, bound=(task.pk, form), status=400)
    services.task_complete(task_id=task.pk, actor=person(request.user), note=form.cleaned_data["note"])
    messages.success(request, _("Task marked done."))
    return redirect("worker-today")
