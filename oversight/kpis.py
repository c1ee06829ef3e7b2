"""The KPIs of DOMAIN §4 (综合评价), per department unit and per area, over a period.

Everything starts from case_list_visible_to (a supervisor measures only their own
jurisdiction) narrowed to one area's code prefix. Counts come from two grouped SQL
queries with conditional aggregates: one over the cases (deadlines, closure, handling
time, satisfaction), one over the append-only timeline (dispatches, returns, extensions,
verifications). Only the overdue *hours* are summed in Python, over the overdue rows
alone, because working time needs China's holidays and adjusted working days, which live
in `chinese-calendar` and not in the database (cases.worktime).

The period P is [date_from 00:00, date_to + 1 day 00:00) in local time (Asia/Shanghai).
"now" is the moment of the query (or the `now` given), so a case whose deadline lies
later in P is not yet due.

Definitions (a rate whose denominator is 0 is None, shown as "—"):

reports filed        cases with reported_at in P.
valid-report rate    of the reports filed in P that have been decided (accepted, rejected
                     or resolved on the spot), those accepted or resolved on the spot.
                     Reports still waiting for the centre are neither valid nor invalid yet.
self-resolved rate   reports filed in P resolved on the spot (a `resolve_on_spot` event)
                     ÷ reports filed in P.
dispatch time        mean wall-clock hours, over the `dispatch` events in P, from the moment
                     the case last entered the centre's dispatch queue (its latest `accept`,
                     `return` or `reopen` event before the dispatch) to the dispatch.
sign-for on-time     of the cases whose current sign-for deadline (set by the latest
rate                 dispatch or reassignment) fell in P and has passed or been met, those
                     signed for (a `sign_for` event after that dispatch) by the deadline.
cases due 应结案数    cases whose handling deadline fell in P and that are closed or whose
                     deadline has passed: open overdue cases count, so a unit cannot look
                     good by leaving cases open. The deadline is the one in force, after
                     approved extensions; a returned case has none (it is back with the
                     centre) and is due nowhere.
closure rate 结案率   cases due that are closed ÷ cases due.
on-time closure rate cases due closed at or before their handling deadline ÷ cases due.
按期结案率
overdue count        cases due not closed on time (closed late, or still open).
overdue hours        working hours (09:00–17:00 on working days) from the handling
                     deadline to the closure, or to now for open cases, summed over the
                     overdue cases.
rework rate 返工率    `verify_fail` events in P ÷ verifications (`verify_pass` + `verify_fail`)
                     in P.
return rate 退回率    `return` events in P ÷ dispatches (`dispatch` + `reassign`) in P.
extension rate 延期率 approved extensions (`approve_extension` events) in P ÷ dispatches in P.
handling time        over the cases closed in P after a dispatch: wall-clock hours from the
                     latest dispatch (or reassignment) to the closure; mean and 90th
                     percentile (continuous, PostgreSQL percentile_cont).
satisfaction         mean of the 1–5 ratings of the cases closed in P that were evaluated.

Per unit: the case measures belong to the case's current unit; the timeline measures to
the unit named on each event (a return names the unit that returned the case).
Per area: every measure belongs to the area containing the case's grid cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Case as CaseWhen
from django.db.models import Exists, F, OuterRef, QuerySet, When
from django.db.models.functions import Least
from django.http import Http404
from django.utils import timezone

from access.codes import ancestor_codes, jurisdiction_prefix
from access.roles import Roles, roles_of
from cases.models import Case, CaseEvent, DepartmentUnit, Supervision
from cases.selectors import case_list_visible_to, handle_late_q, sign_late_q, supervised_roots
from cases.worktime import working_hours_between
from grids.models import Area, GridCell

if TYPE_CHECKING:
    from access.roles import AnyUser

A = CaseEvent.Action
S = Case.Status

# Colour grades of the on-time closure rate (按期结案率); a city may tune them.
GOOD_FROM = 0.95
FAIR_FROM = 0.85

CELL_CODE_LENGTH = 15


@dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date  # inclusive

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, timezone.get_current_timezone())

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, timezone.get_current_timezone())


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class KpiRow:
    """One line of a KPI table: raw counts, and the rates derived from them."""

    key: str
    label: str = ""
    code: str = ""
    drill: bool = False  # the area has a level below to drill into
    link: str = ""  # where the page's row leads (set by the view)
    filed: int = 0
    decided: int = 0
    valid: int = 0
    self_resolved: int = 0
    dispatches: int = 0
    returns: int = 0
    extensions: int = 0
    verifications: int = 0
    reworks: int = 0
    dispatch_hours: float | None = None
    sign_due: int = 0
    sign_on_time: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue_hours: float = 0.0
    handling_mean: float | None = None
    handling_p90: float | None = None
    satisfaction: float | None = None
    evaluated: int = 0

    @property
    def overdue(self) -> int:
        return self.due - self.closed_on_time

    @property
    def valid_rate(self) -> float | None:
        return _ratio(self.valid, self.decided)

    @property
    def self_resolved_rate(self) -> float | None:
        return _ratio(self.self_resolved, self.filed)

    @property
    def sign_on_time_rate(self) -> float | None:
        return _ratio(self.sign_on_time, self.sign_due)

    @property
    def closure_rate(self) -> float | None:
        return _ratio(self.closed, self.due)

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.closed_on_time, self.due)

    @property
    def rework_rate(self) -> float | None:
        return _ratio(self.reworks, self.verifications)

    @property
    def return_rate(self) -> float | None:
        return _ratio(self.returns, self.dispatches)

    @property
    def extension_rate(self) -> float | None:
        return _ratio(self.extensions, self.dispatches)

    @property
    def grade(self) -> str:
        """good / fair / poor by the on-time closure rate; "" when nothing was due."""
        rate = self.on_time_rate
        if rate is None:
            return ""
        return "good" if rate >= GOOD_FROM else "fair" if rate >= FAIR_FROM else "poor"


# --- jurisdiction -------------------------------------------------------------------------


def area_prefix(area: Area) -> str:
    """The cell-code prefix of an area: a city's cells share its first four digits."""
    return jurisdiction_prefix(area.code, area.level)


