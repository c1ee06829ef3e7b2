"""Locating points in grid cells: one at a time (grid_cell_for_point), in bulk from memory
(locate_many / CellIndex) and in bulk through PostGIS (cells_for_points_sql) give the same
answers, including on shared edges and corners, where the lowest code wins.

Town (tests/conftest.py), 0.01° squares from lon 120.30, lat 31.57:
  row 1:  003 004 | 002' ...      community 320213001001: 001-004 (2 × 2)
  row 0:  001 002 | 001' 002'     community 320213001002: 001', 002' (1 × 2 each)
"""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geo import selectors
from geo.coords import CoordSystem, from_wgs84
from geo.selectors import (
    NO_CELL,
    CellIndex,
    cell_index,
    cells_for_points_sql,
    grid_cell_for_point,
    locate_many,
)
from grids.models import GridCell
from tests.factories import centre_of, square

X0, Y0, STEP = 120.30, 31.57, 0.01
A1, A2, A3, A4 = (f"320213001001{k:03d}" for k in range(1, 5))
B1, B2 = "320213001002001", "320213001002002"


@pytest.fixture(autouse=True)
def _fresh_index():
    # The index is per process; tests must not see another test's cells.
    selectors.forget_cell_index()
    yield
    selectors.forget_cell_index()


@pytest.fixture
def shuffled_town(town):
    """The town with cell 001 re-created last: the lowest code now has the highest id, so a
    tie-break by id or by insertion order would pick a different cell than by code."""
    first = GridCell.objects.get(code=A1)
    values = {"code": first.code, "name": first.name, "community": first.community, "geom": first.geom}
    first.delete()
    GridCell.objects.create(**values)
    assert GridCell.objects.order_by("-id").first().code == A1
    return town


def single(lon: float, lat: float) -> str | None:
    cell = grid_cell_for_point(Point(lon, lat, srid=4326))
    return cell.code if cell else None


def codes(ids: np.ndarray) -> list[str | None]:
    by_id = dict(GridCell.objects.values_list("id", "code"))
    return [by_id.get(int(i)) for i in ids]


def all_three(lons: list[float], lats: list[float]) -> tuple[list[str | None], list[str | None], list[str | None]]:
    return (
        [single(x, y) for x, y in zip(lons, lats, strict=True)],
        codes(locate_many(lons, lats)),
        codes(cells_for_points_sql(lons, lats)),
    )


def test_point_inside_a_cell(town):
    p = centre_of(1, 1)
    assert all_three([p.x], [p.y]) == ([A4], [A4], [A4])


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (X0 + STEP, Y0 + 0.005, A1),  # 001 | 002
        (X0 + 0.005, Y0 + STEP, A1),  # 001 / 003
        (X0 + 0.015, Y0 + STEP, A2),  # 002 / 004
        (X0 + 2 * STEP, Y0 + 0.005, A2),  # 002 | 001' across the community border
        (X0 + 3 * STEP, Y0 + 0.015, B1),  # 001' | 002'
    ],
)
def test_point_on_a_shared_edge_goes_to_the_lowest_code(shuffled_town, lon, lat, expected):
    assert all_three([lon], [lat]) == ([expected], [expected], [expected])


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (X0 + STEP, Y0 + STEP, A1),  # 001, 002, 003, 004
        (X0 + 2 * STEP, Y0 + STEP, A2),  # 002, 004, 001'
        (X0, Y0, A1),  # the town's outer corner: only 001
        (X0 + 4 * STEP, Y0 + 2 * STEP, B2),  # the far outer corner: only 002'
    ],
)
def test_point_on_a_corner_goes_to_the_lowest_code(shuffled_town, lon, lat, expected):
    assert all_three([lon], [lat]) == ([expected], [expected], [expected])


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(121.47, 31.23), (X0 - 1e-9, Y0 + 0.005), (X0 + 0.005, Y0 + 2 * STEP + 1e-9), (-0.1276, 51.5072)],
)
def test_point_outside_every_cell_is_none(town, lon, lat):
    assert single(lon, lat) is None
    assert locate_many([lon], [lat]).tolist() == [NO_CELL]
    assert cells_for_points_sql([lon], [lat]).tolist() == [NO_CELL]


def test_specialised_cells_are_not_located(town):
    GridCell.objects.create(
        code="320213001001901", name="学校", kind=GridCell.Kind.SPECIALISED, community=town.community,
        geom=square(0, 0, size=0.004, origin=(X0 - 0.002, Y0 - 0.002)),
    )
    lon, lat = [X0 - 0.001], [Y0 - 0.001]  # inside the school only
    assert all_three(lon, lat) == ([None], [None], [None])


def test_bulk_equals_single_for_random_points_edges_and_corners(shuffled_town):
    rng = np.random.default_rng(20240601)
    lons = list(rng.uniform(X0 - 0.005, X0 + 4 * STEP + 0.005, 300))
    lats = list(rng.uniform(Y0 - 0.005, Y0 + 2 * STEP + 0.005, 300))
    # Every lattice vertex and edge midpoint, where the ties are.
    for i in range(9):
        for j in range(5):
            lons.append(X0 + i * STEP / 2)
            lats.append(Y0 + j * STEP / 2)
    one, bulk, sql = all_three(lons, lats)
    assert bulk == one
    assert sql == one
    assert None in one and len({c for c in one if c}) == 6  # the sample reaches outside and every cell


