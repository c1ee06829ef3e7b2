"""Reads of cases. Every list, map, count and export starts from case_list_visible_to."""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import Count, DateTimeField, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404

from access import codes
from access.codes import area_code_of_prefix, jurisdiction_prefix
from access.roles import roles_of
from cases.models import Case, CaseEvent, Category, CoHandler, DepartmentUnit, ExtensionRequest, Notification
from grids.models import Area

if TYPE_CHECKING:
    from access.roles import AnyUser


def _prefix_q(prefixes: tuple[str, ...]) -> Q:
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(cell_code__startswith=prefix)
    return q


def sign_late_q(now: dt.datetime) -> Q:
    """Dispatched and not signed for by the sign-for deadline."""
    return Q(status=Case.Status.DISPATCHED, sign_deadline__lt=now)


def handle_late_q(now: dt.datetime) -> Q:
    """Dispatched or in progress past the handling deadline."""
    return Q(status__in=[Case.Status.DISPATCHED, Case.Status.IN_PROGRESS], handle_deadline__lt=now)


def overdue_q(now: dt.datetime) -> Q:
    """Overdue, the one rule for the map, the KPIs' overdue list and the queues: what
    cases.services.cases_escalate_overdue escalates."""
    return sign_late_q(now) | handle_late_q(now)


def case_list_visible_to(*, user: AnyUser) -> QuerySet[Case]:
    """Cases the user may see (DOMAIN §2): own cells, own reports, own jurisdiction, cases
    dispatched to or co-handled by own unit and the unit's history."""
    roles = roles_of(user)
    base = Case.objects.select_related("category", "category__parent", "grid_cell", "unit", "centre")
    if roles.is_admin:
        return base
    if not user.is_authenticated:
        return base.none()
    q = Q(reporter=user) | Q(grid_cell_id__in=roles.cell_ids) | Q(unit_id__in=roles.unit_ids)
    if roles.unit_ids:
        # Co-handled cases, and the unit's history: every case it ever held (returned or
        # reassigned away since) names it on a timeline row. Exists, not a join, so no case
        # is listed twice.
        q |= Q(Exists(CoHandler.objects.filter(case=OuterRef("pk"), unit_id__in=roles.unit_ids)))
        q |= Q(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), unit_id__in=roles.unit_ids)))
    q |= _prefix_q(roles.centre_prefixes + roles.supervisor_prefixes)
    return base.filter(q)


def supervised_roots(*, user: AnyUser) -> list[Area]:
    """The top areas a person supervises, by code, outermost only (an area inside another
    they hold shows under it); for an administrator, the top of the hierarchy. Where the
    map and the KPI dashboard start."""
    roles = roles_of(user)
    areas = Area.objects.defer("geom").order_by("code")
    if roles.is_admin:
        return list(areas.filter(parent__isnull=True))
    found = list(areas.filter(code__in=[area_code_of_prefix(p) for p in roles.supervisor_prefixes]))
    return [a for a in found if not any(
        o is not a and a.code.startswith(jurisdiction_prefix(o.code, o.level)) for o in found
    )]


def access_case(*, user: AnyUser, case_id: int) -> Case:
    """The case if the user may see it; 404 alike for "no such case" and "not yours", so
    ids leak nothing."""
    case = case_list_visible_to(user=user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case")
    return case


def centre_queue(*, user: AnyUser) -> QuerySet[Case]:
    """What a centre operator must act on: new reports, cases to dispatch (new or returned),
    work to verify, and extension requests waiting for a decision."""
    roles = roles_of(user)
    waiting = [Case.Status.REPORTED, Case.Status.ACCEPTED, Case.Status.HANDLED]
    extension_asked = Exists(ExtensionRequest.objects.filter(case=OuterRef("pk"), status=ExtensionRequest.Status.PENDING))
    # Both arms name their statuses, so PostgreSQL can combine two index scans on status
    # instead of testing every visible case for a pending request.
    working = [Case.Status.DISPATCHED, Case.Status.IN_PROGRESS]
    qs = case_list_visible_to(user=user).filter(Q(status__in=waiting) | (Q(status__in=working) & Q(extension_asked)))
    if roles.is_admin:
        return qs.order_by("reported_at")
    centre_q = Q(pk__in=[])
    for prefix in roles.centre_prefixes:
        centre_q |= Q(centre__code__startswith=prefix)
    return qs.filter(centre_q).order_by("reported_at")


def unit_queue(*, user: AnyUser) -> QuerySet[Case]:
    """Cases dispatched to the user's department units and not yet handled."""
    roles = roles_of(user)
    return (
        case_list_visible_to(user=user)
        .filter(
            Q(unit_id__in=roles.unit_ids)
            | Q(Exists(CoHandler.objects.filter(case=OuterRef("pk"), unit_id__in=roles.unit_ids,
                                                reported_at__isnull=True))),
            status__in=[Case.Status.DISPATCHED, Case.Status.IN_PROGRESS],
        )
        .order_by("handle_deadline")
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "unit").prefetch_related("attachments").order_by("created_at", "id")


def proposed_unit(*, case: Case) -> DepartmentUnit | None:
    """The category's default department, in the district of the case's cell."""
    department_id = case.category.default_department_id
    if department_id is None:
        return None
    return (
        DepartmentUnit.objects.filter(department_id=department_id, area__code=codes.district_code(case.cell_code))
        .select_related("department")
        .first()
    )


def units_serving(cell_code: str) -> QuerySet[DepartmentUnit]:
    """Units that may handle a case in this cell: those of its district, and city-wide
    units (of the city's code)."""
    return (
        DepartmentUnit.objects.filter(area__code__in=[codes.district_code(cell_code), codes.city_code(cell_code)])
        .select_related("department")
        .order_by("department__code")
    )


def leaf_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True, parent__isnull=False).select_related("parent").order_by("code")


