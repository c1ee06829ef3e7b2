"""The Wuxi demo: load_demo_city's places, taxonomy, people and case history.

The full load takes a while, so it runs once for the module (committed, then wiped at the
end so other modules start from an empty database); each test reads it inside its own
rolled-back transaction. The generator's geometry is also checked without the database.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pytest
import shapely
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation
from shapely.geometry import Polygon

from access.codes import jurisdiction_prefix
from access.roles import roles_of
from cases.models import Case, CaseEvent, Category, Department, DepartmentUnit
from demo.load import wipe
from demo.people import BACKGROUND_PREFIX, DEMO_PASSWORD, DEMO_USERNAMES, DISTRICT_SLUGS, FOCUS_DISTRICT
from demo.places import DATA_DIR, DISTRICTS, plan_city, read_boundaries, subdivide
from demo.taxonomy import DEPARTMENTS
from geo.importing import metric_area
from geo.selectors import grid_cell_for_point
from grids.models import Area, GridCell

TOLERANCE_M2 = settings.GRID_TOLERANCE_M2
SRID = settings.METRIC_SRID
DEMO_CASES = 150


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """Loads the demo once for the module and returns the command's output."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        out = io.StringIO()
        call_command("load_demo_city", "--cases", str(DEMO_CASES), stdout=out)
        try:
            yield out.getvalue()
        finally:
            with transaction.atomic():
                wipe()
                get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()


@pytest.fixture
def loaded(demo_city, db) -> str:
    return demo_city


def _sql(query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return cursor.fetchall()


# --- the generator alone (no database) -----------------------------------------------------


def test_subdivide_tiles_a_concave_parent_exactly():
    # A U shape: Voronoi regions straddle the notch and come out in two pieces.
    parent = Polygon([(0, 0), (3000, 0), (3000, 3000), (2000, 3000), (2000, 1000), (1000, 1000), (1000, 3000),
                      (0, 3000)])
    seeds = np.random.default_rng(7).uniform(0, 3000, size=(25, 2))
    children = subdivide(parent, seeds)
    assert len(children) >= 10
    assert all(c.is_valid and c.geom_type == "MultiPolygon" for c in children)
    assert abs(sum(c.area for c in children) - parent.area) < 1e-3
    assert abs(shapely.union_all(children).area - parent.area) < 1e-3
    assert shapely.coverage_is_valid(np.array(children, dtype=object))
    assert all(shapely.difference(c, parent).area < 1e-6 for c in children)


def test_boundaries_are_converted_from_gcj02():
    boundaries = read_boundaries()
    assert set(boundaries) == {"320200", *DISTRICT_SLUGS}
    raw = shapely.from_geojson((DATA_DIR / "320213.geojson").read_text(encoding="utf-8"))
    shift = shapely.distance(raw.centroid, boundaries["320213"].centroid) * 111_000
    # AMap's GCJ-02 offset around Wuxi is a few hundred metres.
    assert 200 < shift < 800


def test_plan_is_reproducible_from_its_seed():
    boundaries = read_boundaries()
    spec = [d for d in DISTRICTS if d.code == "320214"]
    first, again = (plan_city(boundaries, districts=spec, scale=0.1, seed=5) for _ in range(2))
    assert [(p.code, p.name, p.households) for p in first.cells] == [(p.code, p.name, p.households) for p in again.cells]
    assert all(a.geom.equals_exact(b.geom, 0) for a, b in zip(first.cells, again.cells, strict=True))


def test_plan_of_one_district_tiles_it():
    boundaries = read_boundaries()
    spec = next(d for d in DISTRICTS if d.code == "320213")
    plan = plan_city(boundaries, districts=[spec], scale=0.25)
    district = boundaries["320213"]
    streets = [a.geom for a in plan.by_level("street")]
    cells = [c.geom for c in plan.cells]
    assert len(streets) == len(spec.streets)
    district_area = metric_area([district])[0]
    for parts in (streets, cells):
        assert abs(metric_area(parts).sum() - district_area) < TOLERANCE_M2
        assert abs(metric_area([shapely.union_all(parts)])[0] - district_area) < TOLERANCE_M2
    assert sum(c.households for c in plan.cells) == plan.areas[1].households > 0


# --- the loaded city ------------------------------------------------------------------------


def test_city_has_the_seven_real_districts_and_over_3000_cells(loaded):
    assert Area.objects.get(level=Area.Level.CITY).code == "320200"
    districts = dict(Area.objects.filter(level=Area.Level.DISTRICT).values_list("code", "name"))
    assert districts == {
        "320205": "锡山区", "320206": "惠山区", "320211": "滨湖区", "320213": "梁溪区",
        "320214": "新吴区", "320281": "江阴市", "320282": "宜兴市",
    }
    assert GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE).count() >= 3000
    assert "grid cells" in loaded and "Loaded in" in loaded


