"""Benchmark: which grid cell holds each of many points.

In memory (geo.selectors.locate_many: one STRtree over every comprehensive cell) against the
baseline of one PostGIS spatial join (geo.selectors.cells_for_points_sql), on the same
random points in Wuxi's bounding box. Checks that both give the same answer for every point.

    .venv/bin/python bench/locate.py [--points 1000000] [--cells 3000] [--synthetic] [--seed 20240601]

With at least --cells comprehensive cells in the database, those are used, read-only.
Otherwise (or with --synthetic) a scratch database (<name>_bench) is created, a synthetic grid of at least --cells
cells tiling the bounding box is imported into it through geo.importing (timed too), and
the scratch database is dropped at the end: the dev database is never written.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

import django  # noqa: E402

django.setup()
logging.getLogger("pyogrio").setLevel(logging.WARNING)  # one INFO line per file written

import geopandas  # noqa: E402
import shapely  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon  # noqa: E402
from django.db import connection  # noqa: E402

from geo.importing import ImportResult, import_areas, import_grids  # noqa: E402
from geo.selectors import cell_index, cells_for_points_sql, forget_cell_index, locate_many  # noqa: E402
from grids.models import Area, GridCell  # noqa: E402

WUXI = (119.5, 31.1, 120.6, 32.0)  # lon/lat bounding box (DOMAIN §1)
BLOCK = 10  # a synthetic community is BLOCK × BLOCK cells; a street is a column of communities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=3_000, help="at least this many cells (synthetic if fewer)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the in-memory locate; the best is reported")
    parser.add_argument(
        "--synthetic", action="store_true", help="use the synthetic grid even if the database has cells"
    )
    args = parser.parse_args()

    print(machine())
    stored = GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE).count()
    if stored >= args.cells and not args.synthetic:
        print(f"cells: {stored} comprehensive cells from {settings.DATABASES['default']['NAME']} (read-only)")
        run(args)
        return
    with scratch_database() as name:
        why = "--synthetic" if args.synthetic else f"the database has {stored} < {args.cells}"
        print(f"cells: synthetic grid in scratch database {name} ({why})")
        synthesise(args.cells, seed=args.seed)
        run(args)


def run(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    lons = rng.uniform(WUXI[0], WUXI[2], args.points)
    lats = rng.uniform(WUXI[1], WUXI[3], args.points)
    n = args.points
    print(f"points: {n:,} uniform in lon {WUXI[0]}–{WUXI[2]}, lat {WUXI[1]}–{WUXI[3]} (seed {args.seed})")

    forget_cell_index()
    started = time.perf_counter()
    index = cell_index()
    build = time.perf_counter() - started
    vertices = int(shapely.get_num_coordinates(index.geoms).sum())
    print(f"index build: {build:.3f} s ({len(index):,} cells, {vertices:,} vertices: load from PostGIS + STRtree)")

    runs = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        bulk = locate_many(lons, lats)
        runs.append(time.perf_counter() - started)
    best = min(runs)
    print(
        f"locate_many (in memory, warm index): best {best:.3f} s of {len(runs)} "
        f"({', '.join(f'{r:.3f}' for r in runs)}) → {n / best:,.0f} points/s"
    )

    started = time.perf_counter()
    sql = cells_for_points_sql(lons, lats)
    spent = time.perf_counter() - started
    print(f"cells_for_points_sql (one PostGIS join):  {spent:.3f} s → {n / spent:,.0f} points/s")

    differ = int(np.count_nonzero(bulk != sql))
    located = int(np.count_nonzero(bulk >= 0))
    print(f"agreement: {n - differ:,} of {n:,} points identical ({located:,} inside a cell, {n - located:,} outside)")
    print(
        f"ratio: in memory is {spent / best:.1f}× the PostGIS join ({(spent / (best + build)):.1f}× counting the index build)"
    )
    if differ:
        raise SystemExit(f"FAIL: {differ} points differ, e.g. rows {np.flatnonzero(bulk != sql)[:10].tolist()}")


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    with connection.cursor() as cur:
        cur.execute("SELECT split_part(version(), ' ', 2), postgis_lib_version(), postgis_geos_version()")
        pg, postgis, pg_geos = cur.fetchone()
    return (
        f"machine: {cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}\n"
        f"software: Python {platform.python_version()}, numpy {np.__version__}, shapely {shapely.__version__} "
        f"(GEOS {'.'.join(map(str, shapely.geos_version))}); PostgreSQL {pg}, PostGIS {postgis} (GEOS {pg_geos})"
    )


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated empty database beside the dev one, dropped afterwards whatever happens."""
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench"
    old_name = db["NAME"]
    creation = connection.creation
    started = time.perf_counter()
    name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"scratch database {name} created and migrated in {time.perf_counter() - started:.1f} s")
    try:
        yield name
    finally:
        forget_cell_index()
        creation.destroy_test_db(old_name, verbosity=0)
        print(f"scratch database {name} dropped")


