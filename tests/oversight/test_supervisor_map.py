"""The supervisor map's drill-down: places one level below the selection with open and
overdue case counts and risk aggregated by code prefix, the jurisdiction, bad codes, and the
open cases of the selection (the list beside the map, which works without JS)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import RoleAssignment
from cases.models import Case
from grids.models import Area, GridCell
from oversight import map_views
from oversight.map_selectors import BadAreaCode, map_layer, map_selection, selection_cases
from risk.models import RiskScore
from tests.factories import UserFactory, block, centre_of, square

PAGE = reverse("supervisor-map")
API = reverse("api-map-layer")
MODEL = "recency_v1"
OTHER_ORIGIN = (120.40, 31.50)

S = Case.Status


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def world(town, grid_worker, centre_operator, dept_officer, outsider, case_at):
    """Open cases: 3 in cells[0] (one dispatched and past its sign-for deadline, one in
    progress and past its handling deadline, one just reported), 1 in cells[1], 1 in
    cells[4]; a closed one in cells[1]; one in another district's cell. Risk: an older run
    (all blue) and the newest (cells[0] red, cells[4] orange, cells[5] blue)."""
    other_district = Area.objects.create(code="320214", name="新吴区", level=Area.Level.DISTRICT, parent=town.city,
                                         geom=block(1, 1, origin=OTHER_ORIGIN))
    street = Area.objects.create(code="320214001", name="旺庄街道", level=Area.Level.STREET, parent=other_district,
                                 geom=other_district.geom)
    community = Area.objects.create(code="320214001001", name="新吴一社区", level=Area.Level.COMMUNITY,
                                    parent=street, geom=other_district.geom)
    far = GridCell.objects.create(code="320214001001001", name="新吴1", community=community,
                                  geom=square(0, 0, origin=OTHER_ORIGIN))

    past = timezone.now() - dt.timedelta(days=30)
    late_sign = case_at(S.DISPATCHED)
    late_handle = case_at(S.IN_PROGRESS)
    # Deadlines in the past (test set-up only: no service moves a deadline backwards).
    Case.objects.filter(pk=late_sign.pk).update(sign_deadline=past)
    Case.objects.filter(pk=late_handle.pk).update(sign_deadline=past, handle_deadline=past)
    fresh = case_at(S.REPORTED)
    case_at(S.REPORTED, location=centre_of(1, 0))
    case_at(S.REPORTED, reporter=outsider, location=centre_of(2, 0))  # cells[4], in the other community
    closed = case_at(S.CLOSED, location=centre_of(1, 0))
    admin_user = UserFactory(username="filer", is_superuser=True, is_staff=True)
    case_at(S.REPORTED, reporter=admin_user, location=centre_of(0, 0, origin=OTHER_ORIGIN))  # in 新吴区
    for cell in [*town.cells, far]:
        RiskScore.objects.create(cell=cell, horizon_start=dt.date(2026, 11, 16), horizon_days=7, model=MODEL,
                                 score=0.1, level="blue")
    for cell, level in ((town.cells[0], "red"), (town.cells[4], "orange"), (town.cells[5], "blue")):
        RiskScore.objects.create(cell=cell, horizon_start=dt.date(2026, 11, 23), horizon_days=7, model=MODEL,
                                 score=3.0, level=level, factors=[{"factor": "cases_7d", "value": 3}])
    return {"far": far, "fresh": fresh, "closed": closed, "late_sign": late_sign, "late_handle": late_handle}


def layer(user: Any, code: str | None, **kwargs: Any) -> dict[str, dict[str, Any]]:
    selection = map_selection(user=user, code=code)
    data = json.loads(map_layer(user=user, selection=selection, risk_model=MODEL, **kwargs))
    return {f["properties"]["code"]: f["properties"] for f in data["features"]}


def test_city_level_aggregates_districts_by_prefix(world, admin) -> None:
    districts = layer(admin, None)
    assert list(districts) == ["320213", "320214"]
    assert districts["320213"] | {} == {
        "code": "320213", "name": "梁溪区", "level": "district", "open_cases": 5, "overdue_cases": 2, "cells": 6,
        "risk_level": "red", "risk_counts": {"red": 1, "orange": 1, "yellow": 0, "blue": 1},
    }
    assert (districts["320214"]["open_cases"], districts["320214"]["cells"]) == (1, 1)
    # Only the newest run counts: the older all-blue run would make 新吴区 blue.
    assert districts["320214"]["risk_level"] is None


def test_each_level_below(world, town, admin) -> None:
    streets = layer(admin, "320213")
    assert list(streets) == ["320213001"] and streets["320213001"]["open_cases"] == 5
    communities = layer(admin, "320213001")
    assert {c: (p["open_cases"], p["overdue_cases"], p["risk_level"]) for c, p in communities.items()} == {
        "320213001001": (4, 2, "red"), "320213001002": (1, 0, "orange"),
    }
    cells = layer(admin, "320213001001")
    assert list(cells) == [c.code for c in town.cells[:4]]
    first = cells[town.cells[0].code]
    assert (first["open_cases"], first["overdue_cases"], first["risk_level"], first["level"]) == (3, 2, "red", "cell")
    assert first["risk_factors"] == [{"factor": "cases_7d", "value": 3}]
    assert cells[town.cells[1].code]["open_cases"] == 1  # the closed case does not count
    # A selected cell is drawn among its community's cells.
    assert list(layer(admin, town.cells[1].code)) == list(cells)


def test_overdue_counts_each_deadline_once(world, town, admin) -> None:
    # Before both deadlines: nothing overdue; the fresh report has no deadline at all.
    early = timezone.now() - dt.timedelta(days=60)
    assert layer(admin, "320213001001", now=early)[town.cells[0].code]["overdue_cases"] == 0
    # A case past both its deadlines is one overdue case, not two.
    Case.objects.filter(pk=world["late_sign"].pk).update(handle_deadline=timezone.now() - dt.timedelta(days=1))
    assert layer(admin, "320213001001")[town.cells[0].code]["overdue_cases"] == 2


def test_every_cell_of_the_selection(world, town, admin) -> None:
    cells = layer(admin, None, cells=True)
    assert list(cells) == sorted([c.code for c in town.cells] + ["320214001001001"])
    data = json.loads(map_layer(user=admin, selection=map_selection(user=admin, code=None), risk_model=MODEL,
                                cells=True))
    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_supervisor_starts_at_their_jurisdiction(world, supervisor) -> None:
    selection = map_selection(user=supervisor, code=None)
    assert selection.place is not None and selection.place.code == "320213"
    assert [p.code for p in selection.trail] == ["320213"]
    deep = map_selection(user=supervisor, code="320213001001001")
    assert [p.code for p in deep.trail] == ["320213", "320213001", "320213001001", "320213001001001"]
    assert list(layer(supervisor, None)) == ["320213001"]


def test_community_supervisor_sees_their_community_only(world, town) -> None:
    boss = UserFactory(username="boss_wuai")
    RoleAssignment.objects.create(user=boss, role=RoleAssignment.Role.SUPERVISOR, area=town.other_community)
    cells = layer(boss, None)
    assert list(cells) == [town.cells[4].code, town.cells[5].code]
    assert cells[town.cells[4].code]["open_cases"] == 1
    with pytest.raises(Exception) as outside:
        map_selection(user=boss, code="320213001001")
    assert outside.typename == "Http404"


@pytest.mark.parametrize("code", ["abc", "32021", "3202130010", "320213001001001001", "32021300100x", " 320213"])
def test_malformed_codes_are_refused(world, admin, code: str) -> None:
    with pytest.raises(BadAreaCode):
        map_selection(user=admin, code=code)


@pytest.mark.parametrize(("code", "status"), [
    ("320213001", 200), ("320213001001001", 200),
    ("320214", 404),  # another district
    ("320200", 404),  # above the jurisdiction
    ("320213009", 404),  # no such street
    ("320213001001999", 404),  # no such cell
    ("32021x", 400), ("1" * 20, 400),
])
def test_page_and_api_answer_bad_and_outside_codes(world, login, supervisor, code: str, status: int) -> None:
    client = login(supervisor)
    assert client.get(PAGE, {"area": code}).status_code == status
    assert client.get(API, {"area": code}).status_code == status


def test_roles_without_the_map_are_refused(world, login, grid_worker, centre_operator) -> None:
    for user in (grid_worker, centre_operator):
        assert login(user).get(API).status_code == 403
        assert login(user).get(PAGE).status_code == 403


def test_api_is_geojson_in_few_queries(world, login, supervisor, django_assert_max_num_queries) -> None:
    client = login(supervisor)
    # Session, user, OTP device, roles, the selection, the layer.
    with django_assert_max_num_queries(8):
        response = client.get(API, {"area": "320213001"})
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    assert "private" in response["Cache-Control"]
    data = response.json()
    assert [f["id"] for f in data["features"]] == ["320213001001", "320213001002"]
    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"
    cells = client.get(API, {"area": "320213001", "cells": "1"}).json()
    assert len(cells["features"]) == 6


def test_selection_cases_are_open_visible_newest_first(world, town, admin, supervisor) -> None:
    community = map_selection(user=supervisor, code="320213001001")
    cases = list(selection_cases(user=supervisor, selection=community))
    assert world["closed"] not in cases
    assert [c.reported_at for c in cases] == sorted((c.reported_at for c in cases), reverse=True)
    assert {c.cell_code for c in cases} == {town.cells[0].code, town.cells[1].code}
    assert sum(c.is_overdue for c in cases) == 2
    cell = map_selection(user=supervisor, code=town.cells[1].code)
    assert [c.cell_code for c in selection_cases(user=supervisor, selection=cell)] == [town.cells[1].code]
    everything = selection_cases(user=admin, selection=map_selection(user=admin, code=None))
    assert everything.count() == 6


def _case_links(html: str) -> list[str]:
    return re.findall(r'href="/cases/(\d+)/"', html)


def test_page_lists_places_and_cases_without_js(world, town, login, supervisor, monkeypatch) -> None:
    monkeypatch.setattr(map_views, "CASES_PER_PAGE", 2)
    client = login(supervisor)
    html = client.get(PAGE, {"area": "320213001", "measure": "overdue"}).text
    # The places below, each a link that keeps the measure; the trail back up.
    assert 'href="?area=320213001001&amp;measure=overdue"' in html
    assert 'href="?area=320213&amp;measure=overdue"' in html
    assert 'value="overdue" checked' in html
    assert 'data-layer-url="/api/geo/map/?area=320213001"' in html
    # Five open cases, two a page, newest first.
    first = _case_links(html)
    assert len(first) == 2 and "Page 1 of 3" in html
    assert 'href="?area=320213001&amp;measure=overdue&amp;page=2"' in html
    second = _case_links(client.get(PAGE, {"area": "320213001", "measure": "overdue", "page": 2}).text)
    assert len(second) == 2 and not set(first) & set(second)
    newest = Case.objects.filter(cell_code__startswith="320213001").exclude(status="closed").order_by("-reported_at")
    assert [int(pk) for pk in first + second] == [c.pk for c in newest[:4]]
    # A cell: its own cases only; an unknown measure falls back to open cases.
    cell_html = client.get(PAGE, {"area": town.cells[4].code, "measure": "nonsense"}).text
    assert len(_case_links(cell_html)) == 1 and 'value="open" checked' in cell_html


def test_page_queries_stay_bounded(world, login, admin, django_assert_max_num_queries) -> None:
    client = login(admin)
    with django_assert_max_num_queries(14):
        assert client.get(PAGE, {"area": "320213001001"}).status_code == 200


def test_several_areas_start_at_my_jurisdiction(world, town, login) -> None:
    # A supervisor of two areas in different districts: no one place holds both.
    boss = UserFactory(username="boss_two")
    RoleAssignment.objects.create(user=boss, role=RoleAssignment.Role.SUPERVISOR, area=town.other_community)
    RoleAssignment.objects.create(user=boss, role=RoleAssignment.Role.SUPERVISOR,
                                  area=Area.objects.get(code="320214001"))
    selection = map_selection(user=boss, code=None)
    assert selection.place is None and selection.child_level == Area.Level.STREET
    places = layer(boss, None)
    assert {c: p["open_cases"] for c, p in places.items()} == {"320213001002": 1, "320214001": 1}
    assert selection_cases(user=boss, selection=selection).count() == 2
    html = login(boss).get(PAGE).text
    assert "My jurisdiction" in html and 'href="?area=320214001"' in html
    # Inside either: the trail starts at "My jurisdiction", then that area.
    deep = map_selection(user=boss, code="320214001001")
    assert [p.code for p in deep.trail] == ["320214001", "320214001001"]
    assert login(boss).get(PAGE, {"area": "320213001001"}).status_code == 404
