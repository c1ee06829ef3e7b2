"""No input reaches a 500 (issue 12): each of the prober's findings, reproduced, answered
with a 400 (or 413) that says what was wrong, and nothing half-saved."""

from __future__ import annotations

import logging

import pytest
from django.db import DataError
from django.test import Client
from rest_framework.test import APIClient

from cases import services
from cases.models import Case, CaseEvent
from tests.builders import advance, api_client
from tests.factories import UserFactory, centre_of


def api(user=None) -> APIClient:
    # A 500 must show as a status here, not as an exception raised into the test.
    return api_client(user, raise_request_exception=False)


def json_detail(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    return str(body.get("detail", body))


@pytest.fixture
def reported(case_at) -> Case:
    return case_at(Case.Status.REPORTED)


@pytest.fixture
def accepted(reported, town, centre_operator) -> Case:
    return advance(reported, Case.Status.ACCEPTED, town=town, centre_operator=centre_operator, dept_officer=None)


# --- the JSON parser: nesting depth and NUL -------------------------------------------


def test_deeply_nested_json_to_the_token_endpoint_is_400(db):
    response = api().post("/api/auth/token/", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in json_detail(response)


def test_deeply_nested_json_to_an_action_is_400_and_moves_nothing(accepted, centre_operator):
    body = '{"unit": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/dispatch/", body,
                                         content_type="application/json")
    assert response.status_code == 400
    assert "nested" in json_detail(response)
    assert Case.objects.get(pk=accepted.pk).status == Case.Status.ACCEPTED


def test_json_nested_within_the_limit_still_parses(accepted, centre_operator):
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/dispatch/", {"co_handlers": []}, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(("body", "field"), [
    ('{"note": "before\\u0000after"}', "note"),
    ('{"note\\u0000": "x"}', "body"),
    ('{"note\\u0000": {"deeper\\u0000": "x"}}', "body"),
    ('{"co_handlers": [1, "\\u0000"]}', "co_handlers[1]"),
    ('{"a": {"b": ["\\u0000"]}}', "a.b[0]"),
])
def test_nul_in_a_json_string_is_400_naming_the_field(reported, centre_operator, body, field):
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in json_detail(response)
    assert response.json()["field"] == field
    assert "\x00" not in response.json()["detail"]
    assert Case.objects.get(pk=reported.pk).status == Case.Status.REPORTED


def test_an_escaped_backslash_before_u0000_is_not_a_nul(reported, centre_operator):
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", '{"note": "C:\\\\u0000"}',
                                         content_type="application/json")
    assert response.status_code == 200, response.json()
    assert CaseEvent.objects.get(case=reported, action=CaseEvent.Action.ACCEPT).note == "C:\\u0000"


def test_json_in_a_wrong_encoding_is_400(db, centre_operator, reported):
    body = '{"note": "已受理"}'.encode("gb18030")
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", body,
                                         content_type="application/json; charset=utf-8")
    assert response.status_code == 400
    assert json_detail(response)


# --- NUL in a path or query string: refused before any view runs ------------------------


@pytest.mark.parametrize("url", [
    "/api/cases/?status=%00",
    "/api/cases/?cell=32%00",
    "/api/cases/?category=%00",
    "/api/cases/?x%00=1",
    "/api/categories/%00/",
    "/api/categories/03%0001/",
    "/api/geo/cells/?model=%00",
    "/api/geo/map/?model=%00",
])
def test_nul_in_an_api_path_or_query_is_400_json(town, centre_operator, url):
    response = api(centre_operator).get(url)
    assert response.status_code == 400
    assert "NUL" in json_detail(response)


@pytest.mark.parametrize("url", [
    "/centre/queue/?cell=%00",
    "/centre/queue/?category=1%00",
    "/cases/export/?format=csv&status=%00",
    "/cases/%00/",
    "/accounts/login/?next=/%00",
])
def test_nul_in_a_page_query_is_a_400_page(login, town, centre_operator, url):
    client = login(centre_operator)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content
    assert response["Content-Type"].startswith("text/html")


def test_nul_refusal_is_in_chinese_by_default(town, centre_operator):
    client = api_client(centre_operator, language=None, raise_request_exception=False)
    response = client.get("/api/cases/?cell=%00")
    assert response.status_code == 400
    assert "空字符" in response.json()["detail"]


def test_a_percent_sign_followed_by_00_is_not_a_nul(town, centre_operator):
    response = api(centre_operator).get("/api/cases/?cell=%2500")
    assert response.status_code == 200
    assert response.json()["count"] == 0


