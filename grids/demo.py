"""A synthetic but plausible Wuxi for demos, manual testing and benchmarks.

Only the outlines of the city and its seven districts are real (AMap-derived, GCJ-02, MIT;
grids/data/wuxi-districts/). Everything inside them is generated from a fixed seed: street
and town names are real Wuxi names placed at made-up locations, community and village names
are made up, and the codes below district level follow the shape of the national statistical
codes (街道 001-099, 镇 100-199, 社区 001-199, 村 200-399) but not their real values.

Subdivision happens in a local plane in metres (an affine map of lon/lat): seed points drawn from an
"urbanness" density, grouped by k-means, then Voronoi polygons clipped to the parent. Each
level therefore tiles its parent exactly, as the boundary importer demands of comprehensive
grids (DOMAIN §1), and cells are small where people live densely.

`plan_city` is pure (no database); `load_demo_city` writes the plan, the departments and
categories of grids/demo_taxonomy.py, the demo accounts and a year of cases, the latter
through cases/services.py like every other write.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.gis import geos
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from numpy.typing import NDArray
from PIL import Image
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from accounts.services import require_password_change
from cases import services
from cases.errors import OutsideCity
from cases.models import Case, Category, Department, DepartmentUnit, RoleAssignment
from cases.scopes import rebuild_scope_groups
from cases.worktime import add_working_hours
from geo.coords import to_wgs84
from geo.selectors import grid_cell_for_point
from grids.demo_taxonomy import DEPARTMENTS, TAXONOMY, unit_name
from grids.models import Area, GridAssignment, GridCell

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DATA_DIR = Path(__file__).resolve().parent / "data" / "wuxi-districts"
CITY_CODE = "320200"
CITY_NAME = "无锡市"
DEMO_PASSWORD = "wangge-demo-2026"  # noqa: S105 -- printed on purpose by demo_accounts

Array = NDArray[np.float64]
XYTransform = Callable[[Array], Array]


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: str
    cells: int  # how many comprehensive grid cells to aim for
    cells_per_community: float
    streets: tuple[str, ...]  # 街道 first, then 镇; the most urban street gets the first name


# Cell targets follow population density: 梁溪 is the old city centre (about 1 M people on
# 75 km²), 江阴 and 宜兴 are large county-level cities with many villages.
DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec("320205", "锡山区", 380, 4.5, (
        "东亭街道", "安镇街道", "厚桥街道", "东北塘街道", "云林街道", "羊尖镇", "鹅湖镇", "锡北镇", "东港镇",
    )),
    DistrictSpec("320206", "惠山区", 360, 4.5, (
        "堰桥街道", "长安街道", "钱桥街道", "前洲街道", "玉祁街道", "洛社镇", "阳山镇",
    )),
    DistrictSpec("320211", "滨湖区", 420, 4.5, (
        "河埒街道", "荣巷街道", "蠡园街道", "蠡湖街道", "太湖街道", "华庄街道", "雪浪街道", "马山街道", "胡埭镇",
    )),
    DistrictSpec("320213", "梁溪区", 820, 6.0, (
        "崇安寺街道", "通江街道", "广瑞路街道", "上马墩街道", "江海街道", "广益街道", "迎龙桥街道", "南禅寺街道",
        "清名桥街道", "金星街道", "扬名街道", "黄巷街道",
    )),
    DistrictSpec("320214", "新吴区", 480, 5.0, (
        "旺庄街道", "江溪街道", "新安街道", "梅村街道", "硕放街道", "鸿山街道",
    )),
    DistrictSpec("320281", "江阴市", 560, 4.0, (
        "澄江街道", "南闸街道", "云亭街道", "城东街道", "申港街道", "夏港街道", "利港街道", "璜土镇", "月城镇",
        "青阳镇", "徐霞客镇", "华士镇", "周庄镇", "新桥镇", "长泾镇", "顾山镇", "祝塘镇",
    )),
    DistrictSpec("320282", "宜兴市", 560, 4.0, (
        "宜城街道", "屺亭街道", "新街街道", "新庄街道", "芳桥街道", "丁蜀镇", "和桥镇", "高塍镇", "杨巷镇",
        "新建镇", "徐舍镇", "官林镇", "万石镇", "周铁镇", "张渚镇", "太华镇", "西渚镇", "湖父镇",
    )),
)

# Urban centres (WGS84 lon, lat, relative weight, spread in km): the density of cells,
# households and cases falls off around them.
URBAN_CENTRES: tuple[tuple[float, float, float, float], ...] = (
    (120.300, 31.575, 1.00, 3.0),  # 崇安寺, the old city centre
    (120.320, 31.555, 0.70, 2.5),  # 南长 / 清名桥
    (120.280, 31.600, 0.55, 2.5),  # 北塘 / 黄巷
    (120.357, 31.588, 0.45, 2.5),  # 东亭, 锡山区
    (120.365, 31.495, 0.45, 3.5),  # 旺庄 / 新区
    (120.255, 31.545, 0.45, 3.0),  # 河埒 / 蠡湖, 滨湖区
    (120.298, 31.681, 0.40, 3.0),  # 堰桥, 惠山区
    (120.285, 31.915, 0.55, 4.0),  # 江阴城区
    (120.405, 31.840, 0.20, 2.5),  # 华士 / 周庄
    (119.820, 31.360, 0.50, 4.0),  # 宜兴城区
    (119.860, 31.270, 0.25, 2.5),  # 丁蜀
)
RURAL_DENSITY = 0.02
URBAN_DENSITY = 0.12  # density above which a cell counts as urban (社区, ~300 households)

# Name parts for communities (社区) and villages (村); combined, they give well over the
# ~800 names the city needs.
_NAME_HEADS = (
    "东", "西", "南", "北", "新", "中", "青", "红", "金", "银", "朝", "春", "惠", "梅", "荷", "桃", "柳", "竹",
    "松", "兰", "锦", "清", "明", "和", "平", "安", "康", "福", "泰", "永", "兴", "丰", "华", "文", "龙", "凤",
    "云", "江", "湖", "山", "长", "广", "盛", "瑞", "祥", "嘉", "鸿", "通", "宏", "富", "顺", "利", "万", "三",
    "五", "九", "双", "石", "蓉", "芦",
)
_COMMUNITY_TAILS = ("苑", "园", "里", "坊", "新村", "花园", "家园", "桥", "塘", "巷", "湾", "城", "庭")
_VILLAGE_TAILS = ("塘", "桥", "港", "泾", "浜", "墩", "庄", "巷", "湾", "圩", "岸", "埭", "舍", "渎", "山", "河", "头")


@dataclass
class Place:
    """One generated area or grid cell; geom is a WGS84 MultiPolygon."""

    code: str
    name: str
    level: str  # "city", "district", "street", "community" (Area.Level values) or "cell"
    parent_code: str | None
    geom: MultiPolygon
    households: int = 0
    population: int = 0
    urban: bool = True


@dataclass
class CityPlan:
    areas: list[Place] = field(default_factory=list)  # parents before children
    cells: list[Place] = field(default_factory=list)

    def by_level(self, level: str) -> list[Place]:
        return self.cells if level == "cell" else [a for a in self.areas if a.level == level]


# --- coordinates -------------------------------------------------------------------------


def _gcj02_to_wgs84_xy(xy: Array) -> Array:
    lon, lat = to_wgs84(xy[:, 0], xy[:, 1], "gcj02")
    return np.column_stack([lon, lat])


def _projector(source: int, target: int) -> XYTransform:
    transformer = Transformer.from_crs(source, target, always_xy=True)

    def project(xy: Array) -> Array:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return project


# Centre of Wuxi, for the local plane below.
_LON0, _LAT0 = 120.3, 31.6
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_LAT0))


def _local_plane() -> tuple[XYTransform, XYTransform]:
    """An equirectangular plane in metres around Wuxi, and its inverse.

    The map is affine, so a straight edge in the plane is a straight edge in lon/lat: a
    vertex that Voronoi clipping puts on a parent's edge stays exactly on that edge once
    stored in SRID 4326. A true projection (EPSG:4549) bends long edges and leaves
    sub-metre slivers that the boundary importer rightly refuses. Over Wuxi's ~1 degree of
    latitude the plane's scale is off by under 1%, which only shifts seed densities.
    """

    def forward(xy: Array) -> Array:
        return np.column_stack([(xy[:, 0] - _LON0) * _M_PER_DEG_LON, (xy[:, 1] - _LAT0) * _M_PER_DEG_LAT])

    def inverse(xy: Array) -> Array:
        return np.column_stack([xy[:, 0] / _M_PER_DEG_LON + _LON0, xy[:, 1] / _M_PER_DEG_LAT + _LAT0])

    return forward, inverse


def read_boundaries(directory: Path = DATA_DIR) -> dict[str, MultiPolygon]:
    """The city and district outlines by code, converted from GCJ-02 to WGS84 vertex by
    vertex (AMap's offset is up to ~500 m around Wuxi) and repaired if invalid."""
    boundaries: dict[str, MultiPolygon] = {}
    for path in sorted(directory.glob("*.geojson")):
        data = json.loads(path.read_text(encoding="utf-8"))
        code = str(data.get("properties", {}).get("adcode") or path.stem)
        geom = shape(data["geometry"] if data.get("type") == "Feature" else data)
        boundaries[code] = as_multipolygon(shapely.transform(geom, _gcj02_to_wgs84_xy))
    return boundaries


def as_multipolygon(geom: BaseGeometry, min_area: float = 0.0) -> MultiPolygon:
    """A valid MultiPolygon from whatever the overlay produced, without zero-area debris."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > min_area]
    if not parts:
        # A GeometryCollection from make_valid may nest its polygons one level deeper.
        parts = [
            q for p in shapely.get_parts(geom) for q in shapely.get_parts(p) if isinstance(q, Polygon) and q.area > min_area
        ]
    return MultiPolygon(parts)


# --- density and subdivision ---------------------------------------------------------------


@dataclass(frozen=True)
class Density:
    """Relative urbanness at metric coordinates: a rural floor plus Gaussian bumps."""

    centres: Array  # (n, 4): x, y, weight, sigma in metres

    @classmethod
    def for_wuxi(cls, to_metric: XYTransform) -> Density:
        lonlat = np.array([[c[0], c[1]] for c in URBAN_CENTRES])
        xy = to_metric(lonlat)
        weights = np.array([[c[2], c[3] * 1000.0] for c in URBAN_CENTRES])
        return cls(np.column_stack([xy, weights]))

    def __call__(self, x: Array, y: Array) -> Array:
        value = np.full(np.shape(x), RURAL_DENSITY)
        for cx, cy, weight, sigma in self.centres:
            value += weight * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
        return value

    @property
    def maximum(self) -> float:
        return RURAL_DENSITY + float(self.centres[:, 2].sum())


def sample_points(geom: BaseGeometry, n: int, density: Density | None, rng: np.random.Generator) -> Array:
    """n points inside geom, distributed like `density`, or uniformly if it is None
    (rejection sampling)."""
    if geom.area <= 0:
        raise ValueError("cannot sample points inside a geometry without area")
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    chunks: list[Array] = []
    have = 0
    ceiling = float(density(*_grid_over(geom)).max()) * 1.05 if density is not None else 1.0
    while have < n:
        batch = max(4 * (n - have), 1000)
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(geom, x, y)
        if density is not None:
            keep &= rng.uniform(0, ceiling, batch) < density(x, y)
        chunk = np.column_stack([x[keep], y[keep]])
        chunks.append(chunk)
        have += len(chunk)
    return np.concatenate(chunks)[:n]


def _grid_over(geom: BaseGeometry, steps: int = 60) -> tuple[Array, Array]:
    minx, miny, maxx, maxy = geom.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, steps), np.linspace(miny, maxy, steps))
    return gx.ravel(), gy.ravel()


def kmeans(points: Array, k: int, rng: np.random.Generator, iterations: int = 12) -> Array:
    """Lloyd's k-means: k centres that split the points into groups of similar size, so
    Voronoi regions around them hold similar numbers of people."""
    if len(points) <= k:
        return points.copy()
    # Work relative to the mean: metric coordinates are ~10⁶ m, and squaring them in
    # _nearest would spend the float's precision on the offset.
    origin = points.mean(axis=0)
    points = points - origin
    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    for _ in range(iterations):
        labels = _nearest(points, centres)
        counts = np.bincount(labels, minlength=k)
        filled = counts > 0
        for axis in (0, 1):
            sums = np.bincount(labels, weights=points[:, axis], minlength=k)
            centres[filled, axis] = sums[filled] / counts[filled]
    return centres + origin


def _nearest(points: Array, centres: Array) -> NDArray[np.intp]:
    # |p - c|² = |p|² - 2 p·c + |c|², and |p|² does not change which centre is nearest.
    d2 = (centres**2).sum(axis=1)[None, :] - 2.0 * (points @ centres.T)
    return np.asarray(d2.argmin(axis=1), dtype=np.intp)


def subdivide(parent: BaseGeometry, seeds: Array, *, min_share: float = 0.2) -> list[Polygon | MultiPolygon]:
    """Voronoi regions of `seeds` clipped to `parent`: pieces that tile it exactly.

    Clipping to a concave parent can leave a region in several pieces, and a seed near the
    edge can leave a sliver. Every piece but a region's largest, and every region smaller
    than `min_share` of the mean, is merged into the neighbour it shares most boundary with:
    merging moves no boundary, so the tiling stays exact.
    """
    if len(seeds) < 2:
        return [parent]
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent)
    regions = [shapely.intersection(cell, parent) for cell in shapely.get_parts(diagram)]
    pieces: list[list[Polygon]] = []
    for region in regions:
        parts = sorted((p for p in shapely.get_parts(region) if isinstance(p, Polygon) and p.area > 0),
                       key=lambda p: -p.area)
        if parts:
            pieces.append(parts)
    if not pieces:
        return [parent]
    min_area = min_share * parent.area / len(pieces)
    kept: list[BaseGeometry] = []
    orphans: list[Polygon] = []
    for parts in pieces:
        if parts[0].area >= min_area:
            kept.append(parts[0])
            orphans.extend(parts[1:])
        else:
            orphans.extend(parts)
    if not kept:
        return [parent]
    # Largest first: a big orphan can then adopt the small ones that touch only it.
    orphans.sort(key=lambda p: -p.area)
    while orphans:
        leftover: list[Polygon] = []
        for orphan in orphans:
            best, best_length = -1, 0.0
            for i, candidate in enumerate(kept):
                if not shapely.intersects(candidate, orphan):
                    continue
                length = shapely.length(shapely.intersection(candidate.boundary, orphan.boundary))
                if length > best_length:
                    best, best_length = i, length
            if best < 0:
                leftover.append(orphan)
            else:
                kept[best] = shapely.union(kept[best], orphan)
        if len(leftover) == len(orphans):
            # Touches nothing (an island of a multi-part parent): its own region after all.
            kept.extend(leftover)
            break
        orphans = leftover
    return [as_multipolygon(g) for g in kept]


# --- the plan ------------------------------------------------------------------------------


class _Names:
    """Unique community and village names for the whole city, drawn without replacement."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def take(self, suffix: str) -> str:
        tails = _COMMUNITY_TAILS if suffix == "社区" else _VILLAGE_TAILS
        for _ in range(200):
            name = str(self.rng.choice(_NAME_HEADS)) + str(self.rng.choice(tails)) + suffix
            if name not in self.used:
                self.used.add(name)
                return name
        serial = 2
        while True:  # the pools are exhausted only for cities far larger than Wuxi
            base = str(self.rng.choice(_NAME_HEADS)) + str(self.rng.choice(tails))
            name = f"{base}{_chinese_number(serial)}{suffix}"
            if name not in self.used:
                self.used.add(name)
                return name
            serial += 1


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def _centroid_density(geoms: Sequence[BaseGeometry], density: Density) -> Array:
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    return density(shapely.get_x(points), shapely.get_y(points))


def _order_by_density(geoms: list[Polygon | MultiPolygon], density: Density) -> list[Polygon | MultiPolygon]:
    """Most urban first: code 001 is the centre, as offices number their own areas."""
    values = _centroid_density(geoms, density)
    return [geoms[i] for i in np.argsort(-values, kind="stable")]


def _points_in(geom: BaseGeometry, points: Array) -> Array:
    shapely.prepare(geom)
    inside = shapely.contains_xy(geom, points[:, 0], points[:, 1])
    return points[inside]


def plan_district(
    spec: DistrictSpec,
    geom: BaseGeometry,
    *,
    density: Density,
    rng: np.random.Generator,
    names: _Names,
    points_per_cell: int = 40,
) -> tuple[list[Place], list[Place]]:
    """Streets, communities and cells of one district, all in metric coordinates.

    Returns (areas, cells) with geometries still metric; plan_city converts them. Sample
    points drawn from the density stand for people: each level is split by k-means on the
    points inside it, so every community ends up with a similar number of cells and every
    cell with a similar number of households.
    """
    points = sample_points(geom, spec.cells * points_per_cell, density, rng)
    areas: list[Place] = []
    cells: list[Place] = []
    # Streets balance people and land: a rural town is large but not as large as a purely
    # population-balanced split would make it, so half the k-means points are uniform.
    land = sample_points(geom, len(points), None, rng)
    street_seeds = kmeans(np.concatenate([points, land]), len(spec.streets), rng)
    street_geoms = _order_by_density(subdivide(geom, street_seeds, min_share=0.05), density)
    n_jie = sum(name.endswith("街道") for name in spec.streets)
    street_serial = {"jie": 0, "zhen": 99}
    for s_index, street_geom in enumerate(street_geoms):
        name = spec.streets[s_index] if s_index < len(spec.streets) else f"{spec.name[:2]}{s_index + 1}街道"
        is_town = name.endswith("镇") or s_index >= n_jie
        key = "zhen" if is_town else "jie"
        street_serial[key] += 1
        street_code = f"{spec.code}{street_serial[key]:03d}"
        areas.append(Place(street_code, name, "street", spec.code, as_multipolygon(street_geom), urban=not is_town))
        street_points = _points_in(street_geom, points)
        cells_here = len(street_points) / points_per_cell
        n_comm = max(1, round(cells_here / spec.cells_per_community))
        comm_seeds = kmeans(street_points, n_comm, rng)
        comm_geoms = _order_by_density(subdivide(street_geom, comm_seeds, min_share=0.05), density)
        comm_density = _centroid_density(comm_geoms, density)
        serial = {"社区": 0, "村": 199}
        for c_index, comm_geom in enumerate(comm_geoms):
            # Streets are mostly 社区; a town has villages, but its seat is a 社区.
            urban = (not is_town and comm_density[c_index] >= URBAN_DENSITY / 2) or comm_density[c_index] >= URBAN_DENSITY
            kind = "社区" if urban or (is_town and c_index == 0) else "村"
            serial[kind] += 1
            comm_code = f"{street_code}{serial[kind]:03d}"
            comm_name = names.take(kind)
            areas.append(Place(comm_code, comm_name, "community", street_code, as_multipolygon(comm_geom), urban=urban))
            comm_points = _points_in(comm_geom, street_points)
            n_cells = max(1, round(len(comm_points) / points_per_cell))
            cell_geoms = _order_by_density(subdivide(comm_geom, kmeans(comm_points, n_cells, rng)), density)
            cell_density = _centroid_density(cell_geoms, density)
            for k, cell_geom in enumerate(cell_geoms):
                cell_urban = bool(cell_density[k] >= URBAN_DENSITY / 2) and kind == "社区"
                if cell_urban:
                    households = int(rng.integers(240, 380))
                    population = round(households * rng.uniform(2.4, 2.9))
                else:
                    households = int(rng.integers(120, 330))
                    population = round(households * rng.uniform(2.9, 3.5))
                cells.append(Place(
                    f"{comm_code}{k + 1:03d}", f"{comm_name}第{k + 1}网格", "cell", comm_code,
                    as_multipolygon(cell_geom), households, population, cell_urban,
                ))
    return areas, cells


def plan_city(
    boundaries: dict[str, MultiPolygon] | None = None,
    *,
    seed: int = 1,
    districts: Iterable[DistrictSpec] = DISTRICTS,
    scale: float = 1.0,
) -> CityPlan:
    """The whole generated city in WGS84, parents before children.

    Every geometry goes WGS84 → local plane → WGS84 once, parents included, so a vertex that
    parent and child share has the very same coordinates in both. `scale` shrinks the cell
    targets (tests use it to plan quickly).
    """
    boundaries = boundaries if boundaries is not None else read_boundaries()
    to_metric, to_lonlat = _local_plane()
    density = Density.for_wuxi(to_metric)
    rng = np.random.default_rng(seed)
    names = _Names(rng)
    plan = CityPlan()
    city_metric = shapely.transform(boundaries[CITY_CODE], to_metric)
    plan.areas.append(Place(CITY_CODE, CITY_NAME, "city", None, as_multipolygon(city_metric)))
    for spec in districts:
        if scale != 1.0:
            spec = DistrictSpec(spec.code, spec.name, max(len(spec.streets), round(spec.cells * scale)),
                                spec.cells_per_community, spec.streets)
        district_metric = as_multipolygon(shapely.transform(boundaries[spec.code], to_metric))
        plan.areas.append(Place(spec.code, spec.name, "district", CITY_CODE, district_metric))
        areas, cells = plan_district(spec, district_metric, density=density, rng=rng, names=names)
        plan.areas.extend(areas)
        plan.cells.extend(cells)
    _sum_upwards(plan)
    for place in (*plan.areas, *plan.cells):
        place.geom = as_multipolygon(shapely.transform(place.geom, to_lonlat))
    return plan


def _sum_upwards(plan: CityPlan) -> None:
    """Households and population of an area are the sums over its cells."""
    by_code = {a.code: a for a in plan.areas}
    for cell in plan.cells:
        code: str | None = cell.parent_code
        while code is not None:
            area = by_code[code]
            area.households += cell.households
            area.population += cell.population
            code = area.parent_code


# --- writing the plan and the rest of the demo ----------------------------------------------

DISTRICT_SLUGS = {
    "320205": "xishan", "320206": "huishan", "320211": "binhu", "320213": "liangxi",
    "320214": "xinwu", "320281": "jiangyin", "320282": "yixing",
}
# Accounts the history needs but nobody logs in as (unusable passwords); --replace deletes them.
BACKGROUND_PREFIX = "demo_"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜钱顾陆华秦尤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玲红建文辉斌婷晨雪琳慧燕佳颖宇浩鑫亮峰萍梅兰丹凤海波欣悦阳"
_ROADS = (
    "人民路", "中山路", "解放路", "学前街", "县前街", "健康路", "五爱路", "广瑞路", "通扬路", "清扬路", "太湖大道",
    "金城路", "梁溪路", "湖滨路", "长江路", "锡沪路", "澄江路", "宜城路", "新华路", "惠山大道", "春申路", "建设路",
)

ROLE_LABELS = {
    "administrator": "管理员 administrator",
    "grid_worker": "网格员 grid worker",
    "centre_operator": "综治中心 centre operator",
    "department_staff": "职能部门 department staff",
    "supervisor": "督查 supervisor",
    "citizen": "群众 citizen",
}


@dataclass(frozen=True)
class DemoAccount:
    """A named demo login. `role` is the label shown; the role rows say what it may do."""

    username: str
    role: str
    name: str  # surname first, as Chinese names are written


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "administrator", ""),
    DemoAccount("gw_liangxi", "grid_worker", "王芳"),
    DemoAccount("gw_xinwu", "grid_worker", "李强"),
    DemoAccount("gw_jiangyin", "grid_worker", "周建华"),
    DemoAccount("gw_yixing", "grid_worker", "蒋丽"),
    DemoAccount("centre_community", "centre_operator", "陈静"),
    DemoAccount("centre_street", "centre_operator", "刘洋"),
    DemoAccount("centre_district", "centre_operator", "张敏"),
    DemoAccount("centre_city", "centre_operator", "赵磊"),
    DemoAccount("centre_xishan", "centre_operator", "顾涛"),
    DemoAccount("centre_huishan", "centre_operator", "华婷"),
    DemoAccount("centre_binhu", "centre_operator", "钱晨"),
    DemoAccount("centre_xinwu", "centre_operator", "秦雪"),
    DemoAccount("centre_jiangyin", "centre_operator", "徐斌"),
    DemoAccount("centre_yixing", "centre_operator", "潘佳"),
    DemoAccount("dept_chengguan", "department_staff", "孙勇"),
    DemoAccount("dept_huanbao", "department_staff", "朱琳"),
    DemoAccount("dept_xiaofang", "department_staff", "马超"),
    DemoAccount("dept_chengguan_xinwu", "department_staff", "吴杰"),
    DemoAccount("supervisor_liangxi", "supervisor", "黄建"),
    DemoAccount("supervisor_city", "supervisor", "杨文"),
    DemoAccount("citizen", "citizen", "林悦"),
)
DEMO_USERNAMES = tuple(a.username for a in DEMO_ACCOUNTS)
# The demo's focal district: gw_liangxi's cells, centre_community, centre_street and
# dept_chengguan all work in its most central community and street.
FOCUS_DISTRICT = "320213"
# (username, department code, district code)
_NAMED_STAFF = (
    ("dept_chengguan", "chengguan", "320213"),
    ("dept_huanbao", "huanbao", "320213"),
    ("dept_xiaofang", "xiaofang", "320213"),
    ("dept_chengguan_xinwu", "chengguan", "320214"),
)


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class People:
    """Who acts in the generated history. The same user objects are reused throughout so
    the role lookup that cases.permissions.roles_of caches on each runs once per person."""

    users: dict[str, User]
    focus_community: str  # the code of the community of gw_liangxi and centre_community
    cell_worker: dict[int, User]  # grid cell id → its grid worker
    district_centre: dict[str, User]  # district code → centre operator
    unit_staff: dict[int, User]  # unit id → a clerk of the unit

    def centre_for(self, cell_code: str) -> User:
        """The most local demo centre whose jurisdiction holds the cell."""
        if cell_code.startswith(self.focus_community):
            return self.users["centre_community"]
        if cell_code.startswith(self.focus_community[:9]):
            return self.users["centre_street"]
        return self.district_centre.get(cell_code[:6], self.users["centre_city"])


