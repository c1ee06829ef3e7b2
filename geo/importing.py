"""Bulk import of boundaries from Shapefile, GeoPackage or GeoJSON (DOMAIN §1).

Pipeline: read (pyogrio) → reproject to 4326 → convert GCJ-02/BD-09 vertices to WGS84 →
repair invalid rings → validate (codes, parents, containment, tiling; areas in square metres
of settings.METRIC_SRID) → upsert by code in one transaction.

Validation runs to completion before anything is written, so a file is imported whole or not
at all, and the report names every bad feature at once: a surveying department fixes its file
in one round instead of one error per run. Imports only add and update; a feature missing
from the file is never deleted (cases and assignments point at cells).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import geopandas
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.db.models import Field
from django.utils.translation import gettext as _
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from access import codes as division_codes
from geo.coords import CoordSystem, to_wgs84
from grids.models import Area, GridCell

WGS84_SRID = 4326
CELL_CODE_LENGTH = 15
AREA_CODE_LENGTH: dict[str, int] = {
    Area.Level.DISTRICT: 6,
    Area.Level.STREET: 9,
    Area.Level.COMMUNITY: 12,
}
PARENT_LEVEL: dict[str, str] = {
    Area.Level.DISTRICT: Area.Level.CITY,
    Area.Level.STREET: Area.Level.DISTRICT,
    Area.Level.COMMUNITY: Area.Level.STREET,
}
# Two imports validated concurrently could each pass against the other's pre-import state
# (two files tiling one community): imports take one transaction-scoped advisory lock.
_IMPORT_LOCK_KEY = 0x7767_6964  # "wgid"
# Stored and re-read coordinates round-trip exactly through PostGIS; the tolerance only
# absorbs float noise from re-running the same reprojection (about 0.1 mm).
_SAME_GEOMETRY_DEGREES = 1e-9
_BATCH = 500
_DENSIFY_DEGREES = 1e-4  # about 10 m: see metric_area

FILE = "file"  # Problem.feature for problems of the whole file rather than one feature

M = TypeVar("M", Area, GridCell)


@dataclass(frozen=True)
class Problem:
    feature: str  # the feature's code, "#<row>" when it has no usable code, or FILE
    message: str

    def __str__(self) -> str:
        return f"{self.feature}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: list[str] = field(default_factory=list)  # features whose geometry was made valid
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, feature: str, message: str) -> None:
        self.problems.append(Problem(feature, message))

    def report(self, path: str | Path) -> str:
        """The refusal: every problem, one line each, features in code order."""
        head = _("Refused %(path)s: %(count)d problem(s), nothing was imported.") % {
            "path": path,
            "count": len(self.problems),
        }
        lines = sorted(self.problems, key=lambda p: (p.feature != FILE, p.feature, p.message))
        return "\n".join([head, *(f"  {p}" for p in lines)])

    def summary(self, path: str | Path, *, dry_run: bool = False) -> str:
        text = _("%(path)s: %(created)d created, %(updated)d changed, %(unchanged)d unchanged.") % {
            "path": path,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.repaired:
            text += " " + _("Repaired invalid geometry of: %(features)s.") % {"features": ", ".join(self.repaired)}
        if dry_run:
            text += " " + _("Dry run: nothing was written.")
        return text


@dataclass
class _Features:
    """One file's features after reading and repair, row-aligned. `ok` drops a row from later
    checks once it has a problem, so one bad vertex does not cascade into a page of errors."""

    labels: list[str]
    codes: list[str]
    names: list[str]
    parents: list[str]  # parent codes, from the parent field or the code's prefix
    households: list[int | None]
    geoms: NDArray[np.object_]  # WGS84 MultiPolygons (None where unusable)
    ok: NDArray[np.bool_]

    def good(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.ok)


# --------------------------------------------------------------------------------------------
# Public entry points


def import_areas(
    path: str | Path,
    *,
    level: str,
    code_field: str = "adcode",
    name_field: str = "name",
    parent_field: str | None = None,
    crs: str | None = None,
    coords: CoordSystem | str = CoordSystem.WGS84,
    dry_run: bool = False,
) -> ImportResult:
    """Imports districts, streets or communities; upserts by code.

    Each area must lie inside its parent (already in the database) up to
    GRID_TOLERANCE_M2. Holds the import advisory lock for the transaction; writes nothing
    when any feature has a problem, or when `dry_run`."""
    level = Area.Level(level)
    if level not in AREA_CODE_LENGTH:
        raise ValueError(f"areas of level {level!r} are not imported from files")
    result = ImportResult()
    feats = _load(
        path,
        crs=crs,
        coords=coords,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        households_field=None,
        code_length=AREA_CODE_LENGTH[level],
        result=result,
    )
    if feats is None:
        return result

    with transaction.atomic():
        _lock_imports()
        parents = _resolve_parents(feats, parent_level=Area.Level(PARENT_LEVEL[level]), result=result)
        existing = {a.code: a for a in Area.objects.filter(code__in=[feats.codes[i] for i in feats.good()])}
        for i in feats.good():
            other = existing.get(feats.codes[i])
            if other is not None and other.level != level:
                _fail(feats, i, result, _("code already belongs to a %(level)s") % {"level": other.get_level_display()})
        _check_inside_parents(feats, parents, result=result)
        if result.problems:
            return result

        def values(i: int) -> dict[str, Any]:
            return {"name": feats.names[i], "parent_id": parents[feats.parents[i]].pk}

        def build(i: int, geom: MultiPolygon) -> Area:
            return Area(code=feats.codes[i], level=level, geom=geom, **values(i))

        _upsert(Area, feats, existing, values=values, build=build, dry_run=dry_run, result=result)
    return result


def import_grids(
    path: str | Path,
    *,
    code_field: str = "code",
    name_field: str = "name",
    households_field: str | None = None,
    kind: str = GridCell.Kind.COMPREHENSIVE,
    crs: str | None = None,
    coords: CoordSystem | str = CoordSystem.WGS84,
    dry_run: bool = False,
) -> ImportResult:
    """Imports grid cells; upserts by code.

    Each cell must lie inside its community. Comprehensive cells must also tile their
    community as it will be after the import (the file's cells plus the community's other
    comprehensive cells already stored): no overlaps and no gaps beyond GRID_TOLERANCE_M2.
    Holds the import advisory lock for the transaction; writes nothing when any feature has
    a problem, or when `dry_run`."""
    kind = GridCell.Kind(kind)
    result = ImportResult()
    feats = _load(
        path,
        crs=crs,
        coords=coords,
        code_field=code_field,
        name_field=name_field,
        parent_field=None,
        households_field=households_field,
        code_length=CELL_CODE_LENGTH,
        result=result,
    )
    if feats is None:
        return result

    with transaction.atomic():
        _lock_imports()
        communities = _resolve_parents(feats, parent_level=Area.Level.COMMUNITY, result=result)
        existing = {c.code: c for c in GridCell.objects.filter(code__in=[feats.codes[i] for i in feats.good()])}
        for i in feats.good():
            other = existing.get(feats.codes[i])
            if other is not None and other.kind != kind:
                # Changing kind by import would silently add or remove a cell from its
                # community's tiling; that is an administrator's decision, not a file's.
                _fail(feats, i, result, _("code already belongs to a %(kind)s") % {"kind": other.get_kind_display()})
        _check_inside_parents(feats, communities, result=result)
        if kind == GridCell.Kind.COMPREHENSIVE:
            _check_tiling(feats, communities, result=result)
        if result.problems:
            return result

        def values(i: int) -> dict[str, Any]:
            row: dict[str, Any] = {"name": feats.names[i], "community_id": communities[feats.parents[i]].pk}
            if households_field is not None:
                row["households"] = feats.households[i]
            return row

        def build(i: int, geom: MultiPolygon) -> GridCell:
            return GridCell(code=feats.codes[i], kind=kind, geom=geom, **values(i))

        _upsert(GridCell, feats, existing, values=values, build=build, dry_run=dry_run, result=result)
    return result


# --------------------------------------------------------------------------------------------
# Reading and repair


def _load(
    path: str | Path,
    *,
    crs: str | None,
    coords: CoordSystem | str,
    code_field: str,
    name_field: str,
    parent_field: str | None,
    households_field: str | None,
    code_length: int,
    result: ImportResult,
) -> _Features | None:
    """Reads the file into WGS84 MultiPolygons and checks attributes; None when the file as a
    whole is unusable (the reason is in `result`)."""
    try:
        frame = geopandas.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        result.add(FILE, _("cannot read %(path)s: %(error)s") % {"path": path, "error": exc})
        return None
    wanted = [f for f in (code_field, name_field, parent_field, households_field) if f]
    missing = [f for f in wanted if f not in frame.columns]
    if missing:
        result.add(
            FILE,
            _("no field %(missing)s; the file has %(fields)s")
            % {"missing": ", ".join(missing), "fields": ", ".join(str(c) for c in frame.columns if c != "geometry")},
        )
        return None
    frame = _to_geographic(frame, crs=crs, result=result)
    if frame is None:
        return None

    n = len(frame)
    codes = [_code_text(v) or "" for v in frame[code_field]]
    feats = _Features(
        labels=[code or f"#{row + 1}" for row, code in enumerate(codes)],
        codes=codes,
        names=[_text(v) for v in frame[name_field]],
        parents=[""] * n,
        households=[None] * n,
        geoms=np.empty(n, dtype=object),
        ok=np.ones(n, dtype=bool),
    )
    if n == 0:
        result.add(FILE, _("the file has no features"))
        return None
    name_max = Area._meta.get_field("name").max_length or 100

    for i in range(n):
        code = codes[i]
        if not code:
            _fail(feats, i, result, _("has no code in field %(field)s") % {"field": code_field})
        elif not (code.isascii() and code.isdigit()) or len(code) != code_length:
            _fail(feats, i, result, _("code must be %(n)d digits") % {"n": code_length})
        if not feats.names[i]:
            _fail(feats, i, result, _("has no name in field %(field)s") % {"field": name_field})
        elif len(feats.names[i]) > name_max:
            _fail(feats, i, result, _("name is longer than %(n)d characters") % {"n": name_max})
    if parent_field:
        feats.parents = [_code_text(v) or "" for v in frame[parent_field]]
    else:
        # National division codes nest: a child's code starts with its parent's code. A
        # district's parent is its city, whose own code ends in "00" (320213 → 320200).
        feats.parents = [
            division_codes.city_code(c) if code_length == division_codes.DISTRICT_LENGTH else c[: code_length - 3]
            for c in codes
        ]
    if households_field:
        for i, value in enumerate(frame[households_field]):
            count = _count(value)
            if count is None:
                _fail(feats, i, result, _("households must be a whole number ≥ 0, not %(value)r") % {"value": value})
            feats.households[i] = count

    counts: dict[str, int] = defaultdict(int)
    for code in codes:
        counts[code] += 1
    for i, code in enumerate(codes):
        if code and counts[code] > 1:
            _fail(feats, i, result, _("code appears %(n)d times in the file") % {"n": counts[code]})

    feats.geoms[:] = _repair(feats, _converted(frame.geometry.to_numpy(), coords), result=result)
    return feats


def _to_geographic(
    frame: geopandas.GeoDataFrame, *, crs: str | None, result: ImportResult
) -> geopandas.GeoDataFrame | None:
    try:
        given = CRS.from_user_input(crs) if crs else None
    except CRSError as exc:
        result.add(FILE, _("unknown CRS %(crs)s: %(error)s") % {"crs": crs, "error": exc})
        return None
    if frame.crs is None:
        if given is None:
            result.add(FILE, _("the file declares no coordinate reference system; say which with --crs"))
            return None
        frame = frame.set_crs(given)
    elif given is not None and not frame.crs.equals(given, ignore_axis_order=True):
        # A wrong --crs would move every feature; refuse rather than guess which one is right.
        result.add(
            FILE,
            _("the file declares %(file_crs)s but --crs says %(crs)s")
            % {"file_crs": frame.crs.to_string(), "crs": given.to_string()},
        )
        return None
    return frame.to_crs(WGS84_SRID)


def _converted(geoms: NDArray[np.object_], coords: CoordSystem | str) -> NDArray[np.object_]:
    """Moves every vertex from `coords` to WGS84 in one vectorised call; also drops Z."""
    system = CoordSystem(coords)
    if system is CoordSystem.WGS84:
        return np.asarray(shapely.force_2d(geoms), dtype=object)

    def convert(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], system)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(geoms, convert, include_z=False), dtype=object)


_POLYGONAL = {shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON}


def _repair(feats: _Features, geoms: NDArray[np.object_], *, result: ImportResult) -> NDArray[np.object_]:
    """MultiPolygons for every usable row; invalid rings go through make_valid ("structure":
    holes subtract and a bow-tie becomes its two lobes) keeping only the polygonal parts."""
    out = np.empty(len(geoms), dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    valid = shapely.is_valid(geoms)
    # The common case in one vectorised step: valid polygons and multipolygons.
    clean = ~missing & valid & np.isin(types, list(_POLYGONAL))
    if clean.any():
        parts, owner = shapely.get_parts(geoms[clean], return_index=True)
        out[np.flatnonzero(clean)] = shapely.multipolygons(parts, indices=owner)
    for i in map(int, np.flatnonzero(~clean)):
        geom = geoms[i]
        if missing[i]:
            _fail(feats, i, result, _("has no geometry"))
            continue
        if types[i] not in _POLYGONAL and types[i] != shapely.GeometryType.GEOMETRYCOLLECTION:
            _fail(feats, i, result, _("is a %(type)s, not a polygon") % {"type": geom.geom_type})
            continue
        if not valid[i]:
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        polygons = [p for p in _flat_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
        multi = shapely.MultiPolygon(polygons) if polygons else None
        if multi is None or multi.is_empty or not multi.is_valid:
            _fail(feats, i, result, _("has no valid polygon area, even after repair"))
            continue
        if not valid[i]:
            result.repaired.append(feats.labels[i])
        out[i] = multi
    return out


def _flat_parts(geom: shapely.Geometry) -> Iterable[shapely.Geometry]:
    for part in shapely.get_parts(geom):
        if shapely.get_type_id(part) in (shapely.GeometryType.MULTIPOLYGON, shapely.GeometryType.GEOMETRYCOLLECTION):
            yield from _flat_parts(part)
        else:
            yield part


def _code_text(value: object) -> str | None:
    """Codes arrive as text, integers, or floats (a GeoJSON adcode, a DBF numeric field)."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        # Division codes are at most 15 digits, exact in a float64.
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value).strip() or None


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value).strip()


