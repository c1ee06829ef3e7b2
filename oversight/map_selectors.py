"""Reads of the supervisor's map: which place is selected, the places one level below it with
their measures (open cases, overdue cases, risk), and the open cases of the selection.

Places nest by code prefix (docs/architecture.md "Jurisdiction by code prefix"): a district
is 6 digits, a street 9, a community 12, a grid cell 15; a city's code ends in 00 and its
prefix is its first four digits. The map drills down one level at a time, so each view
draws a few dozen areas (aggregated in SQL) or one community's cells, never 10,000 polygons
unless the person asks for every cell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from access import codes
from cases.models import Case
from cases.selectors import OPEN_STATUSES, case_list_visible_to, overdue_q, supervised_roots
from grids.models import Area, GridCell
from oversight.cells_layer import cells_visible_to
from risk.models import RiskScore

if TYPE_CHECKING:
    from access.roles import AnyUser

CELL = "cell"
# What the map shows below each level.
CHILD_LEVEL: dict[str, str] = {
    Area.Level.CITY: Area.Level.DISTRICT,
    Area.Level.DISTRICT: Area.Level.STREET,
    Area.Level.STREET: Area.Level.COMMUNITY,
    Area.Level.COMMUNITY: CELL,
    CELL: CELL,  # a selected cell is shown among its community's cells
}
# A district, street, community or cell code. Anything else is refused before any query.
CODE_RE = re.compile(r"^[0-9]{6}(?:[0-9]{3}){0,3}$")
RISK_LEVELS = tuple(level for level, _label in RiskScore.Level.choices)  # red first

# Geometry detail by the level the map is looking at: about half a screen pixel at the zoom
# that fits that level's extent (Wuxi ≈ zoom 9, a district 10-11, a street 12-13, a
# community 15), so nothing visible is lost and the city view sends a fraction of the
# vertices. (tolerance in degrees, decimals of the output coordinates)
DETAIL: dict[str, tuple[float, int]] = {
    Area.Level.CITY: (0.0008, 4),
    Area.Level.DISTRICT: (0.0003, 4),
    Area.Level.STREET: (0.0001, 4),
    Area.Level.COMMUNITY: (0.00002, 5),
    CELL: (0.00002, 5),
}


class BadAreaCode(ValueError):
    """The area parameter is not a well-formed code: the caller answers 400."""


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str  # an Area.Level value, or CELL

    @property
    def prefix(self) -> str:
        """What every code inside this place starts with."""
        return codes.jurisdiction_prefix(self.code, self.level)


@dataclass(frozen=True)
class MapSelection:
    """What the map shows: `place` (None: the person's whole jurisdiction, when it is
    several areas), the trail from the jurisdiction down to it, and the places drawn."""

    place: Place | None
    trail: tuple[Place, ...]
    roots: tuple[Place, ...]  # the areas of the person's jurisdiction
    child_level: str  # the level of the places drawn

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Code prefixes of the selection: the cases and cells it covers."""
        return (self.place.prefix,) if self.place else tuple(root.prefix for root in self.roots)

    @property
    def parent_prefix(self) -> tuple[str, ...]:
        """Prefixes of the places drawn: a selected cell is drawn among its community's cells."""
        if self.place is not None and self.place.level == CELL:
            return (codes.community_code(self.place.code),)
        return self.prefixes

    @property
    def level(self) -> str:
        """The level whose extent the map shows (sets the geometry detail)."""
        if self.place is None:
            return Area.Level.CITY
        return Area.Level.COMMUNITY if self.place.level == CELL else self.place.level


def _place(area: Area) -> Place:
    return Place(area.code, area.name, area.level)


def map_roots(*, user: AnyUser) -> tuple[Place, ...]:
    """The areas a person supervises (administrators: the top of the hierarchy)."""
    return tuple(_place(a) for a in supervised_roots(user=user))