def synthesise(cells: int, *, seed: int) -> None:
    """A grid of at least `cells` irregular cells tiling Wuxi's box, with its areas, imported
    through geo.importing as a surveying department's files would be."""
    grid = synthetic_grid(cells, seed=seed)
    nx, ny = grid.shape
    polygons = grid.ravel()  # cell (i, j) at i * ny + j
    i, j = np.divmod(np.arange(len(polygons)), ny)
    street = i // BLOCK + 1
    community = j // BLOCK + 1
    serial = (i % BLOCK) * BLOCK + j % BLOCK + 1
    street_code = np.char.add("320213", np.char.zfill(street.astype(str), 3))
    community_code = np.char.add(street_code, np.char.zfill(community.astype(str), 3))
    cell_code = np.char.add(community_code, np.char.zfill(serial.astype(str), 3))

    def dissolve(codes: np.ndarray) -> geopandas.GeoDataFrame:
        frame = geopandas.GeoDataFrame({"code": codes}, geometry=list(polygons), crs="EPSG:4326")
        out = frame.dissolve(by="code").reset_index()
        out["name"] = out["code"]
        return out

    Area.objects.create(code="320200", name="无锡市", level=Area.Level.CITY, geom=_multipolygon(shapely.box(*WUXI)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        district = dissolve(np.full(len(polygons), "320213"))
        district.to_file(folder / "district.gpkg")
        dissolve(street_code).to_file(folder / "streets.gpkg")
        dissolve(community_code).to_file(folder / "communities.gpkg")
        frame = geopandas.GeoDataFrame(
            {"code": cell_code, "name": cell_code, "households": 300}, geometry=list(polygons), crs="EPSG:4326"
        )
        frame.to_file(folder / "cells.gpkg")
        written = time.perf_counter() - started
        for level, path in (("district", "district"), ("street", "streets"), ("community", "communities")):
            _check(import_areas(folder / f"{path}.gpkg", level=level, code_field="code"))
        started = time.perf_counter()
        result = import_grids(folder / "cells.gpkg", households_field="households")
        _check(result)
    print(
        f"synthetic grid: {nx} × {ny} = {len(polygons):,} cells in {len(set(community_code)):,} communities "
        f"(files written in {written:.1f} s); import_grids of {result.created:,} cells: "
        f"{time.perf_counter() - started:.1f} s"
    )


def synthetic_grid(cells: int, *, seed: int, segments: int = 8) -> np.ndarray:
    """An nx × ny array of Polygons tiling WUXI exactly: a lattice with jittered inner nodes,
    each edge broken into `segments` wiggly pieces shared by the two cells on either side
    (so real-looking cells of 4 × segments vertices, with no gaps or overlaps)."""
    x0, y0, x1, y1 = WUXI
    nx = math.ceil(math.sqrt(cells * (x1 - x0) / (y1 - y0)))
    ny = math.ceil(cells / nx)
    dx, dy = (x1 - x0) / nx, (y1 - y0) / ny
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1), indexing="ij")
    inner = (slice(1, -1), slice(1, -1))
    gx[inner] += rng.uniform(-0.2, 0.2, gx[inner].shape) * dx
    gy[inner] += rng.uniform(-0.2, 0.2, gy[inner].shape) * dy
    nodes = np.stack([gx, gy], axis=-1)  # (nx + 1, ny + 1, 2)
    t = np.linspace(0.0, 1.0, segments + 1)[:, None]

    def edges(start: np.ndarray, end: np.ndarray, on_border: np.ndarray) -> np.ndarray:
        line = start[..., None, :] * (1 - t) + end[..., None, :] * t
        along = end - start
        normal = np.stack([-along[..., 1], along[..., 0]], axis=-1)
        wiggle = rng.uniform(-0.04, 0.04, (*start.shape[:-1], segments + 1))
        wiggle[..., [0, -1]] = 0.0  # the nodes themselves stay put
        wiggle[on_border] = 0.0  # the bounding box stays straight
        return line + wiggle[..., None] * normal[..., None, :]

    border_h = np.zeros((nx, ny + 1), dtype=bool)
    border_h[:, [0, -1]] = True
    border_v = np.zeros((nx + 1, ny), dtype=bool)
    border_v[[0, -1], :] = True
    horizontal = edges(nodes[:-1, :], nodes[1:, :], border_h)  # (nx, ny + 1, segments + 1, 2)
    vertical = edges(nodes[:, :-1], nodes[:, 1:], border_v)  # (nx + 1, ny, segments + 1, 2)
    bottom = horizontal[:, :-1, :-1]
    right = vertical[1:, :, :-1]
    top = horizontal[:, 1:, ::-1][:, :, :-1]
    left = vertical[:-1, :, ::-1][:, :, :-1]
    rings = np.concatenate([bottom, right, top, left, bottom[:, :, :1]], axis=2)
    polygons = shapely.polygons(rings.reshape(nx * ny, -1, 2))
    if not shapely.is_valid(polygons).all():
        raise SystemExit("synthetic grid: invalid cell; lower the jitter")
    return np.asarray(polygons, dtype=object).reshape(nx, ny)


def _multipolygon(polygon: shapely.Polygon) -> MultiPolygon:
    return MultiPolygon(GEOSGeometry(memoryview(shapely.to_wkb(polygon)), srid=4326), srid=4326)


def _check(result: ImportResult) -> None:
    if not result.ok:
        raise SystemExit("\n".join(str(p) for p in result.problems[:20]))


if __name__ == "__main__":
    main()