def _count(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or not number.is_integer() or number < 0:
        return None
    return int(number)


def _fail(feats: _Features, i: int, result: ImportResult, message: str) -> None:
    result.add(feats.labels[i], message)
    feats.ok[i] = False


# --------------------------------------------------------------------------------------------
# Validation against the database, in the metric CRS


def _lock_imports() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK_KEY])


def _resolve_parents(feats: _Features, *, parent_level: Area.Level, result: ImportResult) -> dict[str, Area]:
    wanted = {feats.parents[i] for i in feats.good() if feats.parents[i]}
    found = {a.code: a for a in Area.objects.filter(code__in=wanted)}
    for i in feats.good():
        parent = found.get(feats.parents[i])
        if parent is None:
            _fail(
                feats,
                i,
                result,
                _("its parent %(level)s %(code)s is not in the database; import it first")
                % {"level": parent_level.label, "code": feats.parents[i] or "?"},
            )
        elif parent.level != parent_level:
            _fail(
                feats,
                i,
                result,
                _("its parent %(code)s is a %(found)s, not a %(level)s")
                % {"code": parent.code, "found": parent.get_level_display(), "level": parent_level.label},
            )
        elif not feats.codes[i].startswith(prefix := division_codes.jurisdiction_prefix(parent.code, parent.level)):
            _fail(
                feats,
                i,
                result,
                _("code must start with its parent's code %(prefix)s") % {"prefix": prefix},
            )
    return found


