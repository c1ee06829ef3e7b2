"""The supervisor's screens: the KPI dashboard (DOMAIN §4) with its exports, the
overdue list with 督办, and the case counts by district and department. Read-only except the urge, which goes through services.case_urge
like every other way of pressing a case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from access import codes
from access.decorators import require_role, role_required
from access.errors import DomainError
from access.roles import person
from cases import services
from cases.models import Case
from cases.selectors import access_case, case_list_visible_to, supervised_roots
from cases.web_boundary import domain_errors
from grids.models import Area
from oversight import kpi_exports, kpis
from oversight.dashboard_forms import PeriodForm, UrgeForm, presets

OVERDUE_PAGE_SIZE = 50


def _period_form(request: HttpRequest, area: Area) -> PeriodForm:
    """Bound to the query's dates, or to this month when none are given."""
    if "date_from" in request.GET or "date_to" in request.GET:
        return PeriodForm(request.GET)
    _label, start, end = presets(timezone.localdate())[0]
    return PeriodForm({"date_from": start.isoformat(), "date_to": end.isoformat(), "area": area.code})


def _query(area: Area, start: dt.date | str, end: dt.date | str, **more: str) -> str:
    return "?" + urlencode({"date_from": str(start), "date_to": str(end), "area": area.code, **more})


@login_required
@require_GET
@role_required("supervisor", "admin")
def supervisor_dashboard(request: HttpRequest) -> HttpResponse:
    """GET ?date_from=YYYY-MM-DD&date_to=…&area=<code>: the KPIs of the area, per area one
    level below and per department unit. Bad dates are a form error (400) in place."""
    area = kpis.supervised_area(user=request.user, code=request.GET.get("area"))
    form = _period_form(request, area)
    context: dict[str, Any] = {
        "form": form, "area": area, "crumbs": kpis.breadcrumb(user=request.user, area=area),
        "roots": supervised_roots(user=request.user),
        "presets": [(label, _query(area, start, end)) for label, start, end in presets(timezone.localdate())],
        "good_from": kpis.GOOD_FROM, "fair_from": kpis.FAIR_FROM,
    }
    if not form.is_valid():
        return render(request, "oversight/dashboard.html", context, status=400)
    period = kpis.Period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    board = kpis.dashboard(user=request.user, area=area, period=period)
    start, end = period.date_from, period.date_to
    here = reverse("supervisor-dashboard")
    for row in board.areas:
        row.link = here + _query(Area(code=row.code), start, end) if row.drill else ""
    context.update({
        "board": board, "period": period, "keep": "&" + urlencode({"date_from": str(start), "date_to": str(end)}),
        "exports": {
            table: {fmt: reverse("supervisor-dashboard-export") + _query(area, start, end, table=table, format=fmt)
                    for fmt in kpi_exports.FORMATS}
            for table in kpi_exports.TABLES
        },
        "overdue_url": reverse("supervisor-overdue") + "?" + urlencode({"area": area.code}),
        "max_filed": max([row.filed for row in board.areas] or [0]),
    })
    return render(request, "oversight/dashboard.html", context)


@login_required
@require_GET
@domain_errors()
@role_required("supervisor", "admin")
def supervisor_dashboard_export(request: HttpRequest) -> HttpResponse:
    """GET ?table=areas|units&format=csv|xlsx&date_from=…&date_to=…&area=…: a dashboard
    table as a file, audited. Bad parameters are a 400 naming the parameter."""
    area = kpis.supervised_area(user=request.user, code=request.GET.get("area"))
    form = PeriodForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    period = kpis.Period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    table, fmt = request.GET.get("table", ""), request.GET.get("format", "csv")
    body, content_type = kpi_exports.export_kpis(user=request.user, area=area, period=period, table=table,
                                                 fmt=fmt, request=request)
    response = HttpResponse(body, content_type=content_type)
    name = f"kpi-{table}-{area.code}-{period.date_from:%Y%m%d}-{period.date_to:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    add_never_cache_headers(response)
    return response


