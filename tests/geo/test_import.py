"""Boundary import on real PostGIS: each file format, coordinate systems, repair, and every
kind of bad file refused whole with a report naming the feature.

Files are written in tmp_path with geopandas. The new places sit in the town's city, west of
its district: district 320214 (lon 120.26-120.30, lat 31.53-31.57) ⊃ street 320214001 ⊃
community 320214001001 (lon 120.26-120.28, lat 31.53-31.55), tiled by four 0.01° cells.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas
import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from shapely.geometry import LineString, Polygon, box

from geo.coords import CoordSystem, from_wgs84
from geo.importing import ImportResult, import_areas, import_grids
from geo.selectors import grid_cell_for_point
from grids.models import Area, GridCell
from tests.factories import block

DATA = Path(__file__).parent / "data"
X0, Y0 = 120.26, 31.53
STEP = 0.01
COMMUNITY = "320214001001"
SUFFIX = {"GeoJSON": ".geojson", "GPKG": ".gpkg", "ESRI Shapefile": ".shp"}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Assertions read the English msgids; the project's default language is zh-hans.
    with translation.override("en"):
        yield


@pytest.fixture
def community(town) -> Area:
    district = Area.objects.create(
        code="320214", name="新吴区", level=Area.Level.DISTRICT, parent=town.city, geom=block(4, 4, origin=(X0, Y0))
    )
    street = Area.objects.create(
        code="320214001", name="旺庄街道", level=Area.Level.STREET, parent=district, geom=block(4, 4, origin=(X0, Y0))
    )
    return Area.objects.create(
        code=COMMUNITY, name="春潮社区", level=Area.Level.COMMUNITY, parent=street, geom=block(2, 2, origin=(X0, Y0))
    )


def cell_box(col: int, row: int) -> Polygon:
    x, y = X0 + col * STEP, Y0 + row * STEP
    return box(x, y, x + STEP, y + STEP)


def cell(serial: int, geometry: Any, *, community: str = COMMUNITY, **extra: Any) -> dict[str, Any]:
    return {"code": f"{community}{serial:03d}", "name": f"春潮{serial}", "households": 300, "geometry": geometry} | extra


def four_cells() -> list[dict[str, Any]]:
    return [cell(k + 1, cell_box(col, row)) for k, (col, row) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)])]


def write(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    *,
    driver: str = "GeoJSON",
    name: str = "cells",
    crs: str | None = "EPSG:4326",
    to_crs: str | None = None,
) -> Path:
    frame = geopandas.GeoDataFrame(rows, geometry="geometry", crs=crs)
    if to_crs:
        frame = frame.to_crs(to_crs)
    path = tmp_path / f"{name}{SUFFIX[driver]}"
    frame.to_file(path, driver=driver)
    return path


def snapshot() -> list[tuple[Any, ...]]:
    """Every place row, geometry as EWKB: equal snapshots mean the database did not change."""
    areas = [(a, c, n, p, g.hexewkb) for a, c, n, p, g in Area.objects.values_list("id", "code", "name", "parent_id", "geom")]
    cells = [
        (i, c, n, h, k, m, g.hexewkb)
        for i, c, n, h, k, m, g in GridCell.objects.values_list(
            "id", "code", "name", "households", "kind", "community_id", "geom"
        )
    ]
    return sorted(areas) + sorted(cells)


def refused(command: str, path: Path, **options: Any) -> str:
    """Runs a command that must refuse the file and leave the database as it was."""
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        call_command(command, str(path), **options)
    assert snapshot() == before
    return str(excinfo.value)


def io_call(command: str, path: Path, **options: Any) -> str:
    out = io.StringIO()
    call_command(command, str(path), stdout=out, **options)
    return out.getvalue()


def import_cells(path: Path, **options: Any) -> str:
    return io_call("import_grids", path, **options)


def assert_near(stored, expected: Polygon, *, degrees: float = 1e-8) -> None:
    assert shapely.hausdorff_distance(shapely.from_wkb(bytes(stored.wkb)), expected) < degrees


# --------------------------------------------------------------------------------------------
# Good files


@pytest.mark.parametrize(
    ("driver", "to_crs"),
    [("GeoJSON", None), ("GPKG", None), ("GPKG", "EPSG:4549"), ("ESRI Shapefile", "EPSG:4549")],
)
def test_grid_file_of_each_format_is_imported(community, tmp_path, driver, to_crs):
    path = write(tmp_path, four_cells(), driver=driver, to_crs=to_crs)
    result = import_grids(path, households_field="households")
    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    cells = list(GridCell.objects.filter(community=community).order_by("code"))
    assert [c.code for c in cells] == [f"{COMMUNITY}00{k}" for k in range(1, 5)]
    assert [c.name for c in cells] == ["春潮1", "春潮2", "春潮3", "春潮4"]
    assert {c.households for c in cells} == {300}
    assert {c.kind for c in cells} == {GridCell.Kind.COMPREHENSIVE}
    for stored, row in zip(cells, four_cells(), strict=True):
        assert stored.geom.geom_type == "MultiPolygon"
        assert stored.geom.srid == 4326
        assert_near(stored.geom, row["geometry"])


def test_reimporting_the_same_file_changes_nothing(community, tmp_path):
    path = write(tmp_path, four_cells(), driver="GPKG", to_crs="EPSG:4549")
    assert "4 created, 0 changed, 0 unchanged" in import_cells(path, households_field="households")
    before = snapshot()
    assert "0 created, 0 changed, 4 unchanged" in import_cells(path, households_field="households")
    assert snapshot() == before


def test_reimport_updates_only_the_changed_cells(community, tmp_path):
    import_grids(write(tmp_path, four_cells(), name="v1"), households_field="households")
    ids = dict(GridCell.objects.values_list("code", "id"))
    rows = four_cells()
    rows[1]["name"] = "春潮二"
    rows[2]["households"] = 280
    result = import_grids(write(tmp_path, rows, name="v2"), households_field="households")
    assert (result.created, result.updated, result.unchanged) == (0, 2, 2)
    assert GridCell.objects.get(code=f"{COMMUNITY}002").name == "春潮二"
    assert GridCell.objects.get(code=f"{COMMUNITY}003").households == 280
    assert dict(GridCell.objects.values_list("code", "id")) == ids  # updated in place, not replaced


def test_moving_a_shared_edge_updates_both_cells(community, tmp_path):
    import_grids(write(tmp_path, four_cells(), name="v1"))
    rows = four_cells()
    # The border between cells 1 and 2 moves 0.002° east in the new survey.
    rows[0]["geometry"] = box(X0, Y0, X0 + 0.012, Y0 + STEP)
    rows[1]["geometry"] = box(X0 + 0.012, Y0, X0 + 2 * STEP, Y0 + STEP)
    result = import_grids(write(tmp_path, rows, name="v2"))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 2)
    assert_near(GridCell.objects.get(code=f"{COMMUNITY}001").geom, rows[0]["geometry"])


def test_a_file_may_carry_part_of_a_community(community, tmp_path):
    rows = four_cells()
    alone = import_grids(write(tmp_path, rows[3:], name="first"))
    assert [p.feature for p in alone.problems] == [COMMUNITY]  # one cell alone leaves a gap
    assert import_grids(write(tmp_path, rows, name="all")).ok
    # Later, one cell alone is re-surveyed: the three stored cells complete the tiling.
    rows[3]["name"] = "春潮四"
    result = import_grids(write(tmp_path, rows[3:], name="one"))
    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)


def test_dry_run_counts_and_writes_nothing(community, tmp_path):
    before = snapshot()
    out = import_cells(write(tmp_path, four_cells()), dry_run=True)
    assert "4 created, 0 changed, 0 unchanged" in out
    assert "Dry run" in out
    assert snapshot() == before


def offset_file(tmp_path: Path, system: CoordSystem) -> Path:
    """The four cells as a phone SDK or a Chinese web map would hand them over: every vertex in `system`."""
    rows = four_cells()
    for row in rows:
        row["geometry"] = shapely.transform(
            row["geometry"], lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], system))
        )
    return write(tmp_path, rows)


@pytest.mark.parametrize("system", [CoordSystem.GCJ02, CoordSystem.BD09])
def test_offset_coordinates_land_in_the_wgs84_place(community, tmp_path, system):
    path = offset_file(tmp_path, system)
    # The offset is hundreds of metres here: read as WGS84, the file would not fit its community.
    assert "outside its parent" in refused("import_grids", path)
    import_cells(path, coords=system)
    for k, expected in enumerate(four_cells()):
        assert_near(GridCell.objects.get(code=f"{COMMUNITY}{k + 1:03d}").geom, expected["geometry"], degrees=1e-9)
    found = grid_cell_for_point(Point(X0 + 0.015, Y0 + 0.005, srid=4326))
    assert found is not None and found.code == f"{COMMUNITY}002"


def test_self_intersecting_rings_are_repaired_and_imported(community, tmp_path):
    # Two bow-ties (each ring crosses itself at the square's centre) that together tile the
    # first quadrant: one is its left and right triangles, the other its top and bottom.
    x1, y1 = X0 + STEP, Y0 + STEP
    left_right = Polygon([(X0, Y0), (x1, y1), (x1, Y0), (X0, y1), (X0, Y0)])
    top_bottom = Polygon([(X0, Y0), (x1, Y0), (X0, y1), (x1, y1), (X0, Y0)])
    assert not left_right.is_valid and not top_bottom.is_valid
    rows = [cell(1, left_right), cell(5, top_bottom)] + four_cells()[1:]
    out = import_cells(write(tmp_path, rows))
    assert "5 created" in out
    assert f"Repaired invalid geometry of: {COMMUNITY}001, {COMMUNITY}005" in out
    for code in (f"{COMMUNITY}001", f"{COMMUNITY}005"):
        geom = GridCell.objects.get(code=code).geom
        assert geom.valid and geom.geom_type == "MultiPolygon" and len(geom) == 2
    centre_left = Point(X0 + 0.001, Y0 + 0.005, srid=4326)
    assert grid_cell_for_point(centre_left).code == f"{COMMUNITY}001"
    assert grid_cell_for_point(Point(X0 + 0.005, Y0 + 0.001, srid=4326)).code == f"{COMMUNITY}005"


def test_a_spike_is_repaired_to_the_square(community, tmp_path):
    rows = four_cells()
    x1, y1 = X0 + STEP, Y0 + STEP
    # A digitising slip: the ring runs out 0.005° along a line and comes back.
    rows[0]["geometry"] = Polygon([(X0, Y0), (x1, Y0), (x1, y1), (X0 + 0.005, y1), (X0 + 0.005, y1 + 0.005),
                                   (X0 + 0.005, y1), (X0, y1), (X0, Y0)])
    result = import_grids(write(tmp_path, rows))
    assert result.ok, result.problems
    assert result.repaired == [f"{COMMUNITY}001"]
    assert_near(GridCell.objects.get(code=f"{COMMUNITY}001").geom, cell_box(0, 0))


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_shapefile_without_crs_needs_the_crs_option(community, tmp_path):
    # Projected metres with no .prj beside them: only --crs can say what they are.
    metric = geopandas.GeoDataFrame(four_cells(), geometry="geometry", crs="EPSG:4326").to_crs("EPSG:4549")
    path = tmp_path / "noprj.shp"
    metric.set_crs(None, allow_override=True).to_file(path)
    assert not path.with_suffix(".prj").exists()
    assert "declares no coordinate reference system" in refused("import_grids", path)
    assert "4 created" in import_cells(path, crs="EPSG:4549")


def test_crs_option_contradicting_the_file_is_refused(community, tmp_path):
    path = write(tmp_path, four_cells(), driver="GPKG", to_crs="EPSG:4549")
    assert "declares EPSG:4549 but --crs says EPSG:4547" in refused("import_grids", path, crs="EPSG:4547")


def test_amap_style_district_file_in_gcj02_is_imported(town):
    """tests/geo/data/amap_district_gcj02.geojson: the shape of AMap/DataV district exports
    (integer adcode, nested parent object, GCJ-02 vertices rounded to 6 decimals)."""
    path = DATA / "amap_district_gcj02.geojson"
    assert json.loads(path.read_text())["features"][0]["properties"]["adcode"] == 320214
    out = io_call("import_areas", path, level="district", coords="gcj02")
    assert "1 created" in out
    district = Area.objects.get(code="320214")
    assert (district.name, district.level, district.parent) == ("新吴区", Area.Level.DISTRICT, town.city)
    # 6 decimals of GCJ-02 are about 0.1 m: the box is where the WGS84 survey put it.
    assert_near(district.geom, box(120.27, 31.54, 120.29, 31.56), degrees=2e-6)


def test_area_hierarchy_imports_from_three_formats(town, tmp_path):
    district = write(tmp_path, [{"adcode": 320214, "name": "新吴区", "geometry": box(X0, Y0, X0 + 0.04, Y0 + 0.04)}],
                     name="district")
    streets = write(
        tmp_path,
        [
            {"code": "320214001", "name": "旺庄街道", "up": "320214", "geometry": box(X0, Y0, X0 + 0.02, Y0 + 0.04)},
            {"code": "320214002", "name": "硕放街道", "up": "320214", "geometry": box(X0 + 0.02, Y0, X0 + 0.04, Y0 + 0.04)},
        ],
        driver="GPKG",
        name="streets",
    )
    communities = write(
        tmp_path,
        [{"adcode": COMMUNITY, "name": "春潮社区", "geometry": box(X0, Y0, X0 + 0.02, Y0 + 0.02)}],
        driver="ESRI Shapefile",
        name="communities",
        to_crs="EPSG:4549",
    )
    assert "1 created" in io_call("import_areas", district, level="district")
    assert "2 created" in io_call("import_areas", streets, level="street", code_field="code", parent_field="up")
    assert "1 created" in io_call("import_areas", communities, level="community")
    street = Area.objects.get(code="320214001")
    assert street.parent.code == "320214" and street.parent.parent == town.city
    assert Area.objects.get(code=COMMUNITY).parent == street
    assert "4 created" in import_cells(write(tmp_path, four_cells()))
    # And the same files again change nothing.
    before = snapshot()
    assert "0 created, 0 changed, 1 unchanged" in io_call("import_areas", district, level="district")
    assert "0 created, 0 changed, 2 unchanged" in io_call(
        "import_areas", streets, level="street", code_field="code", parent_field="up"
    )
    assert "0 created, 0 changed, 1 unchanged" in io_call("import_areas", communities, level="community")
    assert snapshot() == before


def test_specialised_grids_may_overlap_comprehensive_ones(community, tmp_path):
    import_grids(write(tmp_path, four_cells(), name="comprehensive"))
    school = [cell(901, box(X0 + 0.005, Y0 + 0.005, X0 + 0.015, Y0 + 0.015), name="实验小学")]
    result = import_grids(write(tmp_path, school, name="school"), kind=GridCell.Kind.SPECIALISED)
    assert result.ok, result.problems
    assert GridCell.objects.get(code=f"{COMMUNITY}901").kind == GridCell.Kind.SPECIALISED
    # Locating a point still answers the comprehensive cell.
    assert grid_cell_for_point(Point(X0 + 0.006, Y0 + 0.006, srid=4326)).code == f"{COMMUNITY}001"


# --------------------------------------------------------------------------------------------
# Bad files: refused whole, every bad feature named


def test_overlapping_cells_are_refused(community, tmp_path):
    rows = four_cells()
    rows[0]["geometry"] = box(X0, Y0, X0 + 0.012, Y0 + STEP)  # 0.002° into cell 2
    message = refused("import_grids", write(tmp_path, rows))
    assert re.search(rf"{COMMUNITY}001: overlaps grid cell {COMMUNITY}002 by [\d.]+ m²", message)
    area = float(re.search(r"by ([\d.]+) m²", message).group(1))
    assert 190_000 < area < 230_000  # 0.002° × 0.01° at 31.5°N ≈ 190 m × 1110 m
    assert GridCell.objects.filter(community=community).count() == 0


def test_overlap_with_a_stored_cell_is_refused(community, tmp_path):
    import_grids(write(tmp_path, four_cells(), name="v1"))
    intruder = [cell(5, box(X0 + 0.002, Y0 + 0.002, X0 + 0.008, Y0 + 0.008))]
    message = refused("import_grids", write(tmp_path, intruder, name="v2"))
    assert f"{COMMUNITY}005: overlaps grid cell {COMMUNITY}001 (already stored)" in message


def test_a_gap_is_refused_naming_the_community_and_its_area(community, tmp_path):
    rows = four_cells()[:3]
    rows.append(cell(4, box(X0 + STEP, Y0 + STEP, X0 + 0.019, Y0 + 0.02)))  # 0.001° short of the east edge
    message = refused("import_grids", write(tmp_path, rows))
    match = re.search(rf"{COMMUNITY}: community has ([\d.]+) m² not covered by any comprehensive grid cell "
                      r"\(largest gap near (120\.\d+), (31\.\d+)\)", message)
    assert match, message
    assert 90_000 < float(match.group(1)) < 120_000  # 0.001° × 0.01° ≈ 95 m × 1110 m
    assert 120.279 < float(match.group(2)) < 120.28 and 31.54 < float(match.group(3)) < 31.55


def test_slivers_within_the_tolerance_are_accepted(community, tmp_path, settings):
    settings.GRID_TOLERANCE_M2 = 1.0
    rows = four_cells()
    # 1e-9° (0.1 mm) of overlap along a 1.1 km edge is about 0.1 m²: survey noise, not a problem.
    rows[0]["geometry"] = box(X0, Y0, X0 + STEP + 1e-9, Y0 + STEP)
    result = import_grids(write(tmp_path, rows))
    assert result.ok, result.problems


def test_a_cell_outside_its_community_is_refused(community, tmp_path):
    rows = four_cells()
    rows[1]["geometry"] = box(X0 + STEP, Y0, X0 + 0.021, Y0 + STEP)  # 0.001° over the east edge
    message = refused("import_grids", write(tmp_path, rows))
    assert re.search(rf"{COMMUNITY}002: lies [\d.]+ m² outside its parent Community / village {COMMUNITY}", message)


def test_bad_codes_are_refused_each_by_name(community, tmp_path):
    rows = four_cells()
    rows[0]["code"] = "32021400100101"  # 14 digits
    rows[1]["code"] = "3202140010010X2"
    rows[2]["code"] = "320214001009003"  # its community 320214001009 does not exist
    rows[3]["code"] = "320214001001002"
    rows.append(cell(2, box(X0, Y0, X0 + 0.001, Y0 + 0.001)))  # duplicate of the row above
    message = refused("import_grids", write(tmp_path, rows))
    assert "32021400100101: code must be 15 digits" in message
    assert "3202140010010X2: code must be 15 digits" in message
    assert "320214001009003: its parent Community / village 320214001009 is not in the database" in message
    assert "320214001001002: code appears 2 times in the file" in message
    assert message.startswith(f"Refused {tmp_path / 'cells.geojson'}: 5 problem(s), nothing was imported.")


def test_missing_community_is_refused(town, tmp_path):
    message = refused("import_grids", write(tmp_path, four_cells()))
    assert f"{COMMUNITY}001: its parent Community / village {COMMUNITY} is not in the database" in message


def test_missing_code_name_or_geometry_is_refused(community, tmp_path):
    rows = four_cells()
    rows[0]["code"] = None
    rows[1]["name"] = "  "
    rows[2]["geometry"] = None
    rows[3]["geometry"] = LineString([(X0, Y0), (X0 + STEP, Y0 + STEP)])
    rows[3]["households"] = 12.5
    message = refused("import_grids", write(tmp_path, rows), households_field="households")
    assert "#1: has no code in field code" in message
    assert f"{COMMUNITY}002: has no name in field name" in message
    assert f"{COMMUNITY}003: has no geometry" in message
    assert f"{COMMUNITY}004: is a LineString, not a polygon" in message
    assert f"{COMMUNITY}004: households must be a whole number ≥ 0, not 12.5" in message


def test_cell_code_of_another_kind_is_refused(community, tmp_path):
    import_grids(write(tmp_path, four_cells(), name="v1"))
    message = refused("import_grids", write(tmp_path, four_cells()[:1], name="v2"), kind="specialised")
    assert f"{COMMUNITY}001: code already belongs to a Comprehensive grid" in message


@pytest.mark.parametrize("content", [b"not json {", b"\x00" * 100, None])
def test_unreadable_file_is_refused(community, tmp_path, content):
    path = tmp_path / "cells.gpkg"
    if content is not None:
        path.write_bytes(content)
    message = refused("import_grids", path)
    assert f"file: cannot read {path}" in message


def test_missing_field_is_refused_listing_the_fields(community, tmp_path):
    message = refused("import_grids", write(tmp_path, four_cells()), code_field="adcode")
    assert "file: no field adcode; the file has code, name, households" in message


def test_one_bad_feature_among_good_ones_imports_nothing(community, tmp_path):
    rows = four_cells()
    rows[3]["geometry"] = box(X0 + STEP, Y0 + STEP, X0 + 0.03, Y0 + 0.02)  # far over the edge
    message = refused("import_grids", write(tmp_path, rows))
    assert f"{COMMUNITY}004: lies" in message
    assert "problem(s)" in message and f"{COMMUNITY}001" not in message
    assert not GridCell.objects.filter(community=community).exists()


def test_area_outside_its_parent_is_refused(town, tmp_path):
    rows = [{"adcode": 320214, "name": "新吴区", "geometry": box(120.33, 31.60, 120.36, 31.62)}]
    message = refused("import_areas", write(tmp_path, rows), level="district")
    assert re.search(r"320214: lies [\d.]+ m² outside its parent City 320200", message)


def test_area_codes_are_checked_for_the_level_and_parent(town, tmp_path):
    rows = [
        {"adcode": "320213002", "name": "A", "up": "320213", "geometry": box(120.30, 31.57, 120.31, 31.58)},  # fine
        {"adcode": "32021300", "name": "B", "up": "320213", "geometry": box(120.30, 31.57, 120.31, 31.58)},
        {"adcode": "320214003", "name": "C", "up": "320213", "geometry": box(120.30, 31.57, 120.31, 31.58)},
        {"adcode": "320213004", "name": "D", "up": "320213001", "geometry": box(120.30, 31.57, 120.31, 31.58)},
        {"adcode": "320213001", "name": "E", "up": "320213", "geometry": box(120.30, 31.57, 120.31, 31.58)},  # fine
    ]
    message = refused("import_areas", write(tmp_path, rows), level="street", parent_field="up")
    assert "32021300: code must be 9 digits" in message
    assert "320214003: code must start with its parent's code 320213" in message
    assert "320213004: its parent 320213001 is a Street / town, not a District" in message
    assert "320213002" not in message and "320213001:" not in message
    assert Area.objects.filter(level=Area.Level.STREET).count() == 1


def test_district_code_of_the_city_is_refused(town, tmp_path):
    rows = [{"adcode": 320200, "name": "无锡市", "geometry": box(120.27, 31.54, 120.29, 31.56)}]
    message = refused("import_areas", write(tmp_path, rows), level="district")
    assert "320200: code already belongs to a City" in message


def test_import_result_report_sorts_file_problems_first():
    result = ImportResult()
    result.add("320214001001002", "b")
    result.add("file", "a")
    result.add("320214001001001", "c")
    assert result.report("x.gpkg").splitlines()[1:] == ["  file: a", "  320214001001001: c", "  320214001001002: b"]


def test_area_import_dry_run_counts_without_writing(town, tmp_path):
    rows = [
        {"adcode": 320213, "name": "梁溪区", "geometry": box(120.30, 31.57, 120.34, 31.59)},  # as stored
        {"adcode": 320214, "name": "新吴区", "geometry": box(120.27, 31.54, 120.29, 31.56)},
        {"adcode": 320205, "name": "锡山区", "geometry": box(120.30, 31.59, 120.34, 31.60)},
    ]
    before = snapshot()
    result = import_areas(write(tmp_path, rows), level=Area.Level.DISTRICT, dry_run=True)
    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (2, 0, 1)
    assert snapshot() == before


def test_reimporting_a_renamed_area_updates_it_in_place(town, tmp_path):
    rows = [{"adcode": 320213, "name": "梁溪区(新)", "geometry": box(120.30, 31.57, 120.34, 31.59)}]
    result = import_areas(write(tmp_path, rows), level=Area.Level.DISTRICT)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    town.district.refresh_from_db()
    assert (town.district.name, town.district.parent) == ("梁溪区(新)", town.city)
    assert town.street.parent == town.district


def test_the_same_outline_from_another_format_is_unchanged(community, tmp_path):
    import_grids(write(tmp_path, four_cells()))
    before = snapshot()
    # A Shapefile stores the same squares clockwise and from another first vertex.
    result = import_grids(write(tmp_path, four_cells(), driver="ESRI Shapefile"))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert snapshot() == before