@lru_cache(maxsize=4)
def _to_metric_transformer(srid: int) -> Transformer:
    return Transformer.from_crs(WGS84_SRID, srid, always_xy=True)


def to_metric(geoms: Sequence[shapely.Geometry] | NDArray[np.object_]) -> NDArray[np.object_]:
    """WGS84 geometries in settings.METRIC_SRID (all vertices in one pyproj call)."""
    transformer = _to_metric_transformer(settings.METRIC_SRID)

    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), project), dtype=object)


def metric_area(geoms: Sequence[shapely.Geometry] | NDArray[np.object_]) -> NDArray[np.float64]:
    """Areas in square metres of WGS84 geometries, measured in settings.METRIC_SRID.

    Stored geometry is planar in degrees (that is what PostGIS and locate test against), so
    the overlays that produce these geometries (differences, intersections, unions) run in
    4326, and only their results are measured. Projection moves vertices, not edges: a
    2 km edge and the two 1 km edges lying on it bend apart by ~4 cm once projected at
    Wuxi's latitude, which would report tens of m² of slivers that do not exist. Densifying to
    ~10 m segments before projecting makes the projected outline follow the stored one
    (chord error ~1e-6 m)."""
    geoms = np.asarray(geoms, dtype=object)
    areas = np.zeros(len(geoms))
    some = np.flatnonzero(shapely.area(geoms) > 0)
    if len(some):
        dense = shapely.segmentize(geoms[some], max_segment_length=_DENSIFY_DEGREES)
        areas[some] = shapely.area(to_metric(dense))
    return areas