def test_codes_are_well_formed_and_prefix_consistent(loaded):
    lengths = {Area.Level.DISTRICT: 6, Area.Level.STREET: 9, Area.Level.COMMUNITY: 12}
    for area in Area.objects.select_related("parent").exclude(level=Area.Level.CITY):
        assert re.fullmatch(r"\d+", area.code) and len(area.code) == lengths[Area.Level(area.level)], area
        assert area.parent is not None and area.code.startswith(jurisdiction_prefix(area.parent.code, area.parent.level)), area
    for code, community in GridCell.objects.values_list("code", "community__code"):
        assert re.fullmatch(r"\d{15}", code) and code.startswith(community) and code[-3:] != "000"
    # 街道 001-099 and 镇 100-199; 社区 001-199 and 村 200-399, as the national scheme does.
    for code, name in Area.objects.filter(level=Area.Level.STREET).values_list("code", "name"):
        assert (int(code[6:]) < 100) == name.endswith("街道"), (code, name)
    for code, name in Area.objects.filter(level=Area.Level.COMMUNITY).values_list("code", "name"):
        assert (int(code[9:]) < 200) == name.endswith("社区"), (code, name)
    cell = GridCell.objects.select_related("community").first()
    assert cell is not None and re.fullmatch(re.escape(cell.community.name) + r"第\d+网格", cell.name)


def test_every_geometry_is_a_valid_multipolygon(loaded):
    for table in ("grids_area", "grids_gridcell"):
        bad = _sql(f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) "  # noqa: S608 -- fixed names
                   "OR GeometryType(geom) <> 'MULTIPOLYGON' OR ST_Area(geom) = 0")
        assert bad == [(0,)], table


def _tiling(parent_sql: str, children_sql: str, codes: list[str]) -> list[tuple[str, float, float, float, float]]:
    """Per parent: |area - union of children|, |area - sum of children|, children outside,
    parent uncovered; all in m².

    Overlays run on the stored lon/lat geometry and areas are measured as the boundary
    importer measures them (geo.importing.metric_area densifies before projecting):
    projecting a parent's long straight edge and a child's shorter edges along it bends them
    differently and would invent slivers of several m² that the stored geometry lacks.
    """
    rows = _sql(
        f"""
        SELECT p.code, ST_AsBinary(p.geom), array_agg(ST_AsBinary(k.geom))
        FROM grids_area p JOIN {children_sql} k ON {parent_sql}
        WHERE p.code = ANY(%(codes)s) GROUP BY p.id ORDER BY p.code
        """,  # noqa: S608 -- the interpolated parts are fixed SQL fragments of this module
        {"codes": codes},
    )
    measured = []
    for code, parent_wkb, kids_wkb in rows:
        parent = shapely.from_wkb(bytes(parent_wkb))
        kids = [shapely.from_wkb(bytes(k)) for k in kids_wkb]
        union = shapely.union_all(kids)
        area, union_area = metric_area([parent, union])
        measured.append((
            code,
            abs(area - union_area),
            abs(area - metric_area(kids).sum()),
            float(metric_area([shapely.difference(union, parent)])[0]),
            float(metric_area([shapely.difference(parent, union)])[0]),
        ))
    return measured


def _sample(level: Area.Level, k: int) -> list[str]:
    """k codes of the level at random, plus the first (most central) one of 梁溪区."""
    codes = sorted(Area.objects.filter(level=level).values_list("code", flat=True))
    rng = np.random.default_rng(3)
    first = next(c for c in codes if c.startswith(FOCUS_DISTRICT))
    return sorted({first, *(str(c) for c in rng.choice(codes, size=min(k, len(codes)), replace=False))})


def test_cells_tile_their_communities(loaded):
    codes = _sample(Area.Level.COMMUNITY, 40)
    rows = _tiling("k.community_id = p.id", "grids_gridcell", codes)
    assert [r[0] for r in rows] == codes
    for code, union_gap, sum_gap, outside, uncovered in rows:
        # sum ≈ union ≈ area: no overlaps and no gaps; nothing sticks out of the community.
        assert max(union_gap, sum_gap, outside, uncovered) < TOLERANCE_M2, code


def test_areas_tile_their_parents(loaded):
    codes = ["320200", *DISTRICT_SLUGS, *_sample(Area.Level.STREET, 15)]
    rows = _tiling("k.parent_id = p.id", "grids_area", codes)
    assert len(rows) == len(codes)
    for code, union_gap, sum_gap, outside, uncovered in rows:
        assert max(union_gap, sum_gap, outside, uncovered) < TOLERANCE_M2, code


