"""A bounded fuzz of the API's main operations, as signed-in people with the right roles:
every field of every action, every filter of the lists and maps, the ids in the paths and
whole bodies are replaced in turn with values from a table of malformed input (the
prober's kinds: NUL, overflow, floats for ids, wrong types, lone surrogates, extreme dates,
deep nesting, bad encodings, wrong content types). Whatever the answer, it is never a 5xx.

Deterministic (a table, not random draws), so a failure names its request and repeats;
each request runs in a savepoint that is rolled back, so every action meets its case in the
state it acts on. About 2,000 requests in about half a minute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from cases.models import Case
from tests.builders import api_client
from tests.factories import UserFactory, centre_of

BIG = 99999999999999999999
# Values a JSON body may carry in place of a field's value (JSON text, spliced into bodies).
JSON_VALUES = [
    '"\\u0000"', '"a\\u0000b"', '""', json.dumps("x" * 5000), '"\\ud800"', '"\\udfff x"',
    "-1", "0", "53.7", "2.0", "1e30", "1e400", str(BIG), f"-{BIG}", "9" * 5000,
    "true", "null", "[]", "{}", '["\\u0000"]', '{"id": 1}', "[" * 40 + "]" * 40,
    '"１"', '"1e3"', '"NaN"', '"9999-12-31"', '"0001-01-01"', "\"' OR 1=1 --\"", '"😀"',
]
# Values for query-string parameters and path segments (already percent-encoded where needed).
QUERY_VALUES = [
    "%00", "a%00b", "", "x" * 3000, "-1", "0", "1.5", "1e3", str(BIG), "9" * 400,
    "%EF%BC%91", "%ED%A0%80", "%FF%FE", "NaN", "true", "9999-12-31", "0001-01-01", "2026-13-01",
    "..%2F..%2Fetc%2Fpasswd", "%3Cscript%3E", "%27%20OR%201%3D1--", "%F0%9F%98%80", "1,2,,3", "%25",
]
# The few that reached the database as a 500 before, for the personas other than the centre's.
SHORT_QUERY_VALUES = ["%00", "1.5", str(BIG), "%ED%A0%80", "9999-12-31", "x" * 3000]
# Whole bodies, with the content type they claim.
RAW_BODIES = [
    ("application/json", b"["),
    ("application/json", b"[" * 100_000),
    ("application/json", b"{" * 50_000),
    ("application/json", b'{"a":' * 2000 + b"1" + b"}" * 2000),
    ("application/json", b"\xff\xfe{}"),
    ("application/json", b"{\"note\": \"\xe5\xb7\"}"),
    ("application/json", b"NaN"),
    ("application/json", b"1e999"),
    ("application/json", b'"just a string"'),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b"null"),
    ("application/json", b'{"note": "\x00"}'),
    ("application/json; charset=bz2_codec", b"BZh91AY&SY"),
    ("application/json; charset=nope", b"{}"),
    ("application/json; charset=utf-16", b"{}"),
    ("application/x-www-form-urlencoded", b"note=%00&unit=53.7&days=" + str(BIG).encode()),
    ("application/x-www-form-urlencoded", b"%ff%fe=%ff"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n\x00\r\n--x--"),
    ("multipart/form-data; boundary=x", b"not multipart at all"),
    ("multipart/form-data", b"--x\r\n"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"photos\"; "
     b"filename=\"a\x00.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nnot a jpeg\r\n--x--"),
    ("text/plain", b"hello"),
    ("application/xml", b"<a/>"),
    ("", b"{}"),
]


S = Case.Status


@dataclass
class Fixture:
    users: dict[str, Any]
    cases: dict[str, Case]


@pytest.fixture
def world(town, grid_worker, centre_operator, dept_officer, supervisor, case_at) -> Fixture:
    co = {"co_handlers": [town.other_unit]}  # so that the co-handler's action has a case to act on
    reported, spot = case_at(S.REPORTED), case_at(S.REPORTED, category=town.spot_category)
    accepted = case_at(S.ACCEPTED)
    dispatched = case_at(S.DISPATCHED)
    in_progress = case_at(S.IN_PROGRESS, **co)
    extension = case_at(S.IN_PROGRESS, extension=(2, "需协调"), **co)
    handled = case_at(S.HANDLED, result="已处理", **co)
    closed = case_at(S.CLOSED, result="已处理", **co)
    co_officer = UserFactory(username="dept_hb")
    co_officer.role_assignments.create(role="department_staff", unit=town.other_unit)
    return Fixture(
        users={"worker": grid_worker, "centre": centre_operator, "dept": dept_officer, "supervisor": supervisor,
               "co": co_officer, "nobody": UserFactory(username="nobody")},  # signed in, holding no role
        cases={"reported": reported, "spot": spot, "accepted": accepted, "dispatched": dispatched,
               "in_progress": in_progress, "extension": extension, "handled": handled, "closed": closed},
    )


# (action, who, case, the fields of its body with a valid value each)
ACTIONS: list[tuple[str, str, str, dict[str, str]]] = [
    ("accept", "centre", "reported", {"note": '"ok"'}),
    ("reject", "centre", "reported", {"reason": '"重复"', "kind": '"duplicate"', "duplicate_of": "{accepted}"}),
    ("escalate", "centre", "reported", {"note": '"上报"'}),
    ("dispatch", "centre", "accepted", {"unit": "{unit}", "co_handlers": "[]", "note": '""'}),
    ("sign-for", "dept", "dispatched", {}),
    ("return", "dept", "in_progress", {"reason": '"不归我们"'}),
    ("request-extension", "dept", "in_progress", {"days": "2", "reason": '"需协调"'}),
    ("approve-extension", "centre", "extension", {"note": '""', "pause_clock": "true"}),
    ("deny-extension", "centre", "extension", {"note": '"不同意"'}),
    ("report-part", "co", "in_progress", {"result": '"已完成"'}),
    ("report-handled", "dept", "in_progress", {"result": '"已处理"'}),
    ("reassign", "centre", "in_progress", {"unit": "{other_unit}", "reason": '"改派"'}),
    ("verify", "centre", "handled", {"passed": "false", "note": '"返工"'}),
    ("evaluate", "centre", "closed", {"satisfaction": "4", "comment": '"及时"'}),
    ("reopen", "centre", "closed", {"reason": '"问题复现"'}),
    ("urge", "supervisor", "in_progress", {"note": '"请尽快"'}),
    ("resolve-on-spot", "worker", "spot", {"note": '"已清理"'}),
]
REPORT_FIELDS = {
    "category": '"0301"', "description": '"人行道被占"', "lon": str(centre_of(0, 0).x), "lat": str(centre_of(0, 0).y),
    "coord_system": '"wgs84"', "address": '""', "client_key": '"k-1"', "reporter_name": '"王芳"',
    "reporter_phone": '"13800138000"', "reporter_id_number": '""', "photos": "[]",
}
LIST_QUERIES = {
    "/api/cases/": ["status", "category", "cell", "unit", "overdue", "reported_after", "reported_before", "limit",
                    "offset"],
    "/api/notifications/": ["unread", "limit", "offset"],
    "/api/categories/": ["limit"],
    "/api/geo/cells/": ["model"],
    "/api/geo/map/": ["area", "cells", "model"],
}


def _body(fields: dict[str, str], world: Fixture) -> str:
    units = {"{unit}": str(world.cases["in_progress"].unit_id), "{other_unit}": str(_other_unit(world)),
             "{accepted}": str(world.cases["accepted"].pk)}
    return "{" + ", ".join(f"{json.dumps(k)}: {units.get(v, v)}" for k, v in fields.items()) + "}"


def _other_unit(world: Fixture) -> int:
    return world.users["co"].role_assignments.get().unit_id


def _requests(world: Fixture) -> Iterator[tuple[str, str, str, str, bytes | str, str]]:
    """(who, method, url, label, body, content type)"""
    for action, who, state, fields in ACTIONS:
        url = f"/api/cases/{world.cases[state].pk}/{action}/"
        # A field the action does not know is ignored alike everywhere: asked of one action.
        for name in [*fields, *(["unexpected"] if action == "accept" else [])]:
            for value in JSON_VALUES:
                yield who, "post", url, f"{name}={value[:30]}", _body({**fields, name: value}, world), "application/json"
    for name in REPORT_FIELDS:
        for value in JSON_VALUES:
            yield ("worker", "post", "/api/cases/", f"{name}={value[:30]}",
                   _body({**REPORT_FIELDS, name: value}, world), "application/json")
    for content_type, raw in RAW_BODIES:
        for who, url in (("centre", f"/api/cases/{world.cases['accepted'].pk}/dispatch/"),
                         ("worker", "/api/cases/"), ("anonymous", "/api/auth/token/")):
            yield who, "post", url, f"raw {raw[:30]!r}", raw, content_type
    for who in ("centre", "supervisor", "worker", "dept", "nobody"):
        for path, params in LIST_QUERIES.items():
            for name in params:
                for value in QUERY_VALUES if who == "centre" else SHORT_QUERY_VALUES:
                    yield who, "get", f"{path}?{name}={value}", "", b"", ""
    for value in QUERY_VALUES:
        yield "centre", "get", f"/api/cases/{value}/", "", b"", ""
        yield "centre", "get", f"/api/cases/{value}/timeline/", "", b"", ""
        yield "centre", "get", f"/api/categories/{value}/", "", b"", ""
        yield "centre", "post", f"/api/notifications/{value}/read/", "", b"", ""
        yield "centre", "get", f"/api/cases/{world.cases['reported'].pk}/{quote(value, safe='%')}/", "", b"", ""


def test_no_malformed_input_is_a_server_error(world, django_capture_on_commit_callbacks):
    clients = {who: api_client(user, raise_request_exception=False) for who, user in world.users.items()}
    clients["anonymous"] = APIClient(raise_request_exception=False)  # the token endpoint is for the signed-out
    failures: list[str] = []
    count = 0
    for who, method, url, label, body, content_type in _requests(world):
        count += 1
        with transaction.atomic():
            if method == "get":
                response = clients[who].get(url)
            else:
                response = clients[who].generic("POST", url, body, content_type=content_type)
            transaction.set_rollback(True)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {who} {method.upper()} {url[:120]} {label}")
    assert count > 1000
    assert failures == [], f"{len(failures)} of {count} requests were server errors:\n" + "\n".join(failures[:60])


WEB_PAGES = {
    "centre": {"/centre/queue/": ["state", "category", "cell", "deadline", "level", "page"],
               "/cases/export/": ["format", "status", "reported_from", "reported_to"],
               "/notifications/": ["unread", "page"],
               "/cases/mine/": ["show", "page"]},
    "dept": {"/unit/queue/": ["tab", "page"]},
    "supervisor": {"/supervisor/map/": ["area", "measure", "cells", "page"],
                   "/supervisor/dashboard/": ["date_from", "date_to", "area"],
                   "/supervisor/dashboard/export/": ["date_from", "date_to", "area", "table", "format"],
                   "/supervisor/overdue/": ["area", "page"],
                   "/supervisor/counts/": ["area"]},
    "worker": {"/worker/today/": ["page"], "/cases/report/": ["category"]},
}


# Pages render templates (~50 ms each): the values that reach a database, a date or a number.
PAGE_QUERY_VALUES = [*SHORT_QUERY_VALUES, "-1", "0", "0001-01-01", "2026-13-01", "%FF%FE"]


def test_no_malformed_page_query_is_a_server_error(world, login):
    """The web pages' filters, through the same request guard and the pages' own forms."""
    failures: list[str] = []
    for who, pages in WEB_PAGES.items():
        client = login(world.users[who])
        client.raise_request_exception = False
        for path, params in pages.items():
            for name in params:
                for value in PAGE_QUERY_VALUES:
                    response = client.get(f"{path}?{name}={value}")
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code} {who} {path}?{name}={value[:60]}")
    assert failures == [], "\n".join(failures[:60])


# The case page's action forms, posted as a browser does (form-encoded), one field at a time.
WEB_ACTIONS: list[tuple[str, str, str, dict[str, str]]] = [
    ("accept", "centre", "reported", {"note": "ok"}),
    ("reject", "centre", "reported", {"reason": "重复", "kind": "duplicate", "duplicate_of": "{accepted}"}),
    ("dispatch", "centre", "accepted", {"unit": "{unit}", "co_handlers": "{other_unit}", "note": ""}),
    ("request_extension", "dept", "in_progress", {"days": "2", "reason": "需协调"}),
    ("approve_extension", "centre", "extension", {"note": ""}),
    ("reassign", "centre", "in_progress", {"unit": "{other_unit}", "reason": "改派"}),
    ("evaluate", "centre", "closed", {"satisfaction": "4", "comment": "及时"}),
    ("verify_fail", "centre", "handled", {"note": "返工"}),
    ("urge", "supervisor", "in_progress", {"note": "请尽快"}),
]
FORM_VALUES = ["\x00", "a\x00b", "１", "1.5", str(BIG), "-1", "x" * 3000, "9999-12-31"]


def test_no_malformed_case_page_form_is_a_server_error(world, login):
    ids = {"{unit}": str(world.cases["in_progress"].unit_id), "{other_unit}": str(_other_unit(world)),
           "{accepted}": str(world.cases["accepted"].pk)}
    clients = {}
    failures: list[str] = []
    for action, who, state, fields in WEB_ACTIONS:
        if who not in clients:
            clients[who] = login(world.users[who])
            clients[who].raise_request_exception = False
        url = f"/cases/{world.cases[state].pk}/{action}/"
        valid = {name: ids.get(value, value) for name, value in fields.items()}
        for name in fields:
            for value in FORM_VALUES:
                with transaction.atomic():
                    response = clients[who].post(url, {**valid, name: value})
                    transaction.set_rollback(True)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {who} {action} {name}={value[:30]!r}")
    assert failures == [], "\n".join(failures)
