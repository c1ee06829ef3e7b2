"""The case API over HTTP: the thin flow, refusals with clear JSON errors, and scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from geo.coords import wgs84_to_gcj02
from tests.builders import api_client
from tests.cases.photos import fake_jpeg, jpeg
from tests.factories import centre_of


def file_report(client, **extra):
    point = centre_of(0, 0)
    data = {"category": "0301", "description": "人行道被摊位占用", "lon": point.x, "lat": point.y} | extra
    return client.post("/api/cases/", data, format="multipart")


def test_thin_flow_over_http(town, grid_worker, centre_operator, dept_officer):
    created = file_report(api_client(grid_worker), photos=[jpeg()])
    assert created.status_code == 201, created.json()
    case_id = created.json()["id"]
    assert created.json()["grid_cell"] == town.cells[0].code
    centre, dept = api_client(centre_operator), api_client(dept_officer)
    assert centre.post(f"/api/cases/{case_id}/accept/").status_code == 200
    dispatched = centre.post(f"/api/cases/{case_id}/dispatch/", {})  # proposes the default unit
    assert dispatched.status_code == 200 and dispatched.json()["unit"] == town.unit.pk
    assert dept.post(f"/api/cases/{case_id}/sign-for/").json()["status"] == "in_progress"
    handled = dept.post(f"/api/cases/{case_id}/report-handled/", {"result": "已清理", "photos": [jpeg()]},
                        format="multipart")
    assert handled.json()["status"] == "handled"
    closed = centre.post(f"/api/cases/{case_id}/verify/", {"passed": True}, format="json")
    assert closed.json()["status"] == "closed"
    timeline = centre.get(f"/api/cases/{case_id}/timeline/").json()
    assert [e["action"] for e in timeline] == [
        "report", "accept", "dispatch", "sign_for", "report_handled", "verify_pass"]


def test_illegal_transition_is_409_naming_allowed_actions(town, grid_worker, centre_operator):
    case_id = file_report(api_client(grid_worker)).json()["id"]
    response = api_client(centre_operator).post(f"/api/cases/{case_id}/dispatch/", {})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert set(body["allowed_actions"]) >= {"accept", "reject"}


def test_missing_reason_is_400(town, grid_worker, centre_operator):
    case_id = file_report(api_client(grid_worker)).json()["id"]
    response = api_client(centre_operator).post(f"/api/cases/{case_id}/reject/", {"reason": ""})
    assert response.status_code == 400
    assert "reason" in response.json()["detail"]


def test_outsider_gets_404_for_case_and_actions(town, grid_worker, outsider):
    case_id = file_report(api_client(grid_worker)).json()["id"]
    other = api_client(outsider)
    assert other.get(f"/api/cases/{case_id}/").status_code == 404
    assert other.post(f"/api/cases/{case_id}/accept/").status_code == 404
    assert other.get("/api/cases/999999/").status_code == 404
    assert other.get("/api/cases/abc/").status_code == 404
    assert other.get("/api/cases/").json()["count"] == 0


def test_visible_role_without_right_gets_403(town, grid_worker, supervisor):
    case_id = file_report(api_client(grid_worker)).json()["id"]
    response = api_client(supervisor).post(f"/api/cases/{case_id}/accept/")
    assert response.status_code == 403
    assert Case.objects.get(pk=case_id).status == Case.Status.REPORTED


def test_anonymous_is_refused(town):
    assert APIClient().get("/api/cases/").status_code in (401, 403)


def test_resubmitted_report_with_same_client_key_returns_first(town, grid_worker):
    client = api_client(grid_worker)
    first = file_report(client, client_key="k-123")
    second = file_report(client, client_key="k-123")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Case.objects.count() == 1


def test_gcj02_input_lands_in_right_cell(town, centre_operator):
    wgs = centre_of(1, 1)  # not one of grid_worker's cells: the centre files anywhere
    lon, lat = wgs84_to_gcj02(wgs.x, wgs.y)
    response = file_report(api_client(centre_operator), lon=float(lon), lat=float(lat), coord_system="gcj02")
    assert response.status_code == 201
    assert response.json()["grid_cell"] == town.cells[3].code
    assert abs(response.json()["lon"] - wgs.x) < 1e-6


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"lon": 121.6, "lat": 31.2}, "not inside any grid cell"),
        ({"lon": 31.585, "lat": 120.305}, "swapped"),
        ({"lon": 31.575, "lat": 30.305}, "not inside any grid cell"),
        ({"lat": 95}, "lat"),
        ({"category": "nope"}, "category"),
        ({"description": ""}, "description"),
        ({"coord_system": "mars"}, "coord_system"),
    ],
)
def test_bad_report_is_400_with_message(town, grid_worker, extra, needle):
    response = file_report(api_client(grid_worker), **extra)
    assert response.status_code == 400
    assert needle in response.content.decode()
    assert Case.objects.count() == 0


def test_fake_image_is_400_and_oversize_is_413(town, grid_worker, settings):
    client = api_client(grid_worker)
    assert file_report(client, photos=[fake_jpeg()]).status_code == 400
    settings.MAX_UPLOAD_BYTES = 100
    response = file_report(client, photos=[jpeg(size=(200, 200))])
    assert response.status_code == 413
    assert Case.objects.count() == 0


def test_list_query_count_does_not_grow_with_cases(town, grid_worker, django_assert_max_num_queries):
    client = api_client(grid_worker)
    for i in range(5):
        file_report(client, client_key=f"qc-{i}")
    with django_assert_max_num_queries(6):
        response = client.get("/api/cases/")
    assert response.json()["count"] == 5


def test_openapi_schema_renders(town, grid_worker):
    response = api_client(grid_worker).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/cases/{id}/dispatch/" in response.content


def test_token_auth_for_phones_and_integrations(town, grid_worker):
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.post("/api/auth/token/", {"username": "gw_a", "password": "wrong"}).status_code == 400
    token = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": "pw-for-tests-1"}).json()["token"]
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {token}")
    assert file_report(phone).status_code == 201
    refused = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION="Token not-a-token").get("/api/cases/")
    # 403, not 401: session auth comes first and DRF answers with its status for any failure.
    assert refused.status_code == 403 and "Invalid token" in refused.json()["detail"]