def test_bulk_equals_the_sql_join_on_many_points(shuffled_town):
    rng = np.random.default_rng(7)
    lons = rng.uniform(X0 - 0.01, X0 + 0.05, 5_000)
    lats = rng.uniform(Y0 - 0.01, Y0 + 0.03, 5_000)
    bulk = locate_many(lons, lats)
    assert bulk.dtype == np.int64 and bulk.shape == (5_000,)
    assert np.array_equal(bulk, cells_for_points_sql(lons, lats))
    assert (bulk == NO_CELL).any() and (bulk != NO_CELL).any()


def test_bulk_answers_in_input_order_across_chunks(town, monkeypatch):
    monkeypatch.setattr(selectors, "_CHUNK", 7)
    centres = [centre_of(c, r) for c, r in [(1, 1), (0, 0), (3, 0), (9, 9), (0, 1), (1, 0)] * 5]
    ids = locate_many([p.x for p in centres], [p.y for p in centres])
    assert codes(ids) == [A4, A1, B2, None, A3, A2] * 5


def test_offset_coordinates_are_converted_first(town):
    lon, lat = X0 + 4 * STEP - 0.002, Y0 + 0.015  # 190 m inside the town's east edge, in 002'
    gx, gy = from_wgs84(lon, lat, CoordSystem.GCJ02)
    assert codes(locate_many([float(gx)], [float(gy)], system=CoordSystem.GCJ02)) == [B2]
    # Read as WGS84, the same numbers are ~450 m east: outside the town.
    assert locate_many([float(gx)], [float(gy)]).tolist() == [NO_CELL]


def test_empty_and_non_finite_input(town):
    assert locate_many([], []).shape == (0,)
    assert cells_for_points_sql([], []).shape == (0,)
    p = centre_of(0, 0)
    assert codes(locate_many([np.nan, p.x, np.inf], [p.y, p.y, p.y])) == [None, A1, None]
    assert codes(cells_for_points_sql([np.nan, p.x], [p.y, p.y])) == [None, A1]


def test_no_cells_at_all(db):
    assert locate_many([X0], [Y0]).tolist() == [NO_CELL]
    assert cells_for_points_sql([X0], [Y0]).tolist() == [NO_CELL]


def test_index_is_built_once_and_reused(town, django_assert_num_queries):
    first = cell_index()
    assert isinstance(first, CellIndex) and len(first) == 6
    assert list(first.codes) == sorted(first.codes)
    with django_assert_num_queries(1):  # only the fingerprint
        locate_many([X0 + 0.005], [Y0 + 0.005])
    assert cell_index() is first


def test_index_is_rebuilt_when_cells_are_added_or_removed(town):
    first = cell_index()
    extra = GridCell.objects.create(code="320213001001005", name="新", community=town.community,
                                    geom=square(0, 0, origin=(X0, Y0 - STEP)))
    assert codes(locate_many([X0 + 0.005], [Y0 - 0.005])) == ["320213001001005"]
    assert cell_index() is not first
    extra.delete()
    assert locate_many([X0 + 0.005], [Y0 - 0.005]).tolist() == [NO_CELL]


def test_index_sees_cells_edited_in_place(town):
    """Same cells, same count, same ids: only the rows' versions tell the index to rebuild."""
    first = cell_index()
    assert codes(locate_many([X0 + 0.0105], [Y0 + 0.005])) == [A2]
    GridCell.objects.filter(code=A2).update(kind=GridCell.Kind.COMPREHENSIVE)  # a no-op edit still rebuilds
    assert cell_index() is not first
    # Re-survey: the 001 | 002 border moves 0.002° east.
    GridCell.objects.filter(code=A1).update(geom=square(0, 0, size=0.012, origin=(X0, Y0 - 0.002)))
    GridCell.objects.filter(code=A2).update(geom=MultiPolygon(Polygon.from_bbox((X0 + 0.012, Y0, X0 + 0.02, Y0 + STEP)), srid=4326))
    assert codes(locate_many([X0 + 0.0105], [Y0 + 0.005])) == [A1]
    assert single(X0 + 0.0105, Y0 + 0.005) == A1


def test_grid_import_is_seen_by_the_index(town, tmp_path):
    import geopandas
    from shapely.geometry import box

    from geo.importing import import_grids

    assert codes(locate_many([X0 + 0.0105], [Y0 + 0.005])) == [A2]
    rows = [
        {"code": A1, "name": "县前1", "geometry": box(X0, Y0, X0 + 0.012, Y0 + STEP)},
        {"code": A2, "name": "县前2", "geometry": box(X0 + 0.012, Y0, X0 + 2 * STEP, Y0 + STEP)},
    ]
    path = tmp_path / "resurvey.geojson"
    geopandas.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").to_file(path)
    result = import_grids(path)
    assert result.ok and result.updated == 2, result.problems
    assert codes(locate_many([X0 + 0.0105], [Y0 + 0.005])) == [A1]


@pytest.mark.parametrize("few_points_per_cell", [0, 10**9], ids=["tree-over-points", "tree-over-cells"])
def test_both_query_directions_agree_with_sql(shuffled_town, monkeypatch, few_points_per_cell):
    monkeypatch.setattr(selectors, "_FEW_POINTS_PER_CELL", few_points_per_cell)
    rng = np.random.default_rng(11)
    lons = np.concatenate([rng.uniform(X0 - 0.005, X0 + 0.045, 2_000), X0 + np.arange(9) * STEP / 2])
    lats = np.concatenate([rng.uniform(Y0 - 0.005, Y0 + 0.025, 2_000), np.full(9, Y0 + STEP)])
    assert np.array_equal(locate_many(lons, lats), cells_for_points_sql(lons, lats))
