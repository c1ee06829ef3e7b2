"""A year of demo cases, played through cases.services like every other write: hot spots
and a background spread by households, most closed on time, some late, some still open."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.contrib.gis import geos
from django.core.files.base import ContentFile
from django.utils import timezone
from numpy.typing import NDArray
from PIL import Image
from shapely.geometry.base import BaseGeometry

from access import codes
from access.errors import OutsideCity
from cases import services
from cases.models import Case, Category, DepartmentUnit
from cases.worktime import add_working_hours
from demo.places import CityPlan, sample_points
from demo.taxonomy import TAXONOMY
from geo.selectors import grid_cell_for_point
from grids.models import GridCell

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from demo.load import LoadReport
    from demo.people import People

# Street addresses of the reports.
_ROADS = (
    "人民路", "中山路", "解放路", "学前街", "县前街", "健康路", "五爱路", "广瑞路", "通扬路", "清扬路", "太湖大道",
    "金城路", "梁溪路", "湖滨路", "长江路", "锡沪路", "澄江路", "宜城路", "新华路", "惠山大道", "春申路", "建设路",
)


_REJECT_REASONS = ("重复上报，已并入同一事件的在办案件", "经核实不属于受理范围", "现场核实无此情况")
_RETURN_REASON = "非本单位职责，请改派{department}"
_VERIFY_FAIL_NOTE = "现场复核未整改到位，请重新处理"
_RESULTS = ("已现场处置完毕", "已督促当事人整改到位", "已联合社区上门处理，当事人表示理解", "已维修恢复", "已清理完毕")
_SPOT_NOTES = ("现场劝导，当事人已自行整改", "已现场清理", "已现场调解，双方达成一致", "已上门走访并落实帮扶")
_PAUSES = [Case.Status.REPORTED, Case.Status.ACCEPTED, Case.Status.DISPATCHED, Case.Status.IN_PROGRESS,
           Case.Status.HANDLED]
_PAUSE_P = np.array([0.25, 0.15, 0.2, 0.25, 0.15])
# Themes of hot spots (top-level category codes) and how often each occurs.
_HOTSPOT_THEMES = {"04": 4.0, "03": 2.5, "01": 2.0, "05": 1.5, "02": 1.0}


@dataclass(frozen=True)
class _HotSpot:
    lon: float
    lat: float
    radius_m: float
    theme: str
    bursts: tuple[float, ...]  # days ago a run of reports started


def _photo(rng: np.random.Generator, name: str) -> Any:
    """A small real JPEG: resolving on the spot requires a photo, and the service decodes it."""
    buffer = io.BytesIO()
    colour = tuple(int(v) for v in rng.integers(60, 200, size=3))
    Image.new("RGB", (96, 72), colour).save(buffer, format="JPEG", quality=70)
    return ContentFile(buffer.getvalue(), name=name)


def _point_in(geom: BaseGeometry, rng: np.random.Generator) -> tuple[float, float]:
    x, y = sample_points(geom, 1, None, rng)[0]
    return float(x), float(y)


def _working_moment(moment: dt.datetime) -> dt.datetime:
    """The first working instant at or after `moment` (department staff keep office hours)."""
    return add_working_hours(moment, 0)


def _within(start: dt.datetime, deadline: dt.datetime | None, rng: np.random.Generator, on_time: bool,
            fallback_hours: float) -> dt.datetime:
    """A moment before the deadline (on time) or some working hours after it (late)."""
    if deadline is None or deadline <= start:
        return add_working_hours(start, fallback_hours * float(rng.uniform(0.2, 0.9)))
    if on_time:
        return _working_moment(start + (deadline - start) * float(rng.uniform(0.1, 0.9)))
    return add_working_hours(deadline, float(rng.uniform(0.5, 16.0)))


class _Story:
    """Plays one case's history through the services, stopping at the present or, for a
    case left waiting in someone's queue, once it reaches `pause`."""

    def __init__(self, case: Case, now: dt.datetime, pause: str | None = None) -> None:
        self.case = case
        self.now = now
        self.pause = pause

    def step(self, at: dt.datetime, action: Callable[..., Case], **kwargs: Any) -> bool:
        if at >= self.now or self.case.status == self.pause:
            return False
        self.case = action(case_id=self.case.pk, at=at, **kwargs)
        return True