# Every report reads its category before anything else. A plain statement: through the ORM
# it costs more Python than the database spends on it (bench/intake.py, docs/benchmarks.md).
_CATEGORY_FIELDS = tuple(f.attname for f in Category._meta.concrete_fields)
_LEAF_CATEGORY_SQL = (
    f"SELECT {', '.join(_CATEGORY_FIELDS)} FROM {Category._meta.db_table}"  # noqa: S608
    " WHERE code = %s AND active AND parent_id IS NOT NULL"
)


def active_leaf_category(*, code: str) -> Category | None:
    """The category a report may be filed under: active and second-level (as leaf_categories)."""
    with connection.cursor() as cursor:
        cursor.execute(_LEAF_CATEGORY_SQL, [code])
        row = cursor.fetchone()
    return None if row is None else Category.from_db(connection.alias, _CATEGORY_FIELDS, row)


def pending_extension(*, case: Case) -> ExtensionRequest | None:
    return case.extensions.filter(status=ExtensionRequest.Status.PENDING).first()


OPEN_STATUSES = (
    Case.Status.REPORTED,
    Case.Status.ACCEPTED,
    Case.Status.DISPATCHED,
    Case.Status.IN_PROGRESS,
    Case.Status.HANDLED,
)


def possible_duplicates(*, case: Case, user: AnyUser, limit: int = 5) -> Sequence[Case]:
    """Open cases of the same category within settings.DUPLICATE_RADIUS_M metres and
    settings.DUPLICATE_DAYS days before this one, nearest first, each with `.distance_m`.
    The centre sees them beside a new report and can merge it into one (reject as
    duplicate of N). Only cases the user may see are offered."""
    radius = settings.DUPLICATE_RADIUS_M
    since = case.reported_at - dt.timedelta(days=settings.DUPLICATE_DAYS)
    # A degree box first (index-assisted ST_DWithin), then the true distance on the sphere.
    box_degrees = radius / 111_000 / max(math.cos(math.radians(case.location.y)), 0.1)
    candidates = (
        case_list_visible_to(user=user).filter(
            category_id=case.category_id,
            status__in=OPEN_STATUSES,
            reported_at__gte=since,
            reported_at__lte=case.reported_at,
            location__dwithin=(case.location, box_degrees),
        )
        .exclude(pk=case.pk)
        .select_related(None)
        .only("id", "number", "status", "reported_at", "location")
        .annotate(distance=Distance("location", case.location))
        .filter(distance__lte=D(m=radius))
        .order_by("distance", "-reported_at")[:limit]
    )
    found = list(candidates)
    for other in found:
        other.distance_m = round(other.distance.m, 1)  # type: ignore[attr-defined]
    return found


def notifications_for(*, user: AnyUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).select_related("case").order_by("-created_at", "-id")