def _may_open(roles: Roles, area: Area) -> bool:
    return roles.is_admin or any(area_prefix(area).startswith(p) for p in roles.supervisor_prefixes)


def supervised_area(*, user: AnyUser, code: str | None) -> Area:
    """The area a supervisor asks about: by default the top of their jurisdiction; any
    other must lie inside it, else 404 (as for a missing one: codes leak nothing)."""
    if not code:
        roots = supervised_roots(user=user)
        if not roots:
            raise Http404("No area")
        return roots[0]
    area = Area.objects.defer("geom").filter(code=code).first() if code.isdigit() else None
    if area is None or not _may_open(roles_of(user), area):
        raise Http404("No such area")
    return area


def breadcrumb(*, user: AnyUser, area: Area) -> list[tuple[Area, bool]]:
    """The area's ancestors and itself, top first (one query: codes nest by prefix), each
    with whether the user may open it."""
    roles = roles_of(user)
    codes = ancestor_codes(area.code)
    found = {a.code: a for a in Area.objects.defer("geom").filter(code__in=codes)}
    return [(found[c], _may_open(roles, found[c])) for c in codes if c in found]


def _children(area: Area) -> list[tuple[str, str, bool]]:
    """(code, name, has a level below) of the areas, or grid cells, one level below."""
    if area.level == Area.Level.COMMUNITY:
        return [(c, n, False) for c, n in GridCell.objects.filter(community=area).order_by("code").values_list("code", "name")]
    return [(c, n, True) for c, n in Area.objects.filter(parent=area).order_by("code").values_list("code", "name")]


def _child_length(area: Area) -> int:
    return {Area.Level.CITY: 6, Area.Level.DISTRICT: 9, Area.Level.STREET: 12}.get(
        Area.Level(area.level), CELL_CODE_LENGTH
    )


# --- the two grouped queries ----------------------------------------------------------------


def _visible_ids_sql(*, user: AnyUser, area: Area) -> tuple[str, tuple[Any, ...]]:
    qs = case_list_visible_to(user=user).filter(cell_code__startswith=area_prefix(area)).order_by().values("pk")
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