def write_cases(
    *, n: int, plan: CityPlan, cells: list[GridCell], units: dict[tuple[str, str], DepartmentUnit],
    leaves: list[Category], people: People, rng: np.random.Generator, now: dt.datetime, report: LoadReport,
) -> int:
    """n cases over the past 365 days, through cases.services like any other report.

    About half come from hot spots — a place with a theme (a market with street vendors, an
    old estate with blocked fire lanes) and a few bursts in time — and the rest are spread
    over the city in proportion to households, so dense districts report more. Most cases
    run their full course and are closed; recent ones are still open wherever "now" cuts
    them, and a few older ones are left stuck to show as overdue.
    """
    specs = {leaf.code: leaf for group in TAXONOMY for leaf in group.leaves}
    urban_of = {c.code: c.urban for c in plan.cells}
    cell_shapes = {c.code: c.geom for c in plan.cells}
    city_shape = plan.areas[0].geom
    shapely.prepare(city_shape)
    weights = np.array([c.households * (2.0 if urban_of[c.code] else 1.0) for c in cells], dtype=float)
    weights /= weights.sum()

    def leaf_weights(urban: bool, theme: str | None = None) -> NDArray[np.float64]:
        w = []
        for leaf in leaves:
            spec = specs[leaf.code]
            fit = {"any": 1.0, "urban": 1.5 if urban else 0.2, "rural": 0.3 if urban else 1.8}[spec.setting]
            if theme is not None and not leaf.code.startswith(theme):
                fit *= 0.15
            w.append(spec.weight * fit)
        arr = np.asarray(w)
        return arr / arr.sum()

    themes = list(_HOTSPOT_THEMES)
    theme_p = np.array(list(_HOTSPOT_THEMES.values()))
    hotspots: list[_HotSpot] = []
    for index in rng.choice(len(cells), size=max(3, n // 30), replace=False, p=weights):
        lon, lat = _point_in(cell_shapes[cells[int(index)].code], rng)
        bursts = tuple(float(d) for d in rng.uniform(5, 360, size=int(rng.integers(2, 5))))
        spot_theme = str(rng.choice(themes, p=theme_p / theme_p.sum()))
        hotspots.append(_HotSpot(lon, lat, float(rng.uniform(80, 350)), spot_theme, bursts))
    # One in the demo's focal community, busy lately, so gw_liangxi, centre_community and
    # dept_chengguan find work waiting when they log in.
    focus = next((c for c in cells if c.code.startswith(people.focus_community)), None)
    if focus is not None:
        lon, lat = _point_in(cell_shapes[focus.code], rng)
        hotspots.append(_HotSpot(lon, lat, 120.0, "04", (8.0, 45.0, 160.0)))

    metres_per_degree = 111_320.0
    made = 0
    for _ in range(n):
        theme: str | None = None
        for _attempt in range(20):
            if rng.random() < 0.5:
                spot = hotspots[int(rng.integers(len(hotspots)))]
                scale = spot.radius_m / metres_per_degree
                lon = spot.lon + float(rng.normal(0, scale / math.cos(math.radians(spot.lat))))
                lat = spot.lat + float(rng.normal(0, scale))
                # Near-repeat: reports follow a burst's start, most within a couple of weeks.
                days_ago = float(rng.choice(spot.bursts)) - float(rng.exponential(12.0))
                theme = spot.theme
            else:
                cell = cells[int(rng.choice(len(cells), p=weights))]
                lon, lat = _point_in(cell_shapes[cell.code], rng)
                # A slice of the last fortnight on top of the even spread keeps the queues of
                # a freshly loaded demo from looking empty.
                days_ago = float(rng.uniform(0, 14 if rng.random() < 0.15 else 365))
                theme = None
            if 0.05 < days_ago < 365 and shapely.contains_xy(city_shape, lon, lat):
                break
        else:
            continue
        location = geos.Point(lon, lat, srid=4326)
        hit = grid_cell_for_point(location)
        if hit is None:
            continue
        urban = urban_of.get(hit.code, True)
        leaf = leaves[int(rng.choice(len(leaves), p=leaf_weights(urban, theme)))]
        spec = specs[leaf.code]
        reported_at = now - dt.timedelta(days=days_ago)
        # Reports come in the daytime: move the clock to a plausible hour of that day.
        local = timezone.localtime(reported_at)
        hour = float(np.clip(rng.normal(12.5, 3.0), 7.0, 21.5))
        reported_at = local.replace(hour=int(hour), minute=int((hour % 1) * 60), second=int(rng.integers(60)))
        if reported_at >= now:
            reported_at = now - dt.timedelta(minutes=30)

        worker = people.cell_worker.get(hit.pk)
        roll = rng.random()
        if worker is not None and roll < 0.75:
            reporter, source = worker, Case.Source.GRID_WORKER
        elif roll < 0.9:
            reporter, source = people.users["citizen"], Case.Source.CITIZEN
        else:
            reporter, source = None, Case.Source.API  # the 12345 hotline's feed
        road = str(rng.choice(_ROADS))
        try:
            case = services.case_report(
                actor=reporter, category=leaf, location=location, description=str(rng.choice(spec.examples)),
                source=source, address=f"{hit.community.name}{road}{int(rng.integers(1, 400))}号", at=reported_at,
            )
        except OutsideCity:
            continue
        made += 1
        _play(case, reporter=reporter, worker=worker, people=people, units=units, rng=rng, now=now,
              days_ago=days_ago)
    report.counts["cases"] = made
    return made


def _play(
    case: Case, *, reporter: User | None, worker: User | None, people: People,
    units: dict[tuple[str, str], DepartmentUnit], rng: np.random.Generator, now: dt.datetime, days_ago: float,
) -> None:
    """Takes a fresh report through its workflow: resolved on the spot, rejected, or
    accepted → dispatched (sometimes to the wrong unit first) → signed for → handled →
    verified (sometimes failed once and reworked)."""
    # Recent cases are often still waiting somewhere: in the centre's queue, with a unit,
    # or for verification.
    pause = None
    if days_ago < 14 and rng.random() < 0.5:
        pause = str(rng.choice(_PAUSES, p=_PAUSE_P))
    story = _Story(case, now, pause)
    t = case.reported_at
    centre = people.centre_for(case.cell_code)
    by_its_worker = reporter is not None and reporter is worker
    if case.category.self_resolvable and by_its_worker and rng.random() < 0.65:
        t += dt.timedelta(minutes=float(rng.uniform(5, 45)))
        story.step(t, services.case_resolve_on_spot, actor=reporter, note=str(rng.choice(_SPOT_NOTES)),
                   photos=[_photo(rng, f"spot-{case.number}.jpg")])
        return
    t = add_working_hours(t, float(rng.uniform(0.1, 2.5)))
    if rng.random() < 0.06:
        story.step(t, services.case_reject, actor=centre, reason=str(rng.choice(_REJECT_REASONS)))
        return
    if not story.step(t, services.case_accept, actor=centre):
        return
    district = codes.district_code(case.cell_code)
    department = case.category.default_department
    right_unit = units[(department.code if department else "zongzhi", district)]
    if rng.random() < 0.05:
        # Sent to the wrong unit first: it sends the case back and the centre re-dispatches.
        wrong = [u for (dept, d), u in units.items() if d == district and u.pk != right_unit.pk]
        wrong_unit = wrong[int(rng.integers(len(wrong)))]
        t = add_working_hours(t, float(rng.uniform(0.05, 1.5)))
        if not story.step(t, services.case_dispatch, actor=centre, unit=wrong_unit):
            return
        t = add_working_hours(t, float(rng.uniform(0.5, 4.0)))
        reason = _RETURN_REASON.format(department=right_unit.name)
        if not story.step(t, services.case_return, actor=people.unit_staff[wrong_unit.pk], reason=reason):
            return
    t = add_working_hours(t, float(rng.uniform(0.05, 1.5)))
    if not story.step(t, services.case_dispatch, actor=centre, unit=right_unit):
        return
    staff = people.unit_staff[right_unit.pk]
    stuck = days_ago > 20 and rng.random() < 0.06  # left open past its deadlines: the overdue list
    if stuck and rng.random() < 0.5:
        return
    t = _within(t, story.case.sign_deadline, rng, rng.random() < 0.94, story.case.sign_for_hours)
    if not story.step(t, services.case_sign_for, actor=staff) or stuck:
        return
    for rework in (False, True):
        t = _within(t, story.case.handle_deadline, rng, rework or rng.random() < 0.9, 8.0 * max(1, story.case.handle_days))
        if not story.step(t, services.case_report_handled, actor=staff, result=str(rng.choice(_RESULTS))):
            return
        t = add_working_hours(t, float(rng.uniform(0.5, 6.0)))
        verifier = worker if worker is not None and rng.random() < 0.15 else centre
        passed = rework or rng.random() < 0.95
        note = "" if passed else _VERIFY_FAIL_NOTE
        if not story.step(t, services.case_verify, actor=verifier, passed=passed, note=note) or passed:
            return
