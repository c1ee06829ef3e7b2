"""GET /api/geo/cells/: only the cells the user may see, counts from visible cases, the
latest risk run, one query for the collection, and fast enough for a city."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases import services
from grids.models import GridCell
from risk.models import RiskScore
from tests.factories import UserFactory, centre_of

URL = reverse("api-cells-geojson")


def codes(client: Client) -> list[str]:
    response = client.get(URL)
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    assert data["type"] == "FeatureCollection"
    return [f["properties"]["code"] for f in data["features"]]


def test_anonymous_is_refused(db, client: Client) -> None:
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("grid_worker", [0, 1]),
        ("outsider", [4]),
        ("centre_operator", [0, 1, 2, 3]),
        ("street_operator", [0, 1, 2, 3, 4, 5]),
        ("supervisor", [0, 1, 2, 3, 4, 5]),
        ("dept_officer", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_each_role_sees_only_its_cells(request, login, town, persona: str, expected: list[int]) -> None:
    user = request.getfixturevalue(persona)
    assert codes(login(user)) == [town.cells[i].code for i in expected]


def test_cells_of_another_district_are_hidden(login, town, supervisor, dept_officer) -> None:
    from grids.models import Area
    from tests.factories import block, square

    other_district = Area.objects.create(code="320214", name="新吴区", level=Area.Level.DISTRICT, parent=town.city,
                                         geom=block(1, 1, origin=(120.40, 31.50)))
    street = Area.objects.create(code="320214001", name="s", level=Area.Level.STREET, parent=other_district,
                                 geom=other_district.geom)
    community = Area.objects.create(code="320214001001", name="c", level=Area.Level.COMMUNITY, parent=street,
                                    geom=other_district.geom)
    far = GridCell.objects.create(code="320214001001001", name="far", community=community,
                                  geom=square(0, 0, origin=(120.40, 31.50)))
    assert far.code not in codes(login(supervisor))
    assert far.code not in codes(login(dept_officer))
    admin = UserFactory(username="root", is_superuser=True)
    assert far.code in codes(login(admin))


def test_properties_count_open_cases_and_latest_risk(login, town, grid_worker, centre_operator, supervisor) -> None:
    for _ in range(3):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x")
    closed = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="y")
    services.case_reject(case_id=closed.pk, actor=centre_operator, reason="重复")
    old, new = dt.date(2026, 1, 1), dt.date(2026, 1, 8)
    RiskScore.objects.create(cell=town.cells[0], horizon_start=old, horizon_days=7, model="recency_v1", score=9,
                             level="red", factors=[])
    RiskScore.objects.create(cell=town.cells[0], horizon_start=new, horizon_days=7, model="recency_v1", score=2.5,
                             level="orange", factors=[{"factor": "cases_7d", "value": 3}])
    RiskScore.objects.create(cell=town.cells[1], horizon_start=new, horizon_days=7, model="other_model", score=1,
                             level="red", factors=[])
    data = login(supervisor).get(URL).json()
    props = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    first = props[town.cells[0].code]
    assert first["open_cases"] == 3
    assert (first["risk_level"], first["risk_score"]) == ("orange", 2.5)
    assert first["risk_factors"] == [{"factor": "cases_7d", "value": 3}]
    assert first["name"] == town.cells[0].name
    # Another model's run does not colour the default map; unscored cells have no level.
    assert props[town.cells[1].code]["risk_level"] is None
    assert props[town.cells[1].code]["open_cases"] == 0
    other = login(supervisor).get(URL, {"model": "other_model"}).json()
    assert {f["properties"]["code"]: f["properties"]["risk_level"] for f in other["features"]}[town.cells[1].code] == "red"


def test_counts_only_cases_the_user_may_see(login, town, grid_worker, centre_operator, dept_officer) -> None:
    """Department staff see the district's cells but count only their unit's cases."""
    dispatched = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                      description="x")
    services.case_accept(case_id=dispatched.pk, actor=centre_operator)
    services.case_dispatch(case_id=dispatched.pk, actor=centre_operator, unit=town.unit)
    services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="y")
    props = {f["properties"]["code"]: f["properties"] for f in login(dept_officer).get(URL).json()["features"]}
    assert props[town.cells[0].code]["open_cases"] == 1
    props = {f["properties"]["code"]: f["properties"] for f in login(centre_operator).get(URL).json()["features"]}
    assert props[town.cells[0].code]["open_cases"] == 2


def test_geometry_is_geojson_with_five_decimals(login, town, supervisor) -> None:
    feature = login(supervisor).get(URL).json()["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    ring = feature["geometry"]["coordinates"][0][0]
    assert ring[0] == ring[-1]
    assert all(len(repr(v).split(".")[-1]) <= 5 for point in ring for v in point)


def test_one_query_for_the_collection(login, town, supervisor, django_assert_max_num_queries) -> None:
    client = login(supervisor)
    # Session, user, the TOTP device that verified the session (django-otp checks it on every
    # request), the two role lookups, and the one GeoJSON statement.
    with django_assert_max_num_queries(6) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    assert sum("json_agg" in q["sql"] for q in captured.captured_queries) == 1


def test_short_private_cache(login, town, supervisor) -> None:
    response = login(supervisor).get(URL)
    assert response["Content-Type"] == "application/geo+json"
    cache = response["Cache-Control"]
    assert "private" in cache and "max-age=60" in cache


def test_three_thousand_cells_come_in_one_collection(login, town, supervisor) -> None:
    """3,000 extra cells of 25 vertices each, made in SQL, all in one answer. (How fast is
    measured by bench/cells_layer.py, not here.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO grids_gridcell (code, name, kind, community_id, geom, households, population)
            SELECT '320213009' || lpad(i::text, 6, '0'), 'bulk ' || i, 'comprehensive', %s,
                   ST_Multi(ST_Segmentize(ST_MakeEnvelope(
                       120.30 + (i %% 60) * 0.0005, 31.50 + (i / 60) * 0.0005,
                       120.3005 + (i %% 60) * 0.0005, 31.5005 + (i / 60) * 0.0005, 4326), 0.00008)),
                   300, 0
            FROM generate_series(1, 3000) AS i
            """,
            [town.community.pk],
        )
    response = login(supervisor).get(URL)
    features = response.json()["features"]
    assert len(features) == 3006
    assert {f["geometry"]["type"] for f in features} == {"MultiPolygon"}


def test_layer_is_gzipped_for_clients_that_accept_it(login, town, supervisor) -> None:
    import gzip
    import json

    client = login(supervisor)
    response = client.get(reverse("api-cells-geojson"), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["features"]) == len(town.cells)