def map_selection(*, user: AnyUser, code: str | None) -> MapSelection:
    """The selection `code` names (empty: the person's jurisdiction). Raises BadAreaCode for
    a malformed code and Http404 for a place that does not exist or lies outside the
    person's jurisdiction, alike, so codes leak nothing."""
    roots = map_roots(user=user)
    if not code:
        if len(roots) == 1:
            return _selection(roots[0], roots)
        return MapSelection(None, (), roots, _child_level_of_roots(roots))
    if not CODE_RE.match(code):
        raise BadAreaCode(code)
    if not any(code.startswith(root.prefix) for root in roots):
        raise Http404("No such area")
    if len(code) == 15:
        cell = GridCell.objects.filter(code=code).values_list("code", "name").first()
        if cell is None:
            raise Http404("No such area")
        return _selection(Place(cell[0], cell[1], CELL), roots)
    area = Area.objects.filter(code=code).only("code", "name", "level").first()
    if area is None:
        raise Http404("No such area")
    return _selection(_place(area), roots)


def _child_level_of_roots(roots: tuple[Place, ...]) -> str:
    # The roots themselves are drawn: their (shallowest) level names the layer.
    order: list[str] = [Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY]
    return min((r.level for r in roots), key=order.index, default=str(Area.Level.DISTRICT))


def _selection(place: Place, roots: tuple[Place, ...]) -> MapSelection:
    """The trail runs from the root holding `place` down to it, one query for the areas."""
    root = next(r for r in roots if place.code.startswith(r.prefix))
    lengths = [n for n in (6, 9, 12) if len(root.code) <= n < len(place.code)]
    codes = [place.code[:n] for n in lengths if place.code[:n] != root.code]
    between = {a.code: _place(a) for a in Area.objects.filter(code__in=codes).only("code", "name", "level")}
    trail = (root, *(between[c] for c in codes if c in between), *(() if place.code == root.code else (place,)))
    return MapSelection(place, trail, roots, CHILD_LEVEL[place.level])


# --- measures -----------------------------------------------------------------------------


def _prefix_q(field: str, prefixes: tuple[str, ...]) -> Q:
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def selection_cases(*, user: AnyUser, selection: MapSelection, now: dt.datetime | None = None) -> QuerySet[Case]:
    """Open cases in the selection that the person may see, newest first, each with
    `.is_overdue`; from case_list_visible_to, narrowed by code prefix."""
    now = now or timezone.now()
    return (
        case_list_visible_to(user=user)
        .filter(_prefix_q("cell_code", selection.prefixes), status__in=OPEN_STATUSES)
        .annotate(is_overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))
        .defer("grid_cell__geom", "centre__geom", "location")
        .order_by("-reported_at", "-id")
    )


def _cell_stats_sql(*, user: AnyUser, selection: MapSelection, risk_model: str, now: dt.datetime,
                    cells: bool) -> tuple[str, list[Any]]:
    """Per visible cell of the drawn places: open and overdue counts of the cases the person
    may see, and the newest risk run's level, score and factors."""
    prefixes = selection.parent_prefix if cells else selection.prefixes
    counts = (
        case_list_visible_to(user=user)
        .filter(_prefix_q("cell_code", prefixes), status__in=OPEN_STATUSES)
        .order_by()
        .values("grid_cell_id")
        .annotate(n_open=Count("pk"), n_overdue=Count("pk", filter=overdue_q(now)))
    )
    counts_sql, counts_params = counts.query.sql_with_params()
    newest = RiskScore.objects.filter(model=risk_model).order_by("-horizon_start").values("horizon_start")[:1]
    risk = RiskScore.objects.filter(model=risk_model, horizon_start=Subquery(newest)).values(
        "cell_id", "level", "score", "factors"
    )
    risk_sql, risk_params = risk.query.sql_with_params()
    visible = cells_visible_to(user=user).filter(_prefix_q("code", prefixes)).values("pk")
    visible_sql, visible_params = visible.query.sql_with_params()
    sql = f"""
        SELECT g.id, g.code, g.name, COALESCE(o.n_open, 0) AS n_open, COALESCE(o.n_overdue, 0) AS n_overdue,
               r.level AS risk_level, r.score AS risk_score, r.factors AS risk_factors
        FROM {GridCell._meta.db_table} g
        LEFT JOIN ({counts_sql}) o ON o.grid_cell_id = g.id
        LEFT JOIN ({risk_sql}) r ON r.cell_id = g.id
        WHERE g.id IN ({visible_sql})
    """  # noqa: S608 - table names and subqueries from the ORM; values are bound parameters
    return sql, [*counts_params, *risk_params, *visible_params]


def _risk_sums() -> str:
    return ", ".join(f"'{level}', count(*) FILTER (WHERE s.risk_level = '{level}')" for level in RISK_LEVELS)