_CASE_SQL = """
WITH facts AS (
  SELECT {key} AS k, c.status, c.closed_at, c.handle_deadline, c.sign_deadline, c.satisfaction,
    c.reported_at >= %s AND c.reported_at < %s AS filed,
    (SELECT max(e.created_at) FROM cases_caseevent e
      WHERE e.case_id = c.id AND e.action IN ('dispatch', 'reassign')) AS last_dispatch,
    (SELECT max(e.created_at) FROM cases_caseevent e
      WHERE e.case_id = c.id AND e.action = 'sign_for') AS last_sign,
    EXISTS (SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'accept') AS accepted,
    EXISTS (SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'reject') AS rejected,
    EXISTS (SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'resolve_on_spot') AS on_spot,
    c.handle_deadline >= %s AND c.handle_deadline < %s
      AND (c.status = 'closed' OR c.handle_deadline < %s) AS due,
    c.closed_at >= %s AND c.closed_at < %s AND c.status = 'closed' AS closed_in
  FROM cases_case c
  WHERE c.id IN ({visible})
    -- Only cases the period can touch, before the per-case timeline lookups run.
    AND (c.reported_at >= %s AND c.reported_at < %s OR c.handle_deadline >= %s AND c.handle_deadline < %s
         OR c.sign_deadline >= %s AND c.sign_deadline < %s OR c.closed_at >= %s AND c.closed_at < %s)
), sign AS (
  SELECT *, last_sign IS NOT NULL AND last_sign >= last_dispatch AS signed,
    sign_deadline >= %s AND sign_deadline < %s AS sign_in
  FROM facts
)
SELECT k,
  count(*) FILTER (WHERE filed),
  count(*) FILTER (WHERE filed AND (accepted OR rejected OR on_spot)),
  count(*) FILTER (WHERE filed AND (accepted OR on_spot)),
  count(*) FILTER (WHERE filed AND on_spot),
  count(*) FILTER (WHERE sign_in AND (signed OR sign_deadline < %s)),
  count(*) FILTER (WHERE sign_in AND signed AND last_sign <= sign_deadline),
  count(*) FILTER (WHERE due),
  count(*) FILTER (WHERE due AND status = 'closed'),
  count(*) FILTER (WHERE due AND status = 'closed' AND closed_at <= handle_deadline),
  avg(extract(epoch FROM closed_at - last_dispatch) / 3600)
    FILTER (WHERE closed_in AND last_dispatch IS NOT NULL),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - last_dispatch) / 3600)
    FILTER (WHERE closed_in AND last_dispatch IS NOT NULL),
  avg(satisfaction) FILTER (WHERE closed_in AND satisfaction IS NOT NULL),
  count(satisfaction) FILTER (WHERE closed_in)
FROM sign GROUP BY k
"""

_CASE_FIELDS = ("filed", "decided", "valid", "self_resolved", "sign_due", "sign_on_time", "due", "closed",
                "closed_on_time", "handling_mean", "handling_p90", "satisfaction", "evaluated")

_EVENT_SQL = """
SELECT {key} AS k,
  count(*) FILTER (WHERE e.action IN ('dispatch', 'reassign')),
  count(*) FILTER (WHERE e.action = 'return'),
  count(*) FILTER (WHERE e.action = 'approve_extension'),
  count(*) FILTER (WHERE e.action IN ('verify_pass', 'verify_fail')),
  count(*) FILTER (WHERE e.action = 'verify_fail'),
  avg(extract(epoch FROM e.created_at - (
      SELECT max(q.created_at) FROM cases_caseevent q
      WHERE q.case_id = e.case_id AND q.action IN ('accept', 'return', 'reopen') AND q.created_at <= e.created_at
    )) / 3600) FILTER (WHERE e.action = 'dispatch')
FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id
WHERE c.id IN ({visible}) AND e.created_at >= %s AND e.created_at < %s
GROUP BY k
"""

_EVENT_FIELDS = ("dispatches", "returns", "extensions", "verifications", "reworks", "dispatch_hours")

_OVERDUE_SQL = """
SELECT {key} AS k, c.handle_deadline, CASE WHEN c.status = 'closed' THEN c.closed_at ELSE %s END
FROM cases_case c
WHERE c.id IN ({visible}) AND c.handle_deadline >= %s AND c.handle_deadline < %s
  AND (CASE WHEN c.status = 'closed' THEN c.closed_at ELSE %s END) > c.handle_deadline
"""


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(row) for row in cursor.fetchall()]


def _number(value: Any) -> Any:
    # PostgreSQL's avg() of integers is a Decimal: floats for the templates and files.
    return float(value) if value is not None and not isinstance(value, int) else value


def _measure(
    *, user: AnyUser, area: Area, period: Period, now: dt.datetime, case_key: str, event_key: str
) -> dict[Any, KpiRow]:
    visible, vparams = _visible_ids_sql(user=user, area=area)
    start, end = period.start, period.end
    rows: dict[Any, KpiRow] = {}

    def row(key: Any) -> KpiRow:
        return rows.setdefault(key, KpiRow(key=str(key) if key is not None else ""))

    case_params = (start, end, start, end, now, start, end, *vparams, *(start, end) * 4, start, end, now)
    for k, *values in _fetch(_CASE_SQL.format(key=case_key, visible=visible), case_params):
        target = row(k)
        for name, value in zip(_CASE_FIELDS, values, strict=True):
            setattr(target, name, _number(value))
    for k, *values in _fetch(_EVENT_SQL.format(key=event_key, visible=visible), (*vparams, start, end)):
        target = row(k)
        for name, value in zip(_EVENT_FIELDS, values, strict=True):
            setattr(target, name, _number(value))
    overdue_params = (now, *vparams, start, end, now)
    for k, deadline, until in _fetch(_OVERDUE_SQL.format(key=case_key, visible=visible), overdue_params):
        row(k).overdue_hours += working_hours_between(deadline, until)
    return rows