# --- pagination -----------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "limit=100000000000000000000",
    "offset=100000000000000000000",
    "limit=-1",
    "offset=-5",
    "limit=abc",
    "offset=1.5",
    "limit=1e3",
])
def test_bad_limit_or_offset_is_400(town, centre_operator, reported, query):
    response = api(centre_operator).get(f"/api/cases/?{query}")
    assert response.status_code == 400, response.content[:300]
    name = query.split("=")[0]
    assert name in json_detail(response)


def test_limit_above_the_maximum_is_capped_not_refused(town, centre_operator, reported):
    response = api(centre_operator).get("/api/cases/?limit=100000")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_good_limit_and_offset_still_page(town, centre_operator, reported):
    response = api(centre_operator).get("/api/cases/?limit=1&offset=0")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert api(centre_operator).get("/api/cases/?limit=1&offset=1").json()["results"] == []


def test_a_huge_page_number_on_a_page_is_not_a_500(login, town, centre_operator, reported):
    client = login(centre_operator)
    client.raise_request_exception = False
    response = client.get("/centre/queue/?page=100000000000000000000")
    assert response.status_code in (200, 404)


# --- numbers: overflow, whole numbers as ids --------------------------------------------


@pytest.mark.parametrize("unit", [53.7, 1.5, "1.5", 1e30, 99999999999999999999, -1, 0, True, "1e3", [1], {"id": 1}])
def test_a_unit_that_is_not_a_whole_id_is_400(accepted, centre_operator, town, unit):
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/dispatch/", {"unit": unit}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "unit" in response.json()
    assert Case.objects.get(pk=accepted.pk).status == Case.Status.ACCEPTED


def test_a_float_naming_an_existing_unit_does_not_dispatch_to_it(accepted, centre_operator, town):
    """The prober's {"unit": 53.7} went to unit 53."""
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/dispatch/",
                                         {"unit": town.other_unit.pk + 0.7}, format="json")
    assert response.status_code == 400
    assert "whole number" in str(response.json()["unit"])
    assert Case.objects.get(pk=accepted.pk).unit_id is None


def test_a_whole_unit_id_in_a_string_still_dispatches(accepted, centre_operator, town):
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/dispatch/", {"unit": str(town.unit.pk)},
                                         format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["unit"] == town.unit.pk


@pytest.mark.parametrize("co_handlers", [[53.7], [1e30], [99999999999999999999], ["x"], "1"])
def test_co_handlers_that_are_not_whole_ids_are_400(accepted, centre_operator, town, co_handlers):
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/dispatch/",
                                         {"unit": town.unit.pk, "co_handlers": co_handlers}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "co_handlers" in response.json()


@pytest.mark.parametrize("duplicate_of", [1.5, 1e30, 99999999999999999999, -3])
def test_duplicate_of_that_is_not_a_whole_id_is_400(reported, centre_operator, duplicate_of):
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/reject/",
                                         {"reason": "重复", "kind": "duplicate", "duplicate_of": duplicate_of},
                                         format="json")
    assert response.status_code == 400, response.content[:300]
    assert "duplicate_of" in response.content.decode()
    assert Case.objects.get(pk=reported.pk).status == Case.Status.REPORTED


def test_a_fractional_duplicate_of_does_not_merge_into_the_case_it_rounds_to(reported, centre_operator, town,
                                                                            grid_worker):
    original = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                    description="更早的同一问题")
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/reject/",
                                         {"reason": "重复", "kind": "duplicate", "duplicate_of": original.pk + 0.4},
                                         format="json")
    assert response.status_code == 400
    assert Case.objects.get(pk=reported.pk).duplicate_of_id is None


@pytest.mark.parametrize("field,value", [
    ("days", 99999999999999999999), ("days", 1e30), ("days", 2.5), ("days", -99999999999999999999),
])
def test_extension_days_out_of_range_is_400(field, value, town, accepted, centre_operator, dept_officer):
    advance(accepted, Case.Status.IN_PROGRESS, town=town, centre_operator=centre_operator, dept_officer=dept_officer)
    response = api(dept_officer).post(f"/api/cases/{accepted.pk}/request-extension/",
                                      {field: value, "reason": "需要更多时间"}, format="json")
    assert response.status_code == 400, response.content[:300]
    message = "An extension is 1 to 15 working days." if isinstance(value, int) else "Give a whole number"
    assert message in response.json()[field][0]