def _shapely(geom: GEOSGeometry) -> shapely.Geometry:
    return shapely.from_wkb(bytes(geom.wkb))


def _check_inside_parents(feats: _Features, parents: dict[str, Area], *, result: ImportResult) -> None:
    rows = feats.good()
    if not len(rows):
        return
    tolerance = settings.GRID_TOLERANCE_M2
    shapes = {code: _shapely(parents[code].geom) for code in {feats.parents[i] for i in rows}}
    parent_of = np.empty(len(rows), dtype=object)
    parent_of[:] = [shapes[feats.parents[i]] for i in rows]
    outside = metric_area(shapely.difference(feats.geoms[rows], parent_of))
    for i, area in zip(rows, outside, strict=True):
        if area > tolerance:
            parent = parents[feats.parents[i]]
            _fail(
                feats,
                i,
                result,
                _("lies %(area).1f m² outside its parent %(level)s %(code)s")
                % {"area": area, "level": parent.get_level_display(), "code": parent.code},
            )


def _check_tiling(feats: _Features, communities: dict[str, Area], *, result: ImportResult) -> None:
    """Comprehensive cells tile their community: no overlaps, no gaps (DOMAIN §1). Checked on
    the state after the import, so a file may carry part of a community's cells."""
    tolerance = settings.GRID_TOLERANCE_M2
    # A community with a bad feature in this file is already reported; checking its tiling
    # would only add a "gap" where the bad cell should be.
    spoiled = {feats.parents[i] for i in np.flatnonzero(~feats.ok)}
    rows = np.array([i for i in feats.good() if feats.parents[i] not in spoiled], dtype=np.intp)
    if not len(rows):
        return
    touched = {feats.parents[i] for i in rows}
    file_codes = [feats.codes[i] for i in rows]
    stored = list(
        GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE, community__code__in=touched)
        .exclude(code__in=file_codes)
        .values_list("code", "community__code", "geom")
        .order_by("code")
    )
    codes = file_codes + [code for code, _c, _g in stored]
    owner = np.array([feats.parents[i] for i in rows] + [community for _c, community, _g in stored])
    from_file = np.arange(len(codes)) < len(rows)
    geoms = np.empty(len(codes), dtype=object)
    geoms[: len(rows)] = feats.geoms[rows]
    geoms[len(rows) :] = [_shapely(g) for _c, _o, g in stored]

    # Overlaps: candidate pairs from an STRtree, then one vectorised intersection. Neighbours
    # share edges, so "intersects" finds them too; their intersections have no area.
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (left < right) & (owner[left] == owner[right]) & (from_file[left] | from_file[right])
    left, right = left[keep], right[keep]
    # Most pairs only touch; a relate test is ~3× cheaper than building their intersection.
    inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    left, right = left[inner], right[inner]
    overlap = metric_area(shapely.intersection(geoms[left], geoms[right]))
    for a, b, area in zip(left, right, overlap, strict=True):
        if area <= tolerance:
            continue
        # Name the file's feature first: that is the one the surveyor can fix.
        first, second = sorted((int(a), int(b)), key=lambda k: (not from_file[k], codes[k]))
        result.add(
            codes[first],
            _("overlaps grid cell %(other)s%(stored)s by %(area).1f m²")
            % {"other": codes[second], "stored": "" if from_file[second] else _(" (already stored)"), "area": area},
        )

    # Gaps: the community minus the union of its cells, located by a point in the largest gap.
    for community in sorted(touched):
        gap = shapely.difference(_shapely(communities[community].geom), shapely.union_all(geoms[owner == community]))
        parts = shapely.get_parts(gap)
        areas = metric_area(parts)
        if areas.sum() > tolerance:
            inside = parts[int(np.argmax(areas))].point_on_surface()
            result.add(
                community,
                _(
                    "community has %(area).1f m² not covered by any comprehensive grid cell "
                    "(largest gap near %(lon).6f, %(lat).6f)"
                )
                % {"area": areas.sum(), "lon": inside.x, "lat": inside.y},
            )