def _worst_level() -> str:
    whens = " ".join(
        f"WHEN count(*) FILTER (WHERE s.risk_level = '{level}') > 0 THEN '{level}'" for level in RISK_LEVELS
    )
    return f"CASE {whens} END"


def map_layer(*, user: AnyUser, selection: MapSelection, risk_model: str, cells: bool = False,
              geometry: bool = True, now: dt.datetime | None = None) -> str:
    """The places the map draws for `selection`, as one JSON text built in one statement.

    Areas one level below (or the selected community's cells, or with `cells` every cell in
    the selection) with: code, name, level, open_cases, overdue_cases, risk_level (a cell's
    own; an area's highest among its cells), risk_counts (areas: cells per level), cells
    (areas: how many). With `geometry` a GeoJSON FeatureCollection simplified for the
    selection's level; without, a JSON array of the properties (the page's table)."""
    now = now or timezone.now()
    draw_cells = cells or selection.child_level == CELL
    empty = '{"type": "FeatureCollection", "features": []}' if geometry else "[]"
    if not selection.prefixes:
        return empty  # nobody's jurisdiction: an administrator before any area is loaded
    try:
        stats_sql, stats_params = _cell_stats_sql(user=user, selection=selection, risk_model=risk_model, now=now,
                                                  cells=draw_cells)
    except EmptyResultSet:  # a queryset the ORM knows to be empty has no SQL
        return empty
    tolerance, decimals = DETAIL[selection.level]
    params: list[Any] = []
    if draw_cells:
        geom = "ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(g.geom, %s)), %s)::json"
        # Cells carry their risk score and factors for the popup, except every cell of the
        # city at once (a third of its 10,000 cells' bytes): drilling down shows them.
        detail = "" if selection.level == Area.Level.CITY else ", 'risk_score', s.risk_score, 'risk_factors', s.risk_factors"
        props = f"""json_build_object(
                'code', s.code, 'name', s.name, 'level', 'cell',
                'open_cases', s.n_open, 'overdue_cases', s.n_overdue, 'risk_level', s.risk_level{detail})"""
        rows_sql = f"""
            SELECT s.id, s.code, {props} AS props{", " + geom + " AS geometry" if geometry else ""}
            FROM stats s{f" JOIN {GridCell._meta.db_table} g ON g.id = s.id" if geometry else ""}
        """  # noqa: S608 - the table name comes from the model; values are bound parameters
        if geometry:
            params += [tolerance, decimals]
    else:
        if selection.place is None:
            children = Area.objects.filter(code__in=[r.code for r in selection.roots])
        else:
            children = Area.objects.filter(level=selection.child_level, code__startswith=selection.place.prefix)
        children_sql, children_params = children.values("pk").query.sql_with_params()
        geom = "ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(a.geom, %s)), %s)::json"
        props = f"""json_build_object(
                'code', a.code, 'name', a.name, 'level', a.level,
                'open_cases', COALESCE(sum(s.n_open), 0), 'overdue_cases', COALESCE(sum(s.n_overdue), 0),
                'cells', count(s.id), 'risk_level', {_worst_level()},
                'risk_counts', json_build_object({_risk_sums()}))"""
        prefix = "CASE WHEN a.level = 'city' THEN left(a.code, 4) ELSE a.code END"
        rows_sql = f"""
            SELECT a.id, a.code, {props} AS props{", " + geom + " AS geometry" if geometry else ""}
            FROM {Area._meta.db_table} a
            LEFT JOIN stats s ON starts_with(s.code, {prefix})
            WHERE a.id IN ({children_sql})
            GROUP BY a.id
        """  # noqa: S608 - as above
        if geometry:
            params += [tolerance, decimals]
        params += children_params
    if geometry:
        body = """json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
                'type', 'Feature', 'id', r.code, 'geometry', r.geometry, 'properties', r.props) ORDER BY r.code),
                '[]'::json))::text"""
    else:
        body = "COALESCE(json_agg(r.props ORDER BY r.code), '[]'::json)::text"
    # MATERIALIZED: computed once, however many areas the join below walks over it.
    sql = f"WITH stats AS MATERIALIZED ({stats_sql}) SELECT {body} FROM ({rows_sql}) r"  # noqa: S608 - as above
    with connection.cursor() as cursor:
        cursor.execute(sql, [*stats_params, *params])
        row = cursor.fetchone()
    return str(row[0])