def test_cells_are_smaller_where_the_city_is_dense(loaded):
    rows = dict(_sql(
        "SELECT left(code, 6), percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Area(ST_Transform(geom, %s))) "
        "FROM grids_gridcell GROUP BY 1", [SRID],
    ))
    counts = dict(_sql("SELECT left(code, 6), count(*) FROM grids_gridcell GROUP BY 1"))
    assert min(rows, key=rows.__getitem__) == "320213"  # 梁溪区, the old city centre
    assert rows["320213"] < 150_000 < rows["320281"] and rows["320282"] > 500_000
    assert max(counts, key=counts.__getitem__) == "320213"
    urban = GridCell.objects.filter(code__startswith="320213").values_list("households", flat=True)
    assert 250 <= float(np.mean(list(urban))) <= 350  # ~300 households per urban grid (DOMAIN §1)


def test_departments_have_a_unit_in_every_district(loaded):
    names = ["组织", "综治", "公安", "民政", "司法", "人社", "国土", "环保", "住建", "水利", "农业", "文化", "卫生", "城管",
             "安监", "消防"]
    assert sorted(Department.objects.values_list("name", flat=True)) == sorted(names)
    assert {d.code for d in DEPARTMENTS} == set(Department.objects.values_list("code", flat=True))
    assert DepartmentUnit.objects.count() == 16 * 7
    assert DepartmentUnit.objects.filter(department__code="chengguan", area__code="320213").get().name == "梁溪区城管局"
    assert DepartmentUnit.objects.get(department__code="gongan", area__code="320281").name == "江阴市公安局"


def test_taxonomy_has_two_levels_with_defaults_and_published_limits(loaded):
    leaves = list(Category.objects.filter(parent__isnull=False).select_related("parent", "default_department"))
    assert len(leaves) >= 40
    assert Category.objects.filter(parent__isnull=True, code__regex=r"^\d{2}$").count() == Category.objects.filter(
        parent__isnull=True
    ).count() >= 8
    for leaf in leaves:
        assert leaf.parent is not None and leaf.default_department is not None, leaf
        assert re.fullmatch(r"\d{4}", leaf.code) and leaf.code.startswith(leaf.parent.code), leaf
        assert leaf.handle_days in (0, 2, 3, 7, 15) and 1 <= leaf.sign_for_hours <= 8, leaf
    by_name = {str(leaf): leaf for leaf in leaves}
    for name in ("矛盾纠纷/邻里纠纷", "安全隐患/消防通道堵塞", "市容环境/占道经营"):
        assert name in by_name
    assert str(by_name["市容环境/占道经营"].default_department) == "城管"
    assert by_name["安全隐患/燃气安全隐患"].severity == Category.Severity.URGENT
    assert by_name["安全隐患/燃气安全隐患"].handle_days == 0  # urgent: the same working day
    assert sum(leaf.self_resolvable for leaf in leaves) >= 5
    assert {leaf.default_department_id for leaf in leaves} == set(Department.objects.values_list("pk", flat=True))


def test_every_role_has_a_demo_user(loaded):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
    assert set(users) == set(DEMO_USERNAMES)
    assert users["admin"].is_superuser and users["admin"].check_password(DEMO_PASSWORD)
    gw = roles_of(users["gw_liangxi"])
    assert len(gw.cell_ids) == 2
    cell_codes = list(GridCell.objects.filter(pk__in=gw.cell_ids).values_list("code", flat=True))
    assert all(code.startswith("320213") for code in cell_codes)
    community = roles_of(users["centre_community"]).centre_prefixes
    assert len(community) == 1 and len(community[0]) == 12
    assert all(code.startswith(community[0]) for code in cell_codes)
    assert roles_of(users["centre_street"]).centre_prefixes == (community[0][:9],)
    assert roles_of(users["centre_district"]).centre_prefixes == ("320213",)
    assert roles_of(users["centre_city"]).centre_prefixes == ("3202",)
    chengguan = DepartmentUnit.objects.get(name="梁溪区城管局")
    assert roles_of(users["dept_chengguan"]).unit_ids == {chengguan.pk}
    assert roles_of(users["supervisor_liangxi"]).supervisor_prefixes == ("320213",)
    assert roles_of(users["supervisor_city"]).supervisor_prefixes == ("3202",)
    assert roles_of(users["citizen"]).names == ()
    roles = {name for u in users.values() for name in roles_of(u).names}
    assert roles == {"grid_worker", "centre_operator", "department_staff", "supervisor"}
    # Every cell has a grid worker; the background ones cannot log in.
    assert GridCell.objects.filter(assignments__isnull=True).count() == 0
    background = get_user_model().objects.filter(username__startswith=BACKGROUND_PREFIX).first()
    assert background is not None and not background.has_usable_password()