# --------------------------------------------------------------------------------------------
# Writing


def _changes(
    feats: _Features, existing: dict[str, M], values: Callable[[int], dict[str, Any]]
) -> tuple[list[int], list[int], list[int]]:
    """Rows to create, rows whose stored version differs, rows already identical."""
    rows = feats.good()
    new = [int(i) for i in rows if feats.codes[i] not in existing]
    old = [int(i) for i in rows if feats.codes[i] in existing]
    stored = np.empty(len(old), dtype=object)
    stored[:] = [_shapely(existing[feats.codes[i]].geom) for i in old]
    # Normalised first: the same outline from another tool may start at another vertex or run
    # the other way round (Shapefiles store outer rings clockwise), which is not a change.
    same_geom = (
        shapely.equals_exact(
            shapely.normalize(feats.geoms[old]), shapely.normalize(stored), tolerance=_SAME_GEOMETRY_DEGREES
        )
        if old
        else []
    )
    changed: list[int] = []
    unchanged: list[int] = []
    for i, same in zip(old, same_geom, strict=True):
        obj = existing[feats.codes[i]]
        same_values = all(getattr(obj, name) == value for name, value in values(i).items())
        (unchanged if same and same_values else changed).append(i)
    return new, changed, unchanged


def _upsert(
    model: type[M],
    feats: _Features,
    existing: dict[str, M],
    *,
    values: Callable[[int], dict[str, Any]],
    build: Callable[[int, MultiPolygon], M],
    dry_run: bool,
    result: ImportResult,
) -> None:
    """Creates new codes and updates changed ones in bulk; counts both, and the unchanged."""
    new, changed, unchanged = _changes(feats, existing, values)
    result.created, result.updated, result.unchanged = len(new), len(changed), len(unchanged)
    if dry_run:
        return
    model._default_manager.bulk_create([build(i, _geos(feats.geoms[i])) for i in new], batch_size=_BATCH)
    if changed:
        rows = [values(i) for i in changed]
        _bulk_update(
            model,
            ids=[existing[feats.codes[i]].pk for i in changed],
            columns={name: [row[name] for row in rows] for name in rows[0]},
            geoms=feats.geoms[changed],
        )


