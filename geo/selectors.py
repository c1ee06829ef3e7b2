"""Spatial reads: which grid cell holds a point, one at a time or in bulk.

All three answers agree: a point is in a comprehensive cell when the cell covers it (its
boundary included), and a point on an edge or corner shared by several cells belongs to the
one with the lowest code, so the answer never depends on row order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from threading import Lock

import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Count, Max
from numpy.typing import ArrayLike, NDArray

from geo.coords import CoordSystem, to_wgs84
from grids.models import GridCell

NO_CELL = -1
# Points per STRtree query: bounds the memory of the Point objects (~200 B each) without
# costing speed; one query per chunk is already vectorised.
_CHUNK = 250_000


def grid_cell_for_point(point: Point) -> GridCell | None:
    """The one comprehensive cell covering `point` (WGS84), or None outside every cell.

    A point on an edge shared by two cells is covered by both; the lowest code wins, so the
    answer never depends on row order.
    """
    return (
        GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE, geom__covers=point)
        .select_related("community")
        .order_by("code")
        .first()
    )


def cell_fingerprint() -> tuple[int, int]:
    """A cheap signature of the comprehensive cells: (count, max id).

    It changes when cells are added or removed (or change kind), not when a cell's geometry
    or code is updated in place; importers call `forget_cell_index()` after they commit, and
    other processes see such updates when their index is next rebuilt (see CellIndex)."""
    row = GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE).aggregate(n=Count("id"), top=Max("id"))
    return int(row["n"]), int(row["top"] or 0)


@dataclass(frozen=True, eq=False)
class CellIndex:
    """All comprehensive cells in memory with an STRtree, for locating many points at once.

    Row k is the cell with the k-th lowest code, so "lowest code wins" is "lowest row wins"."""

    fingerprint: tuple[int, int]
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
        # For a point, "intersects" a polygon is "covered by" it: the boundary counts, as in
        # ST_Covers. A point on a shared edge comes back once per cell touching it.
        point_k, row = self.tree.query(points, predicate="intersects")
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
    """Drops this process's index, so the next locate rebuilds it (after an import)."""
    global _index
    _index = None


def locate_many(
    lons: ArrayLike, lats: ArrayLike, *, system: CoordSystem | str = CoordSystem.WGS84
) -> NDArray[np.int64]:
    """GridCell ids of the comprehensive cells covering each point, -1 where none does.

    Same answer as grid_cell_for_point for every point (lowest code on shared edges), from
    one in-memory STRtree: one cheap fingerprint query per call once the index is built."""
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