@pytest.mark.parametrize("value", [99999999999999999999, 1e30, 4.5, 0, 6, "五"])
def test_satisfaction_out_of_range_is_400(value, town, accepted, centre_operator, dept_officer):
    advance(accepted, Case.Status.CLOSED, town=town, centre_operator=centre_operator, dept_officer=dept_officer,
            result="已处理")
    response = api(centre_operator).post(f"/api/cases/{accepted.pk}/evaluate/", {"satisfaction": value},
                                         format="json")
    assert response.status_code == 400, response.content[:300]
    assert "satisfaction" in response.json()
    assert Case.objects.get(pk=accepted.pk).satisfaction is None


@pytest.mark.parametrize("query", ["unit=1.5", "unit=99999999999999999999", "unit=-1", "unit=%EF%BC%91"])
def test_a_query_string_unit_that_is_not_a_whole_id_is_400(town, centre_operator, query):
    response = api(centre_operator).get(f"/api/cases/?{query}")
    assert response.status_code == 400, response.content[:300]
    assert "unit" in json_detail(response)


@pytest.mark.parametrize("url", ["/api/cases/99999999999999999999/", "/api/cases/99999999999999999999/timeline/",
                                 "/api/cases/-1/", "/api/cases/1.0/"])
def test_a_case_id_too_big_or_not_whole_in_the_path_is_404(town, centre_operator, url):
    assert api(centre_operator).get(url).status_code == 404


def test_a_notification_id_too_big_is_404(town, centre_operator):
    assert api(centre_operator).post("/api/notifications/99999999999999999999/read/").status_code == 404


@pytest.mark.parametrize("lon", ["1e309", "-1e400", '"1e309"', '"nan"', '"-inf"', "Infinity", "NaN"])
def test_a_report_with_an_infinite_or_nan_coordinate_is_400(town, grid_worker, lon):
    body = f'{{"category": "0301", "description": "x", "lon": {lon}, "lat": {centre_of(0, 0).y!r}}}'
    response = api(grid_worker).post("/api/cases/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "lon" in response.content.decode() or "finite" in response.content.decode()
    assert not Case.objects.exists()


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["reported_to=9999-12-31", "reported_from=0001-01-01",
                                   "reported_from=9999-12-31&reported_to=9999-12-31"])
def test_export_with_extreme_dates_is_not_a_500(login, town, centre_operator, reported, query):
    client = login(centre_operator)
    client.raise_request_exception = False
    response = client.get(f"/cases/export/?format=csv&{query}")
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert b"reported_" in response.content


def test_export_up_to_the_last_day_there_is_still_exports(login, town, centre_operator, reported):
    response = login(centre_operator).get("/cases/export/?format=csv&reported_to=9999-12-31")
    assert response.status_code == 200
    assert reported.number in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("query", ["reported_before=9999-12-31", "reported_after=0001-01-01",
                                   "reported_after=9999-12-31"])
def test_api_case_list_with_extreme_dates_is_not_a_500(town, centre_operator, reported, query):
    response = api(centre_operator).get(f"/api/cases/?{query}")
    assert response.status_code in (200, 400), response.content[:300]


# --- the map for an account holding no role ----------------------------------------------


def test_cells_geojson_for_an_account_with_no_role_is_an_empty_collection(town):
    nobody = UserFactory(username="nobody")
    response = api(nobody).get("/api/geo/cells/")
    assert response.status_code == 200, response.content[:300]
    assert response.json() == {"type": "FeatureCollection", "features": []}


def test_cells_geojson_for_a_grid_worker_still_lists_their_cells(town, grid_worker):
    response = api(grid_worker).get("/api/geo/cells/")
    assert response.status_code == 200
    assert sorted(f["properties"]["code"] for f in response.json()["features"]) == [
        town.cells[0].code, town.cells[1].code]


# --- the exception handler: a database DataError from input is a 400, logged ------------