def _bulk_update(model: type[M], *, ids: list[int], columns: dict[str, list[Any]], geoms: NDArray[np.object_]) -> None:
    """One UPDATE … FROM unnest(arrays) for every changed row.

    QuerySet.bulk_update writes a CASE with one WHEN per row for every field; for 10,000 cells
    that took 15-25 s (the CASEs are rebuilt and evaluated per batch), against well under a
    second here."""
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    sets: list[str] = []
    arrays: list[str] = []
    params: list[list[Any]] = []
    for k, (name, values) in enumerate([*columns.items(), ("geom", [])]):
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.column
        column = connection.ops.quote_name(field.column)
        if name == "geom":
            sets.append(f"{column} = ST_GeomFromWKB(v.wkb, {WGS84_SRID})")
            continue
        sets.append(f"{column} = v.c{k}")
        arrays.append(f"%s::{field.db_type(connection)}[]")
        params.append(values)
    arrays.append("%s::bytea[]")
    params.append([bytes(wkb) for wkb in shapely.to_wkb(geoms)])
    names = ", ".join([*(f"c{k}" for k in range(len(columns))), "wkb", "id"])
    # Table and column names come from the model, never from the file; values are parameters.
    sql = (
        f"UPDATE {table} AS t SET {', '.join(sets)} "  # noqa: S608
        f"FROM unnest({', '.join(arrays)}, %s::bigint[]) AS v({names}) WHERE t.id = v.id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [*params, ids])
        if cur.rowcount != len(ids):
            raise RuntimeError(f"updated {cur.rowcount} of {len(ids)} {meta.verbose_name_plural}")


def _geos(geom: shapely.Geometry) -> MultiPolygon:
    return cast(MultiPolygon, GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=WGS84_SRID))
