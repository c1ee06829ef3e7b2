"""Server-rendered screens for each role. Views are thin: selectors read, services write,
and a DomainError from a service comes back to the page it came from with its message
and HTTP status, never as a 500."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.decorators import role_required
from access.errors import DomainError
from access.roles import person, roles_of
from cases import exports, services, workflow
from cases.attachments import MAX_PHOTOS, SERVED_PHOTO_TYPES
from cases.forms import (
    DispatchForm,
    DomainErrorFormMixin,
    ReportForm,
)
from cases.models import Case, CaseEvent, DepartmentUnit, ExtensionRequest
from cases.permissions import may_file
from cases.personal_data import Contact, contact_of, may_reveal_contact, reveal_contact
from cases.progress import near_hours, next_step, running_time_left, time_left
from cases.selectors import (
    access_case,
    case_list_visible_to,
    case_timeline,
    pending_extension,
    possible_duplicates,
    proposed_unit,
    recent_categories,
)
from cases.web_boundary import domain_errors
from cases.worktime import working_hours_between
from grids.models import Area

A = CaseEvent.Action
PAGE_SIZE = 50

ROLE_LABELS: dict[str, Promise] = {
    "grid_worker": gettext_lazy("Grid worker"),
    "centre_operator": gettext_lazy("Centre operator"),
    "department_staff": gettext_lazy("Department staff"),
    "supervisor": gettext_lazy("Supervisor"),
    "citizen": gettext_lazy("Citizen"),
    "administrator": gettext_lazy("Administrator"),
    "system": gettext_lazy("System"),
}


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """render() with a status (the header's roles come from governance.context_processors)."""
    return render(request, template, context, status=status)


def _paginate(request: HttpRequest, qs: QuerySet[Case], *, with_location: bool = False) -> Page:
    # Lists never need the polygons of the cell or centre: skip them, and the point unless asked.
    qs = qs.defer("grid_cell__geom", "centre__geom", *(() if with_location else ("location",)))
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- home -----------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Sends each role to the screen it works from; someone with several roles gets the
    one with the most urgent work (centre queue first)."""
    roles = roles_of(request.user)
    if roles.is_centre_operator:
        return redirect("centre-queue")
    if roles.is_department_staff:
        return redirect("unit-queue")
    if roles.is_grid_worker:
        return redirect("worker-today")
    if roles.is_supervisor or roles.is_admin:
        return redirect("supervisor-map")
    if getattr(request.user, "is_staff", False):
        return redirect("admin:index")
    return page(request, "home_no_role.html", {})


# --- grid worker ----------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    # The report page's script (and its offline drafts) sends with fetch() and reads JSON;
    # a form posted without script gets pages and redirects.
    return "application/json" in request.headers.get("Accept", "")


def _report_refusal(request: HttpRequest, error: DomainError) -> HttpResponse:
    form = ReportForm(request.POST, request.FILES)
    form.is_valid()
    form.add_domain_error(error)
    return _report_refused(request, form, status=error.http_status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(on_refusal=_report_refusal)
@role_required(may_file)
def case_report(request: HttpRequest) -> HttpResponse:
    """The report form, open to whoever may file (cases.permissions.may_file; the service
    holds each to where they may file). A resubmit with the same client_key (a lost
    answer, an offline draft sent twice) finds the case filed first and files nothing new."""
    if request.method != "POST":
        return _report_page(request, ReportForm())
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _report_refused(request, form, status=413 if form.has_too_large_photo() else 400)
    data = form.cleaned_data
    case, created = services.case_report_or_replay(
        actor=person(request.user),
        category=data["category"],
        location=data["location"],
        description=data["description"],
        address=data["address"],
        client_key=data["client_key"] or None,
        photos=data["photo"],
        reporter_name=data["reporter_name"],
        reporter_phone=data["reporter_phone"],
        reporter_id_number=data["reporter_id_number"],
    )
    url = reverse("case-detail", args=[case.pk])
    # An offline draft is sent in the background: its page shows the number, and a flash
    # message would only surprise the person on whatever page they open next.
    if not request.headers.get("X-Wangge-Draft"):
        if created:
            messages.success(request, _("Case %(number)s filed.") % {"number": case.number})
        else:
            messages.info(request, _("Case %(number)s was already filed; nothing new was filed.")
                          % {"number": case.number})
    if _wants_json(request):
        return JsonResponse({"id": case.pk, "number": case.number, "url": url, "replayed": not created},
                            status=201 if created else 200)
    return redirect(url)


def _report_refused(request: HttpRequest, form: ReportForm, *, status: int) -> HttpResponse:
    if _wants_json(request):
        errors = {name or "__all__": [e["message"] for e in items] for name, items in form.errors.get_json_data().items()}
        first = next(iter(errors.values()), [""])[0]
        return JsonResponse({"detail": first, "errors": errors}, status=status)
    return _report_page(request, form, status=status)


def _report_page(request: HttpRequest, form: ReportForm, status: int = 200) -> HttpResponse:
    return page(request, "cases/report.html", {
        "form": form,
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "max_photos": MAX_PHOTOS,
        "recent_categories": recent_categories(user=request.user),
    }, status=status)


# My reports, as two tabs: still moving, and finished (closed, or rejected by the centre).
FINISHED = (Case.Status.CLOSED, Case.Status.REJECTED)


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    """GET /cases/mine/?show=open|closed: the person's own reports with their status."""
    show = "closed" if request.GET.get("show") == "closed" else "open"
    mine = case_list_visible_to(user=request.user).filter(reporter=person(request.user))
    counts = mine.order_by().aggregate(
        closed=Count("pk", filter=Q(status__in=FINISHED)), open=Count("pk", filter=~Q(status__in=FINISHED))
    )
    qs = mine.filter(status__in=FINISHED) if show == "closed" else mine.exclude(status__in=FINISHED)
    empty = _("None of your reports is finished yet.") if show == "closed" else _("No open reports. Well done.")
    if not counts["open"] and not counts["closed"]:
        empty = _("You have not filed any reports yet.")
    return page(request, "cases/my_reports.html", {
        "page_obj": _paginate(request, qs.order_by("-reported_at")),
        "show": show,
        "counts": counts,
        "empty": empty,
        "now": timezone.now(),
    })


# --- the case page and its actions ----------------------------------------------------


@dataclass
class Button:
    action: str
    label: str
    url: str
    danger: bool


@dataclass
class Panel:
    key: str
    title: str
    form: forms.Form
    buttons: list[Button] = field(default_factory=list)
    folded: bool = False
    multipart: bool = False
    intro: str = ""  # what the person deciding must know first (the request, the proposal)


# Each panel of the case page and the actions it holds, in the registry's order.
PANEL_ACTIONS: dict[str, list[str]] = {}
for _spec in workflow.ACTIONS.values():
    PANEL_ACTIONS.setdefault(_spec.panel, []).append(_spec.action)


def _make_form(action: str, case: Case, data: Any = None, files: Any = None, *,
               proposed: DepartmentUnit | None = None) -> forms.Form:
    """The action's form, bound or not; an unbound dispatch form starts on `proposed`."""
    spec = workflow.ACTIONS[action]
    # Unique ids per panel: several forms on one page each have a "note".
    kwargs: dict[str, Any] = {"auto_id": f"id_{spec.panel}_%s"}
    if len(PANEL_ACTIONS[spec.panel]) > 1:
        # Pass and fail share one note box; only fail needs it, so the browser must not insist.
        kwargs["use_required_attribute"] = False
    if getattr(spec.form, "per_cell", False):
        kwargs["cell_code"] = case.cell_code
        if data is None and spec.form is DispatchForm:
            kwargs["initial"] = {"unit": proposed.pk if proposed else None}
    return spec.form(data, files, **kwargs)


def _panel_intros(case: Case, events: list[CaseEvent], pending: ExtensionRequest | None,
                  proposed: DepartmentUnit | None, now: dt.datetime) -> dict[str, str]:
    """One line above a panel's form where the decision needs context from elsewhere."""
    intros: dict[str, str] = {}
    last_return = next((e for e in reversed(events) if e.action == A.RETURN), None)
    dispatch_lines = []
    if last_return is not None and case.status == Case.Status.ACCEPTED:
        dispatch_lines.append(_("Returned by %(unit)s: %(reason)s") % {
            "unit": last_return.unit.name if last_return.unit else _("the unit"), "reason": last_return.note})
    if proposed is not None:
        dispatch_lines.append(_("Proposed: %(unit)s (the category's default department in this district).")
                              % {"unit": proposed.name})
    intros["dispatch"] = " ".join(dispatch_lines)
    if pending is not None:
        waited = working_hours_between(pending.requested_at, now)
        intros["extension_decision"] = _(
            "%(unit)s asks for %(days)s more working days: %(reason)s. Waiting %(hours)s working hours "
            "so far; ticking the box below adds them to the new deadline too."
        ) % {"unit": pending.unit.name, "days": pending.days, "reason": pending.reason,
             "hours": number_format(round(waited, 1), decimal_pos=1)}
    if case.status in (Case.Status.REPORTED, Case.Status.ACCEPTED) and case.centre.parent_id:
        upper = Area.objects.filter(pk=case.centre.parent_id).values_list("name", flat=True).first()
        intros["escalate"] = _("The case goes to %(centre)s and leaves this centre's queue.") % {"centre": upper}
    return intros


def _panels(case: Case, actions: list[str], bound: tuple[str, forms.Form] | None, proposed: DepartmentUnit | None,
            intros: Mapping[str, str] | None = None) -> list[Panel]:
    panels: list[Panel] = []
    for key, panel_actions in PANEL_ACTIONS.items():
        shown = [a for a in panel_actions if a in actions]
        if not shown:
            continue
        if bound is not None and bound[0] in panel_actions:
            form = bound[1]
        else:
            form = _make_form(shown[0], case, proposed=proposed)
        specs = [workflow.ACTIONS[a] for a in shown]
        buttons = [Button(s.action, str(s.button), reverse("case-action", args=[case.pk, s.action]), s.danger)
                   for s in specs]
        panels.append(Panel(
            key=key,
            title=str(specs[0].panel_title),
            form=form,
            buttons=buttons,
            folded=specs[0].folded and not form.is_bound,
            multipart=form.is_multipart(),
            intro=(intros or {}).get(key, ""),
        ))
    return panels


def _detail_page(
    request: HttpRequest,
    case: Case,
    *,
    bound: tuple[str, forms.Form] | None = None,
    error: str = "",
    status: int = 200,
    revealed: Contact | None = None,
) -> HttpResponse:
    events = list(case_timeline(case=case))
    photos = [(event, attachment) for event in events for attachment in event.attachments.all()]
    map_data = {
        "point": [case.location.x, case.location.y],
        "cell": json.loads(case.grid_cell.geom.geojson),
    }
    now = timezone.now()
    # Read once: the panels and the duplicate candidates both depend on it.
    actions = workflow.available_actions(request.user, case)
    pending = pending_extension(case=case)
    # Read once: the dispatch form starts on it and its panel says why.
    proposed = proposed_unit(case=case) if case.status == Case.Status.ACCEPTED else None
    co_handlers = list(case.co_handlers.select_related("unit").order_by("unit__name"))
    return page(request, "cases/case_detail.html", {
        "case": case,
        "events": [(event, ROLE_LABELS.get(event.role, event.role)) for event in events],
        "photos": photos,
        "map_data": map_data,
        "panels": _panels(case, actions, bound, proposed, _panel_intros(case, events, pending, proposed, now)),
        "next_step": next_step(case, pending=pending,
                               open_co_handlers=[c.unit.name for c in co_handlers if c.reported_at is None]),
        "running_left": running_time_left(case, now=now),
        "sign_left": time_left(case.sign_deadline, now=now, near_hours=near_hours(signing=True))
        if case.status == Case.Status.DISPATCHED else None,
        "handle_left": time_left(case.handle_deadline, now=now, near_hours=near_hours(signing=False))
        if case.status in (Case.Status.DISPATCHED, Case.Status.IN_PROGRESS) else None,
        "action_error": error,
        "pending_extension": pending,
        "contact": contact_of(case).masked(),
        "may_reveal": may_reveal_contact(request.user, case),
        "revealed": revealed,
        "co_handlers": co_handlers,
        # Only the centre, deciding on a new report, needs the candidates and the merge button.
        "duplicates": possible_duplicates(case=case, user=request.user)
        if case.status == Case.Status.REPORTED and A.REJECT in actions else [],
    }, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(user=request.user, case_id=pk)
    return _detail_page(request, case)


def _action_refused(request: HttpRequest, error: DomainError, pk: int, action: str) -> HttpResponse:
    """The case page again, the form as it was sent with the service's refusal on its field."""
    # As the case is now: a conflicting move may have changed it.
    case = access_case(user=request.user, case_id=pk)
    form = _make_form(action, case, request.POST, request.FILES)
    form.is_valid()
    assert isinstance(form, DomainErrorFormMixin)
    form.add_domain_error(error)
    return _detail_page(request, case, bound=(action, form), error=error.message, status=error.http_status)


@login_required
@require_POST
@domain_errors(on_refusal=_action_refused)
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST /cases/<id>/<action>/: one workflow move through its service (the registry's
    entry for `action`, cases.workflow)."""
    case = access_case(user=request.user, case_id=pk)
    spec = workflow.ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    form = _make_form(action, case, request.POST, request.FILES)
    if not form.is_valid():
        assert isinstance(form, DomainErrorFormMixin)
        status = 413 if form.has_too_large_photo() else 400
        return _detail_page(request, case, bound=(action, form), error=_("Please correct the errors below."),
                            status=status)
    moved = spec.run(case.pk, person(request.user), form.cleaned_data)
    if moved.duplicate_of_id and action == A.REJECT:
        # A merge from the queue: say into which case, so the operator can check the pair.
        original = Case.objects.filter(pk=moved.duplicate_of_id).values_list("number", flat=True).first()
        messages.success(request, _("Merged into %(number)s as a duplicate.") % {"number": original})
    else:
        messages.success(request, str(spec.done))
    # Quick actions in a queue row come back to the queue, filters and page kept.
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("case-detail", pk=case.pk)


@login_required
@require_GET
@domain_errors()
def case_export(request: HttpRequest) -> HttpResponse:
    """GET /cases/export/?format=csv|xlsx[&status=…&reported_from=YYYY-MM-DD&reported_to=…]:
    the cases the person may see, contact masked, audited (cases.exports). Bad parameters
    are a 400 naming the parameter."""
    filters = exports.parse_filters(request.GET)
    fmt = request.GET.get("format", "csv")
    body, content_type = exports.export_cases(user=request.user, filters=filters, fmt=fmt, request=request)
    response = HttpResponse(body, content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.{fmt}"'
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
@domain_errors()
def case_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page with the reporter's contact shown in full: a deliberate POST, not a
    link a browser might prefetch, refused (403) to roles that do not call back, audited,
    and never cached."""
    case = access_case(user=request.user, case_id=pk)
    contact = reveal_contact(user=request.user, case=case, request=request)
    response = _detail_page(request, case, revealed=contact)
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def case_photo(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """Photos go through the case's access check: they show people and homes, so a
    guessed URL must not open them (MLPS personal-information protection)."""
    case = access_case(user=request.user, case_id=pk)
    attachment = get_object_or_404(case.attachments, pk=attachment_id)
    # The type comes from a fixed table of what prepare_photo writes, never from a guess;
    # with nosniff (SecurityMiddleware) the browser cannot take it for HTML or script.
    # Anything else behind a photo URL is a download of unknown type, never rendered.
    ext = PurePath(attachment.file.name or "").suffix.lower()
    content_type = SERVED_PHOTO_TYPES.get(ext)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=content_type or "application/octet-stream",
        as_attachment=content_type is None,
        # Not the uploader's file name: it may name a person or a place.
        filename=f"case-{case.number}-{attachment.pk}{ext}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=3600)
    return response