def unread_notification_count(*, user: AnyUser) -> int:
    """The header's badge: one indexed count (recipient, read_at)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


# --- the centre's queue: filters and their counts --------------------------------------
# Each filter is an annotation on the one queue selector, so the list and the count beside
# every choice come from the same rows: one grouped query per filter, never one per row.

QUEUE_STATES = ("reported", "accepted", "returned", "handled", "extension")
DEADLINE_STATES = ("overdue", "near", "on_time", "none")
LEVELS = ("own", "escalated", "below")


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    category: int | None = None  # a top-level category id
    cell: str = ""  # a grid cell code prefix or part of its name
    deadline: str = ""
    level: str = ""

    def without(self, name: str) -> QueueFilters:
        blank: dict[str, Any] = {name: getattr(QueueFilters(), name)}
        return replace(self, **blank)


def _my_centre_codes(user: AnyUser) -> list[str]:
    return [area_code_of_prefix(p) for p in roles_of(user).centre_prefixes]


def running_deadline_expr() -> DbCase:
    """SQL twin of cases.progress.running_deadline."""
    return DbCase(
        When(status=Case.Status.DISPATCHED, then=F("sign_deadline")),
        When(status=Case.Status.IN_PROGRESS, then=F("handle_deadline")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def centre_queue_annotated(
    *, user: AnyUser, now: dt.datetime, near_until: dt.datetime, near_sign_until: dt.datetime | None = None
) -> QuerySet[Case]:
    """The centre queue with the keys its filters group by: `queue_state` (a returned case
    is accepted with a return as its latest way back to the centre), `deadline_state` of
    the running deadline (near: before `near_until`, or `near_sign_until` for a sign-for
    deadline), `queue_level` (own cases, cases
    escalated to this centre, cases of the centres below) and `top_category_id`."""
    last_to_accepted = (
        CaseEvent.objects.filter(case=OuterRef("pk"), to_status=Case.Status.ACCEPTED)
        .order_by("-created_at", "-id").values("action")[:1]
    )
    extension_asked = Exists(ExtensionRequest.objects.filter(case=OuterRef("pk"), status=ExtensionRequest.Status.PENDING))
    escalated = Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action=CaseEvent.Action.ESCALATE))
    mine = _my_centre_codes(user)
    level_whens = [When(~Q(centre__code__in=mine), then=Value("below"))] if mine else []
    return (
        centre_queue(user=user)
        .alias(last_way_back=Subquery(last_to_accepted))
        .annotate(
            queue_state=DbCase(
                When(extension_asked, then=Value("extension")),
                When(status=Case.Status.REPORTED, then=Value("reported")),
                When(Q(status=Case.Status.ACCEPTED) & Q(last_way_back=CaseEvent.Action.RETURN), then=Value("returned")),
                When(status=Case.Status.ACCEPTED, then=Value("accepted")),
                When(status=Case.Status.HANDLED, then=Value("handled")),
                default=Value(""),
            ),
            running_deadline=running_deadline_expr(),
        )
        .annotate(
            deadline_state=DbCase(
                When(running_deadline__isnull=True, then=Value("none")),
                When(running_deadline__lt=now, then=Value("overdue")),
                When(Q(status=Case.Status.DISPATCHED) & Q(running_deadline__lte=near_sign_until or near_until),
                     then=Value("near")),
                When(~Q(status=Case.Status.DISPATCHED) & Q(running_deadline__lte=near_until), then=Value("near")),
                default=Value("on_time"),
            ),
            queue_level=DbCase(*level_whens, When(escalated, then=Value("escalated")), default=Value("own")),
            top_category_id=Coalesce("category__parent_id", "category_id"),
        )
    )


def _cell_q(text: str) -> Q:
    return Q(cell_code__startswith=text) if text.isdigit() else Q(grid_cell__name__icontains=text)


def filter_centre_queue(qs: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    """Narrows centre_queue_annotated by every filter that is set."""
    # The keys are annotations, which the type checker cannot see through: keyword dicts.
    wanted: dict[str, Any] = {}
    if filters.state:
        wanted["queue_state"] = filters.state
    if filters.category is not None:
        wanted["top_category_id"] = filters.category
    if filters.deadline:
        wanted["deadline_state"] = filters.deadline
    if filters.level:
        wanted["queue_level"] = filters.level
    qs = qs.filter(**wanted)
    return qs.filter(_cell_q(filters.cell)) if filters.cell else qs


FACET_KEYS = {"state": "queue_state", "category": "top_category_id", "deadline": "deadline_state",
              "level": "queue_level"}


def centre_queue_facets(qs: QuerySet[Case], filters: QueueFilters) -> dict[str, dict[Any, int]]:
    """For each filter, how many rows each of its choices would give with the other
    filters kept (so a count is what a click on it shows): one grouped query per filter."""
    facets: dict[str, dict[Any, int]] = {}
    for name, key in FACET_KEYS.items():
        rows = filter_centre_queue(qs, filters.without(name)).order_by().values(key).annotate(n=Count("pk"))
        facets[name] = {row[key]: row["n"] for row in rows}
    return facets


def top_categories() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=True).only("id", "code", "name").order_by("code")


def duplicates_for_reports(*, cases: Sequence[Case], user: AnyUser, limit: int = 3) -> dict[int, list[Case]]:
    """possible_duplicates for a page of new reports in one query: the same rules (same
    category, open, within settings.DUPLICATE_RADIUS_M metres and DUPLICATE_DAYS days
    before), a degree box per report in SQL and the distance on the sphere here. Each
    candidate carries `.distance_m`, nearest first."""
    reports = [c for c in cases if c.status == Case.Status.REPORTED]
    if not reports:
        return {}
    radius = settings.DUPLICATE_RADIUS_M
    window = dt.timedelta(days=settings.DUPLICATE_DAYS)
    near = Q(pk__in=[])
    for case in reports:
        box = radius / 111_000 / max(math.cos(math.radians(case.location.y)), 0.1)
        near |= Q(category_id=case.category_id, reported_at__gte=case.reported_at - window,
                  reported_at__lte=case.reported_at, location__dwithin=(case.location, box))
    candidates = list(
        case_list_visible_to(user=user).filter(near, status__in=OPEN_STATUSES)
        .select_related(None).only("id", "number", "status", "category_id", "reported_at", "location")
    )
    found: dict[int, list[Case]] = {}
    for case in reports:
        matches = []
        for other in candidates:
            if (other.pk == case.pk or other.category_id != case.category_id
                    or not case.reported_at - window <= other.reported_at <= case.reported_at):
                continue
            metres = _sphere_metres(case.location.x, case.location.y, other.location.x, other.location.y)
            if metres <= radius:
                matches.append((metres, -other.reported_at.timestamp(), other))
        matches.sort(key=lambda m: (m[0], m[1]))
        if matches:
            found[case.pk] = []
            for metres, _stamp, other in matches[:limit]:
                twin = copy.copy(other)  # one candidate may sit beside several reports
                twin.distance_m = round(metres, 1)  # type: ignore[attr-defined]
                found[case.pk].append(twin)
    return found


def _sphere_metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


# --- the department unit's workbench ----------------------------------------------------

UNIT_TABS = ("to_sign", "in_progress", "returned", "overdue", "co_handling")
_UNIT_TAB_ORDER = {
    "to_sign": ("sign_deadline", "pk"),
    "in_progress": ("handle_deadline", "pk"),
    "returned": ("-reported_at", "-pk"),
    "overdue": ("handle_deadline", "pk"),
    "co_handling": ("handle_deadline", "pk"),
}


def _unit_tab_filters(*, user: AnyUser, now: dt.datetime) -> dict[str, Q]:
    roles = roles_of(user)
    if roles.is_admin:
        # Administrators look over every unit's shoulder.
        mine = Q(unit__isnull=False)
        returned_by = Q(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action=CaseEvent.Action.RETURN)))
        co_handled = Q(Exists(CoHandler.objects.filter(case=OuterRef("pk"))))
    else:
        units = roles.unit_ids
        mine = Q(unit_id__in=units)
        returned_by = Q(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action=CaseEvent.Action.RETURN,
                                                        unit_id__in=units)))
        co_handled = Q(Exists(CoHandler.objects.filter(case=OuterRef("pk"), unit_id__in=units)))
    working = Q(status__in=[Case.Status.DISPATCHED, Case.Status.IN_PROGRESS])
    return {
        "to_sign": mine & Q(status=Case.Status.DISPATCHED),
        "in_progress": mine & Q(status=Case.Status.IN_PROGRESS),
        "returned": returned_by,
        "overdue": mine & overdue_q(now),
        "co_handling": co_handled & working,
    }


def unit_workbench(*, user: AnyUser, tab: str, now: dt.datetime) -> QuerySet[Case]:
    """One tab of the unit's workbench, starting from the visibility selector (a returned
    case stays visible to the unit through its timeline row)."""
    q = _unit_tab_filters(user=user, now=now)[tab]
    qs = case_list_visible_to(user=user).filter(q).order_by(*_UNIT_TAB_ORDER[tab])
    if tab == "returned":
        # Why and when the unit gave it back, read in the same query as the list.
        roles = roles_of(user)
        returns = CaseEvent.objects.filter(case=OuterRef("pk"), action=CaseEvent.Action.RETURN)
        if not roles.is_admin:
            returns = returns.filter(unit_id__in=roles.unit_ids)
        returns = returns.order_by("-created_at", "-id")
        qs = qs.annotate(returned_reason=Subquery(returns.values("note")[:1]),
                         returned_at=Subquery(returns.values("created_at")[:1]))
    return qs


def unit_workbench_counts(*, user: AnyUser, now: dt.datetime) -> dict[str, int]:
    """Every tab's count in one aggregate query."""
    filters = _unit_tab_filters(user=user, now=now)
    return case_list_visible_to(user=user).order_by().aggregate(
        **{tab: Count("pk", filter=q) for tab, q in filters.items()}
    )


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
