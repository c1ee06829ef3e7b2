"""schemathesis over every operation of the OpenAPI schema, as each persona.

The schema is the one /api/schema/ serves (drf-spectacular's generator, in English). For
every operation Hypothesis draws requests from it (valid and invalid ones), and each drawn
request is sent in process, through Django's WSGI handler, as a grid worker (token), a
centre operator (Basic), department staff (token), a supervisor and an administrator (each
with a token got from POST /api/auth/token/ with their TOTP code), an account with no role
yet, and anonymously. Every answer must be no 5xx, with a status code the operation
documents, in a documented media type, with a body that matches the schema.

The database holds the small town of tests/conftest.py with cases in several states, and
path ids, units, categories and places are drawn from it as often as at random, so the
requests reach real rows and not only 404s. Each request runs in a savepoint rolled back
after it: every persona and every example meets the same rows, and an error cannot leave
the test's transaction aborted for the requests after it.

Deterministic for CI: derandomized, no example database, no deadline, examples bounded.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.specs.openapi import checks as openapi_checks

from cases import services
from cases.models import Case, CaseEvent, Notification
from governance.wsgi import application
from tests.api.openapi import served_schema
from tests.cases.photos import jpeg
from tests.factories import UserFactory, centre_of

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261204,
    "generation": {"mode": "all", "max-examples": 25, "deterministic": True},
    "phases": {"coverage": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(served_schema(), config=CONFIG)
schema.app = application


@dataclass
class Rows:
    """The town's rows that drawn requests may name; filled per test by the `rows` fixture,
    read when Hypothesis draws (indexes are drawn, so draws stay the same run to run while
    the ids that PostgreSQL's sequences hand out do not)."""

    case_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


ROWS = Rows()


def _one_of(name: str) -> st.SearchStrategy[Any]:
    """One of ROWS.<name>, looked up when drawn (the fixture has filled it by then)."""

    def pick(index: int) -> Any:
        values = getattr(ROWS, name)
        return values[index % len(values)]

    return st.integers(min_value=0, max_value=63).map(pick)


def _real(key: str) -> st.SearchStrategy[Any] | None:
    """A value the town has for a parameter or body field of this name, or None."""
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "unit": _one_of("unit_ids"),
        "co_handlers": st.lists(_one_of("unit_ids"), max_size=2),
        "duplicate_of": _one_of("case_ids"),
        "category": _one_of("categories"),
        "cell": _one_of("places"),
        "area": _one_of("places"),
        "lon": st.floats(min_value=120.30, max_value=120.339),
        "lat": st.floats(min_value=31.57, max_value=31.589),
        "satisfaction": st.integers(min_value=1, max_value=5),
        "days": st.integers(min_value=1, max_value=15),
        "photos": st.just([jpeg().read()]),
    }
    return strategies.get(key)


def _with_real_values(values: Any) -> st.SearchStrategy[Any]:
    """As drawn, or with each field the town has values for replaced by one of them."""
    if not isinstance(values, dict):
        return st.just(values)
    real = {key: strategy for key in values if (strategy := _real(key)) is not None}
    if not real:
        return st.just(values)
    return st.one_of(st.just(values), st.fixed_dictionaries(real).map(lambda drawn: {**values, **drawn}))


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy[Any]:
    path = context.operation.path
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    if "id" in path_parameters:
        ids = "notification_ids" if path.startswith("/api/notifications/") else "case_ids"
        return st.one_of(st.just(path_parameters), _one_of(ids).map(lambda pk: {**path_parameters, "id": pk}))
    if "code" in path_parameters:
        return st.one_of(st.just(path_parameters),
                         _one_of("categories").map(lambda code: {**path_parameters, "code": code}))
    return st.just(path_parameters)


@schema.hook
def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
    return _with_real_values(query)


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _with_real_values(body)


def _drop_files_from_json(case: Any) -> None:
    """Photos are files: a multipart body carries them, a JSON body cannot (the schema's
    JSON form names them too, as one request component serves every media type)."""
    if case.media_type == "application/json" and isinstance(case.body, dict):
        case.body = {key: value for key, value in case.body.items()
                     if not isinstance(value, bytes) and not (isinstance(value, list) and any(
                         isinstance(item, bytes) for item in value))}


@dataclass
class Persona:
    name: str
    headers: dict[str, str]


