"""The map's cells layer: the grid cells a person's map shows, with their open-case counts
and risk scores, as one GeoJSON FeatureCollection (GET /api/geo/cells/, oversight.api).

A read model of oversight: it joins the places (grids) with the cases and the risk scores,
which geo, below both, does not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat, Substr

from access.roles import roles_of
from cases.models import Case, DepartmentUnit
from cases.selectors import case_list_visible_to
from grids.models import Area, GridCell
from risk.models import RiskScore

if TYPE_CHECKING:
    from access.roles import AnyUser

# One GeoJSON FeatureCollection assembled inside PostgreSQL: PostGIS simplifies and
# serialises each polygon and json_agg joins them, so Python never builds 10,000 feature
# dicts. Open-case counts come from the same selector every list uses
# (case_list_visible_to), grouped once and joined, so the map never shows a number the
# user could not drill into.

# Degrees; about 2 m at Wuxi's latitude. Invisible at city zoom, and it drops the survey
# noise (collinear vertices) that makes imported boundaries heavy.
SIMPLIFY_TOLERANCE = 0.00002
# Five decimals is about 1 m: finer than the simplification, so nothing is lost on output.
GEOJSON_DECIMALS = 5

OPEN_STATUSES = [
    Case.Status.REPORTED,
    Case.Status.ACCEPTED,
    Case.Status.DISPATCHED,
    Case.Status.IN_PROGRESS,
    Case.Status.HANDLED,
]


def cells_visible_to(*, user: AnyUser) -> QuerySet[GridCell]:
    """Cells on the user's map: admins all; centre operators and supervisors their
    jurisdiction prefixes; grid workers their own cells; department staff the district
    (or city) their unit serves."""
    roles = roles_of(user)
    if roles.is_admin:
        return GridCell.objects.all()
    if not user.is_authenticated:
        return GridCell.objects.none()
    q = Q(pk__in=roles.cell_ids)
    for prefix in roles.centre_prefixes + roles.supervisor_prefixes:
        q |= Q(code__startswith=prefix)
    if roles.unit_ids:
        # Units sit on a district (6 digits, the cell code's first six) or on the city
        # (code ending 00, the cell code's first four): matched inside the same query.
        q |= Q(Exists(
            DepartmentUnit.objects.filter(pk__in=roles.unit_ids).filter(
                Q(area__code=Substr(OuterRef("code"), 1, 6))
                | Q(area__level=Area.Level.CITY, area__code=Concat(Substr(OuterRef("code"), 1, 4), Value("00")))
            )
        ))
    return GridCell.objects.filter(q)


EMPTY_FEATURE_COLLECTION = '{"type": "FeatureCollection", "features": []}'


def _sql_or_none(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The queryset's SQL, or None when Django knows it matches nothing: an account that
    holds no role compiles to `pk IN ()`, which Django refuses to write (EmptyResultSet)."""
    try:
        return qs.query.sql_with_params()
    except EmptyResultSet:
        return None


def cells_geojson(*, user: AnyUser, risk_model: str) -> str:
    """The FeatureCollection text of the user's cells, in one SQL statement."""
    cells = _sql_or_none(cells_visible_to(user=user).values("pk"))
    if cells is None:
        return EMPTY_FEATURE_COLLECTION
    cells_sql, cells_params = cells
    counts = _sql_or_none(
        case_list_visible_to(user=user)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("grid_cell_id")
        .annotate(n=Count("pk"))
    )
    counts_sql, counts_params = counts or ("SELECT NULL::bigint AS grid_cell_id, 0 AS n WHERE false", ())
    # ST_Multi: GEOS returns a one-part simplified MultiPolygon as a Polygon; clients get
    # the stored type every time.
    # The newest run of one model only, as risk.selectors.latest_risk_scores reads it:
    # mixing runs would colour cells from stale scores.
    newest = RiskScore.objects.filter(model=risk_model).order_by("-horizon_start").values("horizon_start")[:1]
    risk = RiskScore.objects.filter(model=risk_model, horizon_start=Subquery(newest)).values(
        "cell_id", "level", "score", "factors"
    )
    risk_sql, risk_params = risk.query.sql_with_params()
    cell_table = GridCell._meta.db_table
    sql = f"""
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', COALESCE(json_agg(json_build_object(
                'type', 'Feature',
                'id', g.id,
                'geometry', ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(g.geom, %s)), %s)::json,
                'properties', json_build_object(
                    'code', g.code,
                    'name', g.name,
                    'kind', g.kind,
                    'open_cases', COALESCE(o.n, 0),
                    'risk_level', r.level,
                    'risk_score', r.score,
                    'risk_factors', r.factors
                )
            ) ORDER BY g.code), '[]'::json)
        )::text
        FROM {cell_table} g
        LEFT JOIN ({counts_sql}) o ON o.grid_cell_id = g.id
        LEFT JOIN ({risk_sql}) r ON r.cell_id = g.id
        WHERE g.id IN ({cells_sql})
    """  # noqa: S608 - the table name and subqueries come from the ORM; every value is a bound parameter
    params: list[Any] = [SIMPLIFY_TOLERANCE, GEOJSON_DECIMALS, *counts_params, *risk_params, *cells_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return str(row[0]) if row else EMPTY_FEATURE_COLLECTION