def _overdue_page(request: HttpRequest, area: Area, *, bound: tuple[int, UrgeForm] | None = None,
                  error: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    page = Paginator(kpis.overdue_cases(user=request.user, area=area, now=now), OVERDUE_PAGE_SIZE).get_page(
        request.GET.get("page") or request.POST.get("page")
    )
    rows = kpis.with_overdue_hours(page.object_list, now=now)
    default_note = _("Overdue: please handle this case and report back without further delay.")
    forms = {case.pk: UrgeForm(initial={"note": default_note}, auto_id=f"urge-{case.pk}-%s") for case in rows}
    if bound is not None and bound[0] in forms:
        forms[bound[0]] = bound[1]
    return render(request, "oversight/overdue.html", {
        "area": area, "crumbs": kpis.breadcrumb(user=request.user, area=area), "page_obj": page,
        "roots": supervised_roots(user=request.user),
        "rows": [(case, forms[case.pk]) for case in rows], "error": error,
        "dashboard_url": reverse("supervisor-dashboard") + "?" + urlencode({"area": area.code}),
    }, status=status)


@login_required
@require_GET
@role_required("supervisor", "admin")
def supervisor_overdue(request: HttpRequest) -> HttpResponse:
    """GET ?area=<code>&page=N: open cases past a deadline, most overdue first."""
    area = kpis.supervised_area(user=request.user, code=request.GET.get("area"))
    return _overdue_page(request, area)


def _area_posted(request: HttpRequest) -> Area | None:
    try:
        return kpis.supervised_area(user=request.user, code=request.POST.get("area"))
    except Http404:
        return None


def _urge_refused(request: HttpRequest, error: DomainError, pk: int) -> HttpResponse:
    """The overdue list again with the refusal on the row's form (a plain answer when the
    list's area cannot be shown)."""
    area = _area_posted(request)
    if area is None:
        return HttpResponse(error.message, status=error.http_status, content_type="text/plain; charset=utf-8")
    form = UrgeForm(request.POST, auto_id=f"urge-{pk}-%s")
    form.is_valid()
    form.add_domain_error(error)
    return _overdue_page(request, area, bound=(pk, form), error=error.message, status=error.http_status)


@login_required
@require_POST
@domain_errors(on_refusal=_urge_refused)
def supervisor_overdue_urge(request: HttpRequest, pk: int) -> HttpResponse:
    """POST note=…&area=…: 督办 one case from the list, then back to the list. An empty
    note is a 400, a second urge for the same deadline a 409, shown on the row."""
    case = access_case(user=request.user, case_id=pk)  # out of scope: 404 like a missing case
    form = UrgeForm(request.POST, auto_id=f"urge-{case.pk}-%s")
    area = _area_posted(request)
    if form.is_valid():
        services.case_urge(case_id=case.pk, actor=person(request.user), note=form.cleaned_data["note"])
        messages.success(request, _("Case %(number)s urged; its unit has been told.") % {"number": case.number})
        back = {"area": area.code} if area else {}
        page_number = request.POST.get("page", "")
        if page_number.isdigit() and page_number != "1":
            back["page"] = page_number
        return redirect(reverse("supervisor-overdue") + ("?" + urlencode(back) if back else ""))
    require_role(request.user, "supervisor", "admin")
    if area is None:
        return HttpResponse(_("Please correct the errors below."), status=400, content_type="text/plain; charset=utf-8")
    return _overdue_page(request, area, bound=(case.pk, form), error=_("Please correct the errors below."), status=400)


def _status_columns() -> dict[str, Count]:
    return {f"n_{status}": Count("pk", filter=Q(status=status)) for status in Case.Status.values}


def _rows(groups: Iterable[Mapping[str, Any]], label: Callable[[Mapping[str, Any]], str]) -> list[dict[str, Any]]:
    return [
        {"label": label(g), "total": g["total"], "counts": [g[f"n_{s}"] for s in Case.Status.values]}
        for g in groups
    ]


@login_required
@require_GET
@role_required("supervisor", "admin")
def supervisor_counts(request: HttpRequest) -> HttpResponse:
    """Cases per district and per department, by status, in the user's jurisdiction:
    two grouped queries over the one visibility selector, plus one for district names."""
    visible = case_list_visible_to(user=request.user).order_by()
    by_district = list(
        visible.annotate(district=Substr("cell_code", 1, codes.DISTRICT_LENGTH))
        .values("district")
        .annotate(total=Count("pk"), **_status_columns())
        .order_by("district")
    )
    names = dict(
        Area.objects.filter(code__in=[g["district"] for g in by_district]).values_list("code", "name")
    )
    by_department = list(
        visible.values("unit__department__code", "unit__department__name")
        .annotate(total=Count("pk"), **_status_columns())
        .order_by("unit__department__code")
    )
    not_dispatched = _("Not dispatched")
    return render(request, "oversight/counts.html", {
        "statuses": Case.Status.choices,
        "districts": _rows(by_district, lambda g: f"{names.get(g['district'], '')} {g['district']}".strip()),
        "departments": _rows(by_department, lambda g: g["unit__department__name"] or not_dispatched),
    })