def _token_with_second_factor(user: Any) -> str:
    """The token POST /api/auth/token/ gives for the user's password and current TOTP code."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    answer = APIClient().post("/api/auth/token/", {
        "username": user.username, "password": PASSWORD, "otp_token": f"{TOTP(device.bin_key).token():06d}",
    }, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


@pytest.fixture
def personas(town, grid_worker, centre_operator, dept_officer, supervisor) -> list[Persona]:
    admin = UserFactory(username="admin_root", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    basic = base64.b64encode(f"{centre_operator.username}:{PASSWORD}".encode()).decode()
    return [
        Persona("grid worker", {"Authorization": f"Token {Token.objects.create(user=grid_worker).key}"}),
        Persona("centre operator", {"Authorization": f"Basic {basic}"}),
        Persona("department staff", {"Authorization": f"Token {Token.objects.create(user=dept_officer).key}"}),
        Persona("supervisor", {"Authorization": f"Token {_token_with_second_factor(supervisor)}"}),
        Persona("administrator", {"Authorization": f"Token {_token_with_second_factor(admin)}"}),
        # Signed in but given no role yet (a new account): least privilege, not an error.
        Persona("no role", {"Authorization": f"Token {Token.objects.create(user=UserFactory(username='new_hire')).key}"}),
        Persona("anonymous", {}),
    ]


@pytest.fixture
def rows(town, grid_worker, centre_operator, dept_officer, supervisor, case_at) -> Iterator[Rows]:
    """Cases in several states, a timeline with every kind of row, notifications."""
    S = Case.Status
    reported = case_at(S.REPORTED, address="县前街 1 号", reporter_name="王小明", reporter_phone="13912345678")
    duplicate = case_at(S.REPORTED)
    accepted = case_at(S.ACCEPTED, location=centre_of(1, 0))
    rejected = case_at(S.REPORTED, photos=[jpeg()])
    services.case_reject(case_id=rejected.pk, actor=centre_operator, reason="重复", kind=Case.RejectKind.DUPLICATE,
                         duplicate_of=reported.pk)
    dispatched = case_at(S.DISPATCHED, co_handlers=[town.other_unit])
    in_progress = case_at(S.IN_PROGRESS, extension=(2, "等待材料"))
    handled = case_at(S.HANDLED, result="已清理", handled_photos=[jpeg()])
    # Not the grid worker's cell: the centre files it.
    closed = case_at(S.CLOSED, reporter=centre_operator, location=centre_of(1, 1), result="已清理")
    self_resolved = services.case_resolve_on_spot(case_id=case_at(S.REPORTED, category=town.spot_category).pk,
                                                  actor=grid_worker, note="已清理", photos=[jpeg()])
    elsewhere = services.case_report(actor=None, category=town.category, location=centre_of(2, 0),
                                     description="另一个社区的案件")
    cases = [reported, duplicate, accepted, rejected, dispatched, in_progress, handled, closed, self_resolved,
             elsewhere]
    for user in (grid_worker, centre_operator, dept_officer):
        Notification.objects.create(recipient=user, case=handled, kind=Notification.Kind.ACTION_NEEDED,
                                    key=f"test-{user.pk}", created_at=timezone.now())
    assert {c.status for c in Case.objects.filter(pk__in=[c.pk for c in cases])} == set(Case.Status)
    assert CaseEvent.objects.exists()
    ROWS.case_ids = [c.pk for c in cases] + [0, 2**31 - 1]
    ROWS.unit_ids = [town.unit.pk, town.other_unit.pk, 0]
    ROWS.notification_ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    ROWS.categories = [town.category.code, town.spot_category.code, town.category.parent.code]
    ROWS.places = [town.district.code, town.street.code, town.community.code, town.cells[0].code,
                   town.cells[4].code]
    yield ROWS
    for name in ("case_ids", "unit_ids", "notification_ids", "categories", "places"):
        setattr(ROWS, name, [])


@pytest.fixture
def in_process(settings) -> Iterator[None]:
    """Requests through the WSGI handler inside the test's transaction: the handler's
    request_started/finished close the connection (and the transaction), as Django's own
    test client prevents."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25, derandomize=True, database=None, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@pytest.mark.django_db
def test_every_operation_answers_as_documented(case, personas, rows, in_process):
    for persona in personas:
        savepoint = transaction.savepoint()
        try:
            # X-Persona only names the caller in a failure's curl line; the server ignores it.
            # identity: the geo layers are gzipped for clients that ask, and this client cannot unzip.
            headers = {"X-Persona": persona.name, "Accept-Language": "en", "Accept-Encoding": "identity",
                       **persona.headers}
            _drop_files_from_json(case)
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
        finally:
            transaction.savepoint_rollback(savepoint)
