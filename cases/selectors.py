"""Reads of cases. Every list, map, count and export starts from case_list_visible_to."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from cases.models import Case, CaseEvent, Category, CoHandler, DepartmentUnit, ExtensionRequest, Notification
from cases.permissions import roles_of

if TYPE_CHECKING:
    from cases.permissions import AnyUser


def _prefix_q(prefixes: tuple[str, ...]) -> Q:
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(cell_code__startswith=prefix)
    return q


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


def access_case(*, user: AnyUser, case_id: int) -> Case:
    """The case if the user may see it; 404 alike for "no such case" and "not yours", so
    ids leak nothing."""
    case = case_list_visible_to(user=user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case")
    return case


def centre_queue(*, user: AnyUser) -> QuerySet[Case]:
    """What a centre operator must act on: new reports, cases to dispatch, work to verify."""
    roles = roles_of(user)
    waiting = [Case.Status.REPORTED, Case.Status.ACCEPTED, Case.Status.HANDLED]
    qs = case_list_visible_to(user=user).filter(status__in=waiting)
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
        DepartmentUnit.objects.filter(department_id=department_id, area__code=case.cell_code[:6])
        .select_related("department")
        .first()
    )


def leaf_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True, parent__isnull=False).select_related("parent").order_by("code")


# Every report reads its category and looks for its client_key before anything else. Plain
# statements: through the ORM each costs more Python than the database spends on it
# (bench/intake.py, docs/benchmarks.md).
_CATEGORY_FIELDS = tuple(f.attname for f in Category._meta.concrete_fields)
_LEAF_CATEGORY_SQL = (
    f"SELECT {', '.join(_CATEGORY_FIELDS)} FROM {Category._meta.db_table}"  # noqa: S608
    " WHERE code = %s AND active AND parent_id IS NOT NULL"
)
_CLIENT_KEY_SQL = f"SELECT id FROM {Case._meta.db_table} WHERE client_key = %s"  # noqa: S608


def active_leaf_category(*, code: str) -> Category | None:
    """The category a report may be filed under: active and second-level (as leaf_categories)."""
    with connection.cursor() as cursor:
        cursor.execute(_LEAF_CATEGORY_SQL, [code])
        row = cursor.fetchone()
    return None if row is None else Category.from_db(connection.alias, _CATEGORY_FIELDS, row)


def case_id_for_client_key(*, client_key: str) -> int | None:
    """The case already filed with this client_key (unique), if any."""
    with connection.cursor() as cursor:
        cursor.execute(_CLIENT_KEY_SQL, [client_key])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


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