def test_demo_accounts_prints_username_role_scope_password(loaded):
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    for username in DEMO_USERNAMES:
        assert re.search(rf"^{username}\s", text, re.MULTILINE), username
    line = next(row for row in text.splitlines() if row.startswith("gw_liangxi "))
    assert "grid worker" in line and DEMO_PASSWORD in line and "320213" in line


def test_cases_were_made_through_the_services_and_land_in_their_cells(loaded):
    cases = Case.objects.count()
    assert cases >= DEMO_CASES * 0.9
    # Each case sits in the cell whose boundary covers it, as the locator answers.
    assert _sql("SELECT count(*) FROM cases_case k JOIN grids_gridcell c ON c.id = k.grid_cell_id "
                "WHERE NOT ST_Covers(c.geom, k.location) OR k.cell_code <> c.code") == [(0,)]
    for case in Case.objects.select_related("grid_cell").order_by("?")[:20]:
        cell = grid_cell_for_point(case.location)
        assert cell is not None and cell.pk == case.grid_cell_id
    # Every case has a report event first and one event per transition after it.
    assert CaseEvent.objects.filter(action=CaseEvent.Action.REPORT).count() == cases
    statuses = dict(_sql("SELECT status, count(*) FROM cases_case GROUP BY 1"))
    assert statuses[Case.Status.CLOSED] > cases / 2
    assert len(statuses) >= 4
    spot = Case.objects.filter(self_resolved=True)
    assert spot.exists() and all(c.attachments.exists() for c in spot)


def test_cases_span_the_past_year_and_cluster(loaded):
    span = _sql("SELECT extract(epoch FROM max(reported_at) - min(reported_at)) / 86400 FROM cases_case")[0][0]
    assert 200 < span <= 366
    by_district = dict(_sql("SELECT left(cell_code, 6), count(*) FROM cases_case GROUP BY 1"))
    assert max(by_district, key=by_district.__getitem__) == "320213"
    # Hot spots: the busiest tenth of the cells with cases holds far more than a tenth of them.
    per_cell = sorted((n for (n,) in _sql("SELECT count(*) FROM cases_case GROUP BY grid_cell_id")), reverse=True)
    top = per_cell[: max(1, len(per_cell) // 10)]
    assert sum(top) > 0.2 * sum(per_cell)


def test_if_empty_is_a_no_op_when_loaded(loaded):
    before = (Area.objects.count(), GridCell.objects.count(), Case.objects.count())
    out = io.StringIO()
    call_command("load_demo_city", "--if-empty", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert (Area.objects.count(), GridCell.objects.count(), Case.objects.count()) == before


def test_load_without_replace_refuses_existing_data(loaded):
    with pytest.raises(CommandError, match="--replace"):
        call_command("load_demo_city", stdout=io.StringIO())
    assert Area.objects.filter(code="320200").count() == 1


def test_wipe_clears_places_taxonomy_cases_and_background_accounts(loaded):
    wipe()  # rolled back with the test's transaction
    for model in (Area, GridCell, Department, DepartmentUnit, Category, Case, CaseEvent):
        assert not model.objects.exists(), model
    assert not get_user_model().objects.filter(username__startswith=BACKGROUND_PREFIX).exists()
    assert get_user_model().objects.filter(username="admin").exists()


def test_demo_cells_pass_the_boundary_importers_checks(loaded, tmp_path):
    """The generated city meets the bar a surveying department's file must meet: exported
    and re-imported (dry run), no cell overlaps another, leaves a gap or leaves its
    community, beyond settings.GRID_TOLERANCE_M2."""
    import geopandas as gpd

    cells = GridCell.objects.values_list("code", "name", "households", "geom")
    frame = gpd.GeoDataFrame(
        {"code": [c[0] for c in cells], "name": [c[1] for c in cells], "households": [c[2] for c in cells]},
        geometry=[shapely.from_wkb(bytes(c[3].wkb)) for c in cells],
        crs="EPSG:4326",
    )
    path = tmp_path / "demo_cells.gpkg"
    frame.to_file(path, driver="GPKG")
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_grids", str(path), "--dry-run", stdout=out)
    assert "0 created" in out.getvalue() and "0 changed" in out.getvalue(), out.getvalue()


@pytest.mark.parametrize("scale", ["0", "0.01", "10.5"])
def test_scale_out_of_range_is_refused(db, scale):
    with pytest.raises(CommandError, match="--scale"):
        call_command("load_demo_city", "--scale", scale, stdout=io.StringIO())
