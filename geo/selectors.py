"""Spatial reads: which grid cell holds a point, one at a time or in bulk.

All three answers agree: a point is in a comprehensive cell when the cell covers it (its
boundary included), and a point on an edge or corner shared by several cells belongs to the
one with the lowest code, so the answer never depends on row order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from threading import Lock
from typing import TYPE_CHECKING, cast

import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.contrib.gis.geos import Point
from django.db import connection
from numpy.typing import ArrayLike, NDArray

from geo.coords import CoordSystem, to_wgs84
from grids.models import Area, GridCell

if TYPE_CHECKING:
    pass

NO_CELL = -1
# Points per STRtree query: bounds the memory of the Point objects (~200 B each) without
# costing speed; one query per chunk is already vectorised.
_CHUNK = 250_000
# Below this many points per cell, querying the cells' tree point by point beats building a
# tree over the points (which costs one query per cell).
_FEW_POINTS_PER_CELL = 1


# One indexed statement; the cell and its community come back without their polygons, which
# only the database needs here (real survey boundaries are heavy). Every report runs it, so it
# is plain SQL rather than a queryset compiled afresh each time.
# Columns in the models' field order, which Model.from_db expects.
_CELL_FIELDS = tuple(f.attname for f in GridCell._meta.concrete_fields if f.name != "geom")
_COMMUNITY_FIELDS = tuple(f.attname for f in Area._meta.concrete_fields if f.name != "geom")
_CELL_FOR_POINT_SQL = (
    f"SELECT {', '.join('c.' + f for f in _CELL_FIELDS)}, {', '.join('a.' + f for f in _COMMUNITY_FIELDS)}"  # noqa: S608
    f" FROM {GridCell._meta.db_table} c JOIN {Area._meta.db_table} a ON a.id = c.community_id"
    " WHERE c.kind = %s AND ST_Covers(c.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
    " ORDER BY c.code LIMIT 1"
)


def grid_cell_for_point(point: Point) -> GridCell | None:
    """The one comprehensive cell covering `point` (WGS84), or None outside every cell, with
    its community; neither has its polygon loaded (it is read if asked for).

    A point on an edge shared by two cells is covered by both; the lowest code wins, so the
    answer never depends on row order.
    """
    wgs84 = point if point.srid in (None, 4326) else cast(Point, point.transform(4326, clone=True))
    with connection.cursor() as cursor:
        cursor.execute(_CELL_FOR_POINT_SQL, [GridCell.Kind.COMPREHENSIVE.value, wgs84.x, wgs84.y])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_CELL_FIELDS)
    cell = GridCell.from_db(connection.alias, _CELL_FIELDS, row[:split])
    cell.community = Area.from_db(connection.alias, _COMMUNITY_FIELDS, row[split:])
    return cell


# The area and its ancestors, nearest first, without polygons: for routing a report to the
# centre above its community (one statement however many levels up).
_ANCESTORS_SQL = (
    f"WITH RECURSIVE up AS (SELECT {', '.join(_COMMUNITY_FIELDS)}, 0 AS depth FROM {Area._meta.db_table}"  # noqa: S608
    " WHERE id = %s UNION ALL"
    f" SELECT {', '.join('a.' + f for f in _COMMUNITY_FIELDS)}, up.depth + 1 FROM {Area._meta.db_table} a"
    " JOIN up ON a.id = up.parent_id WHERE up.level <> %s)"
    f" SELECT {', '.join(_COMMUNITY_FIELDS)} FROM up ORDER BY depth DESC LIMIT 1"
)


def ancestor_at_level(area: Area, level: str) -> Area:
    """`area` itself if it is at `level`, else its nearest ancestor at `level`, else its root."""
    if area.level == level:
        return area
    with connection.cursor() as cursor:
        cursor.execute(_ANCESTORS_SQL, [area.pk, level])
        row = cursor.fetchone()
    return Area.from_db(connection.alias, _COMMUNITY_FIELDS, row)


def cell_fingerprint() -> tuple[int, int, int]:
    """A cheap signature of the comprehensive cells: count, max id and a hash of row versions.

    Count and max id move when cells are added, removed or change kind, but not when one is
    edited in place (a re-surveyed boundary). PostgreSQL writes every update as a new row
    version at a new ctid, stamped with the writer's xmin, so the sum of their hashes moves
    too: in this transaction or another, whatever order concurrent writers commit in. It
    reads no geometry: about a millisecond for 10,000 cells."""
    table = connection.ops.quote_name(GridCell._meta.db_table)
    versions = "sum(hashtext(ctid::text || xmin::text))"
    sql = f"SELECT count(*), coalesce(max(id), 0), coalesce({versions}, 0) FROM {table} WHERE kind = %s"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [GridCell.Kind.COMPREHENSIVE.value])
        count, top, versions = cur.fetchone()
    return int(count), int(top), int(versions)


@dataclass(frozen=True, eq=False)
class CellIndex:
    """All comprehensive cells in memory, prepared, for locating many points at once.

    Row k is the cell with the k-th lowest code, so "lowest code wins" is "lowest row wins"."""

    fingerprint: tuple[int, int, int]
    ids: NDArray[np.int64]
    codes: tuple[str, ...]
    geoms: NDArray[np.object_]
    tree: shapely.STRtree

    @classmethod
    def build(cls) -> CellIndex:
        fingerprint = cell_fingerprint()
        rows = list(
            GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE)
            .order_by("code")
            .annotate(wkb=AsWKB("geom"))
            .values_list("id", "code", "wkb")
        )
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        wkb = np.empty(len(rows), dtype=object)
        wkb[:] = [bytes(row[2]) for row in rows]
        geoms = np.asarray(shapely.from_wkb(wkb), dtype=object)
        # Prepared polygons make each point-in-polygon test sub-linear in the vertex count.
        shapely.prepare(geoms)
        return cls(fingerprint, ids, tuple(row[1] for row in rows), geoms, shapely.STRtree(geoms))

    def __len__(self) -> int:
        return len(self.ids)

    def locate(
        self, lons: ArrayLike, lats: ArrayLike, *, system: CoordSystem | str = CoordSystem.WGS84
    ) -> NDArray[np.int64]:
        """GridCell ids for the points (NO_CELL = -1 outside every cell), in input order."""
        lon, lat = to_wgs84(lons, lats, system)
        lon, lat = np.broadcast_arrays(np.atleast_1d(lon), np.atleast_1d(lat))
        lon, lat = lon.ravel(), lat.ravel()
        out = np.full(len(lon), NO_CELL, dtype=np.int64)
        if not len(self) or not len(lon):
            return out
        for start, stop in _chunks(len(lon)):
            out[start:stop] = self._locate_chunk(lon[start:stop], lat[start:stop])
        return out

    def _locate_chunk(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        out = np.full(len(lon), NO_CELL, dtype=np.int64)
        finite = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if not len(finite):
            return out
        points = shapely.points(lon[finite], lat[finite])
        if len(points) < len(self) * _FEW_POINTS_PER_CELL:
            # Few points: ask the cells' tree about each point.
            point_k, row = self.tree.query(points, predicate="covered_by")
        else:
            # Many points: a tree over the points, and each prepared cell asks which of them it
            # covers. A prepared polygon answers in O(log vertices) where the per-point query
            # tests each candidate cell in O(vertices): 3-4× faster for cells of a few hundred
            # vertices, the size of surveyed boundaries.
            row, point_k = shapely.STRtree(points).query(self.geoms, predicate="covers")
        # Both are ST_Covers (the boundary counts), so a point on a shared edge comes back once
        # per cell covering it; the lowest row is the lowest code.
        best = np.full(len(points), len(self), dtype=np.intp)
        np.minimum.at(best, point_k, row)
        hit = best < len(self)
        out[finite[hit]] = self.ids[best[hit]]
        return out


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, _CHUNK):
        yield start, min(start + _CHUNK, n)


_index: CellIndex | None = None
_index_lock = Lock()


def cell_index() -> CellIndex:
    """The process's CellIndex, rebuilt when the cells' fingerprint has moved on."""
    global _index
    current = _index
    if current is not None and current.fingerprint == cell_fingerprint():
        return current
    # One thread builds; the others wait rather than each loading every cell.
    with _index_lock:
        current = _index
        if current is None or current.fingerprint != cell_fingerprint():
            current = _index = CellIndex.build()
        return current


def forget_cell_index() -> None:
    """Drops this process's index (its memory, or a clean slate in tests); the next locate
    rebuilds it. Never needed for correctness: the fingerprint sees every write."""
    global _index
    _index = None


def locate_many(
    lons: ArrayLike, lats: ArrayLike, *, system: CoordSystem | str = CoordSystem.WGS84
) -> NDArray[np.int64]:
    """GridCell ids of the comprehensive cells covering each point, -1 where none does.

    Same answer as grid_cell_for_point for every point (lowest code on shared edges), from
    the process's CellIndex: once it is built, one cheap fingerprint query per call."""
    return cell_index().locate(lons, lats, system=system)


def cells_for_points_sql(lons: ArrayLike, lats: ArrayLike) -> NDArray[np.int64]:
    """locate_many's answer from a single PostGIS query (the benchmark baseline).

    The points travel as two float8 arrays; each looks up its cell through the GiST index
    with the same covers-and-lowest-code rule as grid_cell_for_point."""
    lon = np.asarray(lons, dtype=np.float64).ravel()
    lat = np.asarray(lats, dtype=np.float64).ravel()
    if not len(lon):
        return np.empty(0, dtype=np.int64)
    table = connection.ops.quote_name(GridCell._meta.db_table)
    # The table name comes from the model, never from input; the points are parameters.
    sql = f"""
        SELECT cell.id
        FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(lon, lat, n)
        LEFT JOIN LATERAL (
            SELECT g.id FROM {table} g
            WHERE g.kind = %s AND ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
            ORDER BY g.code
            LIMIT 1
        ) cell ON true
        ORDER BY p.n
    """  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [lon.tolist(), lat.tolist(), GridCell.Kind.COMPREHENSIVE.value])
        rows = cur.fetchall()
    return np.fromiter((NO_CELL if r[0] is None else r[0] for r in rows), dtype=np.int64, count=len(rows))
