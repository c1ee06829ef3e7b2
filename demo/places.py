"""A synthetic but plausible Wuxi for demos, manual testing and benchmarks.

Only the outlines of the city and its seven districts are real (AMap-derived, GCJ-02, MIT;
demo/data/wuxi-districts/). Everything inside them is generated from a fixed seed: street
and town names are real Wuxi names placed at made-up locations, community and village names
are made up, and the codes below district level follow the shape of the national statistical
codes (街道 001-099, 镇 100-199, 社区 001-199, 村 200-399) but not their real values.

Subdivision happens in a local plane in metres (an affine map of lon/lat): seed points drawn from an
"urbanness" density, grouped by k-means, then Voronoi polygons clipped to the parent. Each
level therefore tiles its parent exactly, as the boundary importer demands of comprehensive
grids (DOMAIN §1), and cells are small where people live densely.

`plan_city` is pure (no database); `write_places` writes the plan. The rest of the demo is
built by demo.taxonomy (departments and categories), demo.people (accounts and roles) and
demo.history (a year of cases through cases.services), and put together by demo.load.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis import geos
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from geo.coords import to_wgs84
from grids.models import Area, GridCell

DATA_DIR = Path(__file__).resolve().parent / "data" / "wuxi-districts"
CITY_CODE = "320200"
CITY_NAME = "无锡市"

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


# --- writing the plan ----------------------------------------------------------------------


def _geos(geom: MultiPolygon) -> geos.MultiPolygon:
    result = geos.GEOSGeometry(shapely.to_wkb(geom, hex=True), srid=4326)
    assert isinstance(result, geos.MultiPolygon)
    return result


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
