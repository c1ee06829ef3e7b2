"""The two work queues: the centre operator's queue with its filters and counts, and the
department unit's workbench with its tabs. Reads only (cases.selectors); the quick
actions in the rows post to the case page's actions (cases.views.case_action) with a
`next` that brings the person back here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.decorators import role_required
from cases.models import Case, CaseEvent
from cases.progress import TimeLeft, near_hours, running_time_left
from cases.queue_forms import (
    DEADLINE_LABELS,
    LEVEL_LABELS,
    ROW_STATE_LABELS,
    STATE_LABELS,
    UNIT_TAB_LABELS,
    CentreQueueFilterForm,
)
from cases.selectors import (
    UNIT_TABS,
    centre_queue_annotated,
    centre_queue_facets,
    duplicates_for_reports,
    filter_centre_queue,
    unit_workbench,
    unit_workbench_counts,
)
from cases.views import _paginate, page
from cases.workflow import available_actions
from cases.worktime import add_working_hours

# What a queue row offers without opening the case.
QUICK_ACTIONS = (CaseEvent.Action.ACCEPT, CaseEvent.Action.SIGN_FOR)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Row:
    case: Case
    left: TimeLeft | None
    duplicates: list[Case]
    actions: list[str]  # the row's quick actions the person may take (cases.workflow)


def _choices(labels: dict[Any, Any], counts: dict[Any, int], current: Any) -> list[Choice]:
    return [Choice("", _("All"), sum(counts.values()), current in ("", None))] + [
        Choice(str(value), str(label), counts.get(value, 0), str(current) == str(value))
        for value, label in labels.items()
    ]


def _query_without_page(request: HttpRequest) -> str:
    """The filters as a query string for the pager links, so paging keeps them."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
@role_required("centre_operator", "admin")
def centre_queue(request: HttpRequest) -> HttpResponse:
    """GET /centre/queue/?state=&category=&cell=&deadline=&level=&page=: what waits for the
    centre, filtered, with each choice's count beside it."""
    form = CentreQueueFilterForm(request.GET)
    filters, dropped = form.filters()
    now = timezone.now()
    queue = centre_queue_annotated(
        user=request.user, now=now, near_until=add_working_hours(now, near_hours(signing=False)),
        near_sign_until=add_working_hours(now, near_hours(signing=True)),
    )
    facets = centre_queue_facets(queue, filters)
    listed = filter_centre_queue(queue, filters).order_by("reported_at", "pk")
    # The page's new reports look for duplicates nearby: keep their points.
    page_obj = _paginate(request, listed, with_location=True)
    cases = list(page_obj.object_list)
    duplicates = duplicates_for_reports(cases=cases, user=request.user)
    rows = [
        Row(case, running_time_left(case, now=now), duplicates.get(case.pk, []),
            available_actions(request.user, case, among=QUICK_ACTIONS))
        for case in cases
    ]
    category_labels = {c.pk: c.name for c in form.categories}
    return page(request, "cases/centre_queue.html", {
        "form": form,
        "dropped": dropped,
        "rows": rows,
        "page_obj": page_obj,
        "query": _query_without_page(request),
        "state_choices": _choices(STATE_LABELS, facets["state"], filters.state),
        "deadline_choices": _choices(DEADLINE_LABELS, facets["deadline"], filters.deadline),
        "level_choices": _choices(LEVEL_LABELS, facets["level"], filters.level),
        "category_choices": _choices(category_labels, facets["category"], filters.category),
        "state_labels": ROW_STATE_LABELS,
        "near_hours": near_hours(signing=False),
        "near_sign_hours": near_hours(signing=True),
        "filtered": any((filters.state, filters.category, filters.cell, filters.deadline, filters.level)),
        "next_url": request.get_full_path(),
    })


@login_required
@require_GET
@role_required("department_staff", "admin")
def unit_queue(request: HttpRequest) -> HttpResponse:
    """GET /unit/queue/?tab=to_sign|in_progress|returned|overdue|co_handling: the unit's
    workbench, one tab at a time, every tab's count on its label."""
    tab = request.GET.get("tab") or UNIT_TABS[0]
    dropped = []
    if tab not in UNIT_TABS:
        dropped.append(_("Unknown tab “%(tab)s”: showing “To sign”.") % {"tab": tab[:40]})
        tab = UNIT_TABS[0]
    now = timezone.now()
    counts = unit_workbench_counts(user=request.user, now=now)
    page_obj = _paginate(request, unit_workbench(user=request.user, tab=tab, now=now))
    rows = [Row(case, running_time_left(case, now=now), [], available_actions(request.user, case, among=QUICK_ACTIONS))
            for case in page_obj.object_list]
    return page(request, "cases/unit_queue.html", {
        "tabs": [Choice(t, str(UNIT_TAB_LABELS[t]), counts[t], t == tab) for t in UNIT_TABS],
        "tab": tab,
        "tab_label": UNIT_TAB_LABELS[tab],
        "dropped": dropped,
        "rows": rows,
        "page_obj": page_obj,
        "query": _query_without_page(request),
        "next_url": request.get_full_path(),
    })

