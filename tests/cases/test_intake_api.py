"""POST /api/cases/ (the intake path) after trimming it for speed: the answer is still the
case's detail, the replay is still the first case, and one report stays within a bounded
number of SQL statements (bench/intake.py measures the rest)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from access.roles import Roles
from cases.models import Case, CaseEvent
from cases.permissions import filing_role, may_file
from grids.models import GridAssignment
from tests.builders import api_client
from tests.cases.photos import jpeg
from tests.factories import centre_of

DETAIL_FIELDS = [
    "id", "number", "status", "source", "category", "category_name", "description", "address", "lon", "lat",
    "grid_cell", "centre", "unit", "unit_name", "self_resolved", "reported_at", "sign_deadline", "handle_deadline",
    "closed_at", "reject_kind", "duplicate_of", "rework_count", "satisfaction", "allowed_actions", "attachments",
    "pending_extension", "possible_duplicates", "co_handlers", "reporter_contact",
]


def token_client(user) -> APIClient:
    """As a phone: a DRF token, JSON in and out."""
    return api_client(user, token=True)


def report(client: APIClient, *, col: int = 0, row: int = 0, dy: float = 0.0, **extra):
    point = centre_of(col, row)
    data = {"category": "0301", "description": "人行道被摊位占用", "lon": point.x, "lat": point.y + dy} | extra
    return client.post("/api/cases/", data, format="json")


def test_201_is_the_same_detail_a_get_returns(town, grid_worker):
    client = token_client(grid_worker)
    created = report(client, client_key="phone-1", address="县前街 1 号")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert list(body) == DETAIL_FIELDS
    assert body == client.get(f"/api/cases/{body['id']}/").json()
    assert body["status"] == "reported" and body["source"] == "api"
    assert body["grid_cell"] == town.cells[0].code and body["centre"] == town.community.code
    # The reporting grid worker, in their own cell, may resolve on the spot only what the
    # category allows: not this one (the API listed it before, the service refused it).
    assert body["allowed_actions"] == []
    assert body["attachments"] == [] and body["possible_duplicates"] == [] and body["co_handlers"] == []
    assert body["reporter_contact"] is None  # none given; masked when given (tests/cases/test_personal_data.py)


def test_one_report_writes_the_case_and_its_report_event(town, grid_worker):
    body = report(token_client(grid_worker), client_key="phone-2").json()
    case = Case.objects.get(pk=body["id"])
    assert (case.reporter, case.client_key, case.cell_code, case.centre) == (
        grid_worker, "phone-2", town.cells[0].code, town.community)
    assert (case.sign_for_hours, case.handle_days) == (town.category.sign_for_hours, town.category.handle_days)
    event = case.events.get()
    assert (event.action, event.role, event.actor, event.from_status, event.to_status) == (
        CaseEvent.Action.REPORT, "grid_worker", grid_worker, "", Case.Status.REPORTED)


def test_replay_is_200_with_the_first_case(town, grid_worker):
    client = token_client(grid_worker)
    first = report(client, client_key="phone-3")
    again = report(client, col=1, client_key="phone-3")  # a retry; even another point files nothing new
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_a_replay_answers_with_the_first_case_even_where_it_would_now_be_refused(town, grid_worker):
    client = token_client(grid_worker)
    first = report(client, client_key="phone-6")
    # The cell goes to another worker between the first try and the retry.
    GridAssignment.objects.filter(worker=grid_worker, cell=town.cells[0]).delete()
    again = report(client, client_key="phone-6")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    fresh = report(client, client_key="phone-7")  # a new report there is refused
    assert fresh.status_code == 400 and "not one of your cells" in fresh.json()["detail"]
    assert Case.objects.count() == 1


def test_another_reporters_key_is_409(town, grid_worker, outsider):
    assert report(token_client(grid_worker), client_key="phone-4").status_code == 201
    response = report(token_client(outsider), col=2, client_key="phone-4")
    assert response.status_code == 409
    assert "client key" in response.json()["detail"]


def test_photos_are_in_the_201(town, grid_worker):
    client = token_client(grid_worker)
    created = client.post("/api/cases/", {
        "category": "0301", "description": "x", "lon": centre_of(0, 0).x, "lat": centre_of(0, 0).y,
        "photos": [jpeg()],
    }, format="multipart")
    assert created.status_code == 201
    assert len(created.json()["attachments"]) == 1
    assert created.json() == client.get(f"/api/cases/{created.json()['id']}/").json()


def test_a_centre_filing_a_report_sees_its_possible_duplicates(town, grid_worker, centre_operator):
    first = report(token_client(grid_worker)).json()
    # ~33 m north of the first: the centre decides on it and is shown the first.
    second = report(token_client(centre_operator), dy=0.0003)
    assert second.status_code == 201
    body = second.json()
    assert [d["id"] for d in body["possible_duplicates"]] == [first["id"]]
    assert {"accept", "reject"} <= set(body["allowed_actions"])
    assert body == token_client(centre_operator).get(f"/api/cases/{body['id']}/").json()


def test_a_grid_worker_reports_only_in_their_own_cells(town, grid_worker, centre_operator):
    """As on the web form: a point in another worker's cell is a 400 naming that cell, and
    writes nothing; the centre, filing what a citizen phoned in, may report anywhere."""
    response = report(token_client(grid_worker), col=0, row=1)  # town.cells[2], the same community's
    assert response.status_code == 400
    assert town.cells[2].code in response.json()["detail"] and "not one of your cells" in response.json()["detail"]
    assert Case.objects.count() == 0
    assert report(token_client(centre_operator), col=0, row=1).status_code == 201


HERE, NEIGHBOUR, ELSEWHERE = (1, "320213001001001"), (2, "320213001001002"), (9, "320214001001001")


@pytest.mark.parametrize(("roles", "expected"), [
    (Roles(cell_ids=frozenset({1}), names=("grid_worker",)), ("grid_worker", None, None)),
    # Also a centre: their cells and their jurisdiction, no further (was: anywhere).
    (Roles(cell_ids=frozenset({1}), centre_prefixes=("320213001001",), names=("grid_worker", "centre_operator")),
     ("grid_worker", "centre_operator", None)),
    (Roles(cell_ids=frozenset({1}), is_admin=True, names=("grid_worker",)),
     ("grid_worker", "administrator", "administrator")),
    (Roles(), ("citizen", "citizen", "citizen")),  # no role at all: a citizen, anywhere
    (Roles(supervisor_prefixes=("320213",), names=("supervisor",)), (None, None, None)),
    (Roles(unit_ids=frozenset({5}), names=("department_staff",)), (None, None, None)),
])
def test_filing_role_is_the_one_rule_for_web_and_api(roles, expected):
    got = tuple(filing_role(roles, cell_id=pk, cell_code=code) for pk, code in (HERE, NEIGHBOUR, ELSEWHERE))
    assert got == expected
    assert may_file(roles) == any(expected)


def test_a_key_holding_nul_is_401_not_a_500(town):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION="Token abc\x00def").get("/api/cases/")
    assert response.status_code in (401, 403) and "Invalid token" in response.json()["detail"]


def test_a_report_for_a_street_level_category_goes_to_the_street(town, grid_worker):
    town.category.handling_level = "street"
    town.category.save()
    body = report(token_client(grid_worker)).json()
    assert body["centre"] == town.street.code


@pytest.mark.parametrize(
    ("extra", "field", "needle"),
    [
        ({"lon": 121.6, "lat": 31.2}, "location", "not inside any grid cell"),
        ({"lon": 31.585, "lat": 120.305}, "lat", "swapped"),
        ({"category": "nope"}, "category", "nope"),
        ({"category": "03\x0001"}, "category", "NUL"),  # NUL: was a 500 from PostgreSQL
        ({"category": 301}, "category", "code=301 does not exist"),
        ({"description": "  "}, "description", ""),
    ],
)
def test_bad_reports_are_400_and_write_nothing(town, grid_worker, extra, field, needle):
    response = report(token_client(grid_worker), **extra)
    assert response.status_code == 400
    assert field in response.content.decode() and needle in response.content.decode()
    assert Case.objects.count() == 0


# Autocommit, as in production: inside the test's own transaction the
# filing statement would sit in a savepoint (two more statements).
@pytest.mark.django_db(transaction=True)
def test_one_report_is_a_bounded_number_of_statements(town, grid_worker, django_assert_max_num_queries):
    client = token_client(grid_worker)
    report(client, client_key="warm")  # content types, the token's table: first-use reads
    # token + user + password state, category, cell, roles, then the case and its event in one
    # statement (cases.services.filing_sql; it was ten: a key check, BEGIN, nextval, two inserts, COMMIT)
    with django_assert_max_num_queries(5):
        response = report(client, col=1, client_key="phone-5")
    assert response.status_code == 201