@dataclass
class Dashboard:
    area: Area
    period: Period
    total: KpiRow
    areas: list[KpiRow] = field(default_factory=list)
    units: list[KpiRow] = field(default_factory=list)


def area_kpis(*, user: AnyUser, area: Area, period: Period, now: dt.datetime | None = None) -> list[KpiRow]:
    """One row per area (or grid cell) one level below `area`, every child listed even
    when it has no cases, in code order."""
    now = now or timezone.now()
    length = _child_length(area)
    key = f"substr(c.cell_code, 1, {length:d})"
    measured = _measure(user=user, area=area, period=period, now=now, case_key=key, event_key=key)
    result = []
    for code, name, drill in _children(area):
        row = measured.pop(code, KpiRow(key=code))
        row.label, row.code, row.drill = name, code, drill
        result.append(row)
    for code, row in sorted(measured.items()):  # cells whose area row is missing: still shown
        row.label, row.code = code, code
        result.append(row)
    return result


def unit_kpis(*, user: AnyUser, area: Area, period: Period, now: dt.datetime | None = None) -> list[KpiRow]:
    """One row per department unit that held, or acted on, a case of `area` in the
    period, by department code and unit name."""
    now = now or timezone.now()
    measured = _measure(user=user, area=area, period=period, now=now, case_key="c.unit_id", event_key="e.unit_id")
    measured.pop(None, None)  # cases never dispatched: no unit to measure
    units = DepartmentUnit.objects.filter(pk__in=list(measured)).select_related("department").order_by(
        "department__code", "name"
    )
    result = []
    for unit in units:
        row = measured[unit.pk]
        row.label, row.code = unit.name, unit.department.code
        # A unit whose cases the period does not touch has nothing to show.
        if any((row.due, row.dispatches, row.returns, row.extensions, row.sign_due, row.verifications,
                row.evaluated, row.handling_mean is not None)):
            result.append(row)
    return result


def total_kpis(*, user: AnyUser, area: Area, period: Period, now: dt.datetime | None = None) -> KpiRow:
    """The whole area as one row."""
    now = now or timezone.now()
    measured = _measure(user=user, area=area, period=period, now=now, case_key="''", event_key="''")
    row = measured.get("", KpiRow(key=""))
    row.label, row.code = area.name, area.code
    return row


def dashboard(*, user: AnyUser, area: Area, period: Period, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    return Dashboard(
        area=area, period=period,
        total=total_kpis(user=user, area=area, period=period, now=now),
        areas=area_kpis(user=user, area=area, period=period, now=now),
        units=unit_kpis(user=user, area=area, period=period, now=now),
    )


# --- the overdue list -----------------------------------------------------------------------


def overdue_cases(*, user: AnyUser, area: Area, now: dt.datetime | None = None) -> QuerySet[Case]:
    """Open cases past their sign-for deadline (not signed for) or handling deadline, in the
    area, most overdue first. Each carries `overdue_since` (the deadline first passed),
    `sign_overdue` and `urged` (a supervisor already pressed it for the current handling
    deadline: case_urge would answer 409)."""
    now = now or timezone.now()
    sign_late = sign_late_q(now)
    handle_late = handle_late_q(now)
    return (
        case_list_visible_to(user=user)
        .filter(cell_code__startswith=area_prefix(area))
        .filter(sign_late | handle_late)
        .defer("grid_cell__geom", "centre__geom", "location")
        .annotate(
            overdue_since=CaseWhen(When(sign_late, then=Least("sign_deadline", "handle_deadline")),
                                default=F("handle_deadline")),
            sign_overdue=CaseWhen(When(sign_late, then=True), default=False),
            urged=Exists(Supervision.objects.filter(
                case=OuterRef("pk"), kind=Supervision.Kind.URGED, deadline=OuterRef("handle_deadline")
            )),
        )
        .order_by("overdue_since", "pk")
    )


def with_overdue_hours(cases: Iterable[Case], *, now: dt.datetime | None = None) -> list[Case]:
    """Sets `overdue_hours` (working hours since `overdue_since`) on each case of a page."""
    now = now or timezone.now()
    result = list(cases)
    for case in result:
        case.overdue_hours = working_hours_between(case.overdue_since, now)  # type: ignore[attr-defined]
    return result