def _geos(geom: MultiPolygon) -> geos.MultiPolygon:
    result = geos.GEOSGeometry(shapely.to_wkb(geom, hex=True), srid=4326)
    assert isinstance(result, geos.MultiPolygon)
    return result


def city_loaded() -> bool:
    return Area.objects.filter(code=CITY_CODE).exists()


def has_data() -> bool:
    """Anything a load would collide with: places, departments, categories or cases."""
    return any(m.objects.exists() for m in (Area, GridCell, Department, Category, Case))


def wipe() -> None:
    """Deletes every place, department, category and case, whatever hangs off them (timeline,
    attachments, assignments, risk scores) and the background accounts. TRUNCATE … CASCADE:
    the ORM collector would first load every row of a benchmark-sized case table. Named
    demo accounts stay (a developer's own `admin` among them) and are updated by the load."""
    tables = [m._meta.db_table for m in (Case, GridCell, Area, Category, Department)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
    get_user_model().objects.filter(username__startswith=BACKGROUND_PREFIX).delete()


def write_places(plan: CityPlan) -> tuple[dict[str, Area], list[GridCell]]:
    """Bulk-creates the areas level by level (a child needs its parent's id), then the cells."""
    areas: dict[str, Area] = {}
    for level in (Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY):
        rows = [
            Area(code=p.code, name=p.name, level=level, parent=areas[p.parent_code] if p.parent_code else None,
                 geom=_geos(p.geom), households=p.households, population=p.population)
            for p in plan.by_level(level)
        ]
        Area.objects.bulk_create(rows, batch_size=500)
        areas.update((a.code, a) for a in rows)
    cells = [
        GridCell(code=c.code, name=c.name, kind=GridCell.Kind.COMPREHENSIVE, community=areas[str(c.parent_code)],
                 geom=_geos(c.geom), households=c.households, population=c.population)
        for c in plan.cells
    ]
    GridCell.objects.bulk_create(cells, batch_size=500)
    return areas, cells


def write_taxonomy(areas: dict[str, Area]) -> tuple[dict[tuple[str, str], DepartmentUnit], list[Category]]:
    """The 16 departments, a unit of each in every district, and the category tree.
    Returns units by (department code, district code) and the leaf categories."""
    departments = {d.code: Department(code=d.code, name=d.name) for d in DEPARTMENTS}
    Department.objects.bulk_create(departments.values())
    districts = [a for a in areas.values() if a.level == Area.Level.DISTRICT]
    units = {
        (spec.code, district.code): DepartmentUnit(
            department=departments[spec.code], area=district, name=unit_name(spec, district.name)
        )
        for spec in DEPARTMENTS
        for district in districts
    }
    DepartmentUnit.objects.bulk_create(units.values())
    groups = [Category(code=g.code, name=g.name) for g in TAXONOMY]
    Category.objects.bulk_create(groups)
    leaves = [
        Category(
            code=leaf.code, name=leaf.name, parent=group_row, default_department=departments[leaf.department],
            severity=leaf.severity, self_resolvable=leaf.self_resolvable,
            sign_for_hours=leaf.limits[0], handle_days=leaf.limits[1],
        )
        for group_row, group in zip(groups, TAXONOMY, strict=True)
        for leaf in group.leaves
    ]
    Category.objects.bulk_create(leaves)
    return units, leaves


def _person(rng: np.random.Generator) -> tuple[str, str]:
    surname = str(rng.choice(list(_SURNAMES)))
    given = "".join(str(c) for c in rng.choice(list(_GIVEN), size=int(rng.integers(1, 3))))
    return surname, given


def _first_village(areas: dict[str, Area], district: str) -> str:
    # 村 codes are 200-399 within their town (see the module docstring).
    return min(c for c, a in areas.items() if a.level == Area.Level.COMMUNITY and c.startswith(district) and c[9] >= "2")


def write_named_accounts(report: LoadReport) -> dict[str, User]:
    """The named demo accounts, sharing one password hash (hashing is slow on purpose). The
    demo password is printed for anyone to read, so each owner must choose their own at the
    first sign-in (accounts: forced change)."""
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for account in DEMO_ACCOUNTS:
        user = user_model.objects.filter(username=account.username).first()
        demo_password = True
        if user is not None and user.is_superuser and not check_password(DEMO_PASSWORD, user.password):
            report.notes.append(f"{account.username} already existed as a superuser; its password was left as it was")
            demo_password = False
        else:
            user = user or user_model(username=account.username)
            user.password = password
        user.last_name, user.first_name = account.name[:1], account.name[1:]
        user.is_active = True
        user.is_superuser = user.is_staff = account.role == "administrator"
        user.save()
        if demo_password:
            require_password_change(user)
        users[account.username] = user
    return users


def write_accounts(
    *, areas: dict[str, Area], cells: list[GridCell], units: dict[tuple[str, str], DepartmentUnit],
    rng: np.random.Generator, report: LoadReport,
) -> People:
    """The named demo accounts and a background grid worker for every other cell and a
    clerk for every other unit."""
    user_model = get_user_model()
    users = write_named_accounts(report)

    cells_by_code = {c.code: c for c in cells}
    # Codes number the most central place 001, so the lowest code is the city centre.
    focus = min(c for c, a in areas.items() if a.level == Area.Level.COMMUNITY and c.startswith(FOCUS_DISTRICT))
    village_jy, village_yx = _first_village(areas, "320281"), _first_village(areas, "320282")
    named_cells = {
        "gw_liangxi": [f"{focus}001", f"{focus}002"],
        "gw_xinwu": [min(c for c in cells_by_code if c.startswith("320214"))],
        "gw_jiangyin": [f"{village_jy}001", f"{village_jy}002"],
        "gw_yixing": [f"{village_yx}001"],
    }
    cell_worker: dict[int, User] = {}
    for username, codes in named_cells.items():
        for code in codes:
            if code in cells_by_code:
                cell_worker[cells_by_code[code].pk] = users[username]

    R = RoleAssignment.Role
    roles = [
        RoleAssignment(user=users["centre_community"], role=R.CENTRE_OPERATOR, area=areas[focus]),
        RoleAssignment(user=users["centre_street"], role=R.CENTRE_OPERATOR, area=areas[focus[:9]]),
        RoleAssignment(user=users["centre_district"], role=R.CENTRE_OPERATOR, area=areas[FOCUS_DISTRICT]),
        RoleAssignment(user=users["centre_city"], role=R.CENTRE_OPERATOR, area=areas[CITY_CODE]),
        RoleAssignment(user=users["supervisor_liangxi"], role=R.SUPERVISOR, area=areas[FOCUS_DISTRICT]),
        RoleAssignment(user=users["supervisor_city"], role=R.SUPERVISOR, area=areas[CITY_CODE]),
    ]
    district_centre = {"320213": users["centre_district"]}
    for code, slug in DISTRICT_SLUGS.items():
        if code != "320213":
            district_centre[code] = users[f"centre_{slug}"]
            roles.append(RoleAssignment(user=district_centre[code], role=R.CENTRE_OPERATOR, area=areas[code]))
    unit_staff: dict[int, User] = {}
    for username, dept, district in _NAMED_STAFF:
        unit = units[(dept, district)]
        unit_staff[unit.pk] = users[username]
        roles.append(RoleAssignment(user=users[username], role=R.DEPARTMENT_STAFF, unit=unit))

    # Background people: make_password(None) is an unusable password and costs nothing.
    workers = {
        cell.pk: user_model(username=f"{BACKGROUND_PREFIX}gw_{cell.code}", password=make_password(None),
                            **dict(zip(("last_name", "first_name"), _person(rng), strict=True)))
        for cell in cells
        if cell.pk not in cell_worker
    }
    clerks = {
        unit.pk: user_model(
            username=f"{BACKGROUND_PREFIX}{unit.department.code}_{DISTRICT_SLUGS.get(unit.area.code, unit.area.code)}",
            password=make_password(None), **dict(zip(("last_name", "first_name"), _person(rng), strict=True)),
        )
        for unit in units.values()
        if unit.pk not in unit_staff
    }
    user_model.objects.bulk_create([*workers.values(), *clerks.values()], batch_size=1000)
    report.counts["background accounts"] = len(workers) + len(clerks)
    cell_worker.update(workers)
    unit_staff.update(clerks)
    roles += [RoleAssignment(user=user, role=R.DEPARTMENT_STAFF, unit_id=pk) for pk, user in clerks.items()]
    GridAssignment.objects.bulk_create(
        [GridAssignment(worker=user, cell_id=pk) for pk, user in cell_worker.items()], batch_size=1000
    )
    RoleAssignment.objects.bulk_create(roles, batch_size=1000)
    # Bulk inserts fire no signals: the guardian grants are built in one pass instead.
    rebuild_scope_groups()
    return People(users=users, focus_community=focus, cell_worker=cell_worker, district_centre=district_centre,
                  unit_staff=unit_staff)


# --- a year of cases ---------------------------------------------------------------------------

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
    """n cases over the past 365 days, through cases/services.py like any other report.

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
    district = case.cell_code[:6]
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


# --- the whole load --------------------------------------------------------------------------


def load_demo_city(
    *, seed: int = 1, cases: int = 400, now: dt.datetime | None = None, log: Callable[[str], object] = print,
    directory: Path = DATA_DIR, scale: float = 1.0,
) -> LoadReport:
    """Plans and writes the whole demo. The caller owns the transaction (the command wraps
    the load in one, so a failure leaves nothing behind). Geometry, people and cases draw
    from separate random streams of `seed`, so asking for more cases keeps the same map."""
    report = LoadReport()
    now = now or timezone.now()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        report.timings[name] = time.perf_counter() - clock
        log(f"  {name}: {report.timings[name]:.1f} s")
        clock = time.perf_counter()

    plan = plan_city(read_boundaries(directory), seed=seed, scale=scale)
    lap("plan geometry")
    areas, cells = write_places(plan)
    lap("write areas and cells")
    units, leaves = write_taxonomy(areas)
    people = write_accounts(areas=areas, cells=cells, units=units, rng=np.random.default_rng([seed, 1]), report=report)
    lap("departments, categories, accounts")
    # A year of history is imported, not lived: nobody is notified of it.
    with services.notifications_muted():
        write_cases(n=cases, plan=plan, cells=cells, units=units, leaves=leaves, people=people,
                    rng=np.random.default_rng([seed, 2]), now=now, report=report)
    lap(f"{report.counts['cases']} cases through the services")
    level_count = {level: sum(1 for a in areas.values() if a.level == level) for level in Area.Level}
    report.counts = {
        "districts": level_count[Area.Level.DISTRICT],
        "streets and towns": level_count[Area.Level.STREET],
        "communities and villages": level_count[Area.Level.COMMUNITY],
        "grid cells": len(cells),
        "departments": len(DEPARTMENTS),
        "department units": len(units),
        "categories": len(leaves),
        "named accounts": len(people.users),
        "background accounts": report.counts["background accounts"],
        "cases": report.counts["cases"],
    }
    return report


# --- demo accounts, for manage.py demo_accounts ----------------------------------------------


def _scope_of(user: User) -> tuple[list[str], list[str]]:
    """(role keys, scope descriptions) from the user's role rows."""
    roles: list[str] = []
    scopes: list[str] = []
    if user.is_superuser:
        roles.append("administrator")
        scopes.append("全部 everything")
    cells = list(GridAssignment.objects.filter(worker=user).select_related("cell__community").order_by("cell__code"))
    if cells:
        roles.append("grid_worker")
        community = cells[0].cell.community
        scopes.append(f"{community.name} " + "、".join(a.cell.name.removeprefix(community.name) for a in cells)
                      + f" ({', '.join(a.cell.code for a in cells)})")
    for ra in RoleAssignment.objects.filter(user=user).select_related("area", "unit").order_by("role", "area__code"):
        roles.append(ra.role)
        scopes.append(str(ra.unit) if ra.unit else f"{ra.area.name} ({ra.area.code})" if ra.area else "")
    return roles or ["citizen"], scopes or ["own reports"]


def account_rows() -> list[tuple[str, str, str, str]]:
    """username, role, scope, password for each named demo account that exists. The
    password column says "(changed)" once someone changed it; accounts that share the demo
    hash are checked with one slow hash computation, not one per account."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
    verdict: dict[str, bool] = {}
    rows = []
    for account in DEMO_ACCOUNTS:
        user = users.get(account.username)
        if user is None:
            continue
        if user.password not in verdict:
            verdict[user.password] = check_password(DEMO_PASSWORD, user.password)
        roles, scopes = _scope_of(user)
        rows.append((
            user.username,
            " + ".join(ROLE_LABELS.get(r, r) for r in roles),
            "; ".join(scopes),
            DEMO_PASSWORD if verdict[user.password] else "(changed)",
        ))
    return rows


def reset_passwords() -> int:
    """Sets the demo password on every named demo account again; each must be changed at the
    next sign-in, as after the load."""
    users = list(get_user_model().objects.filter(username__in=DEMO_USERNAMES))
    get_user_model().objects.filter(pk__in=[u.pk for u in users]).update(password=make_password(DEMO_PASSWORD))
    for user in users:
        require_password_change(user)
    return len(users)