def test_a_data_error_from_input_is_a_400_and_logged(town, centre_operator, monkeypatch, caplog):
    from cases.api import views

    def broken(*args, **kwargs):
        raise DataError('value "99999999999999999999" is out of range for type bigint')

    monkeypatch.setattr(views, "case_list_visible_to", broken)
    with caplog.at_level(logging.WARNING, logger="cases.api.errors"):
        response = api(centre_operator).get("/api/cases/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "bigint" not in response.json()["detail"]  # the database's words stay in the log
    assert any("out of range" in r.getMessage() for r in caplog.records)


# --- body size ---------------------------------------------------------------------------


def test_a_json_body_over_the_upload_limit_is_413_json(reported, centre_operator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"note": "' + "x" * 2000 + '"}'
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", body, content_type="application/json")
    assert response.status_code == 413
    assert json_detail(response)
    assert Case.objects.get(pk=reported.pk).status == Case.Status.REPORTED


def test_too_many_form_fields_is_400_json(reported, centre_operator, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", body,
                                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert json_detail(response)


def test_a_page_refusing_a_nul_keeps_the_session(login, town, centre_operator):
    client: Client = login(centre_operator)
    client.raise_request_exception = False
    assert client.get("/centre/queue/?cell=%00").status_code == 400
    assert client.get("/centre/queue/").status_code == 200


# --- every API view uses the boundary's parser and pagination ----------------------------


def _api_views():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                cls = getattr(pattern.callback, "cls", None)
                if cls is not None and (prefix + str(pattern.pattern)).startswith("api/"):
                    yield prefix + str(pattern.pattern), cls

    return list(walk(get_resolver().url_patterns))


def test_every_api_view_parses_json_with_the_strict_parser():
    from rest_framework.parsers import JSONParser

    from cases.api.parsers import StrictJSONParser

    views = _api_views()
    assert len(views) > 20
    lax = [route for route, cls in views
           if any(issubclass(p, JSONParser) and not issubclass(p, StrictJSONParser) for p in cls.parser_classes)]
    assert lax == []


def test_every_paginated_api_view_checks_its_parameters():
    from cases.api.pagination import CheckedLimitOffsetPagination

    unchecked = [route for route, cls in _api_views()
                 if getattr(cls, "pagination_class", None) is not None
                 and not issubclass(cls.pagination_class, CheckedLimitOffsetPagination)]
    assert unchecked == []


@pytest.mark.parametrize("text", ["\\ud800", "a\\udfff", "\\udc00\\ud800"])
def test_a_lone_surrogate_in_a_json_string_is_400_naming_the_field(reported, centre_operator, text):
    """JSON may spell half of a UTF-16 pair alone; no UTF-8 text (PostgreSQL's, the
    response's) can hold one: the database adapter, or the renderer echoing it, was a 500."""
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", f'{{"note": "{text}"}}',
                                         content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "note"
    assert "surrogate" in response.json()["detail"]


def test_a_lone_surrogate_in_a_category_code_is_400(town, grid_worker):
    body = f'{{"category": "\\udfff", "description": "x", "lon": {centre_of(0, 0).x}, "lat": {centre_of(0, 0).y}}}'
    response = api(grid_worker).post("/api/cases/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "category"
    assert not Case.objects.exists()


def test_a_proper_surrogate_pair_is_an_ordinary_character(reported, centre_operator):
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", '{"note": "\\ud83d\\ude00"}',
                                         content_type="application/json")
    assert response.status_code == 200
    assert CaseEvent.objects.get(case=reported, action=CaseEvent.Action.ACCEPT).note == "😀"


def test_a_web_merge_into_a_case_named_in_full_width_digits_is_refused(login, town, reported, grid_worker,
                                                                      centre_operator):
    """str.isdigit() and int() read "１２" as 12: the case page merged into that case."""
    original = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                    description="更早的同一问题")
    full_width = str(original.pk).translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    client = login(centre_operator)
    response = client.post(f"/cases/{reported.pk}/reject/",
                           {"kind": "duplicate", "duplicate_of": full_width, "reason": "重复"})
    assert response.status_code == 400
    assert "digits only" in response.content.decode()
    assert Case.objects.get(pk=reported.pk).status == Case.Status.REPORTED


def test_a_body_declared_over_max_request_bytes_is_413_before_a_view(reported, centre_operator, settings):
    settings.MAX_REQUEST_BYTES = 100
    response = api(centre_operator).post(f"/api/cases/{reported.pk}/accept/", {"note": "x" * 200}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Case.objects.get(pk=reported.pk).status == Case.Status.REPORTED


def test_a_page_post_over_max_request_bytes_is_a_413_page(login, reported, centre_operator, settings):
    settings.MAX_REQUEST_BYTES = 100
    response = login(centre_operator).post(f"/cases/{reported.pk}/accept/", {"note": "x" * 200})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert Case.objects.get(pk=reported.pk).status == Case.Status.REPORTED


@pytest.mark.parametrize("url", ["/accounts/login/", "/api/cases/"])
def test_a_session_cookie_with_a_nul_is_a_400_that_clears_it(db, url):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en", HTTP_COOKIE="sessionid=abcdefghij\x00kl")
    response = client.get(url)
    assert response.status_code == 400
    assert "damaged cookie" in response.content.decode()
    assert response.cookies["sessionid"]["max-age"] == 0
    assert Client(raise_request_exception=False).get("/accounts/login/").status_code == 200
