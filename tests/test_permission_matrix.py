"""Who gets what from every route: a permission matrix generated from the URL conf.

For every named route (API and pages) and every persona, the expected HTTP status, against
one case filed in cell A of the town and dispatched to the holding unit. A route added to
the URL conf without a row here fails `test_every_route_has_a_row`, so nobody ships an
endpoint without deciding who may use it. Admin routes are one rule: nobody without staff
status gets any of them (tests/test_admin.py covers the administrator's side).

Scope: "in" personas can see the case (404 would leak nothing either way, so an object
outside a person's scope answers 404 exactly like a missing one); "out" personas cannot.
Each request runs in a savepoint that is rolled back, so every cell of the matrix sees the
same dispatched case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from access.models import RoleAssignment
from cases.models import Case, Category, Notification
from grids.models import GridAssignment
from risk.models import PatrolTask
from tests.builders import case_at
from tests.cases.photos import jpeg
from tests.factories import UserFactory, centre_of

ANON, GW_A, GW_B = "anonymous", "grid_worker_of_cell_a", "grid_worker_of_cell_b"
C_COMMUNITY, C_OTHER, C_STREET = "centre_of_the_community", "centre_of_another_community", "centre_of_the_street"
U_HOLDING, U_OTHER = "unit_holding_the_case", "unit_not_holding_it"
SUP_IN, SUP_OUT = "supervisor_of_the_district", "supervisor_of_another_community"
ADMIN = "administrator"
NOBODY = "signed_in_with_no_role"  # a citizen's account: files reports, follows their own
PERSONAS = (ANON, GW_A, GW_B, C_COMMUNITY, C_OTHER, C_STREET, U_HOLDING, U_OTHER, SUP_IN, SUP_OUT, ADMIN, NOBODY)
IN = (GW_A, C_COMMUNITY, C_STREET, U_HOLDING, SUP_IN, ADMIN)  # may see the case
OUT = (GW_B, C_OTHER, U_OTHER, SUP_OUT, NOBODY)
SIGNED_IN = PERSONAS[1:]


def expect(default: int, **by_persona: int) -> dict[str, int]:
    """Statuses for every persona: `default`, except those named (by group or persona)."""
    table = dict.fromkeys(PERSONAS, default)
    table.update(by_persona)
    return table


def case_scoped(in_scope: int | dict[str, int], *, anonymous: int) -> dict[str, int]:
    """A route about the case: out-of-scope personas get 404, in-scope ones `in_scope`."""
    table = dict.fromkeys(OUT, 404)
    table[ANON] = anonymous
    for persona in IN:
        table[persona] = in_scope if isinstance(in_scope, int) else in_scope.get(persona, in_scope["*"])
    return table


def api_action(in_scope: int | dict[str, int]) -> dict[str, int]:
    return case_scoped(in_scope, anonymous=403)


@dataclass
class World:
    case_id: int
    photo_id: int
    notification_id: int
    other_unit_id: int
    task_id: int = 0
    clients: dict[str, Client] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    method: str
    expected: dict[str, int]
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def case_kw(w: World) -> dict[str, Any]:
    return {"pk": w.case_id}


def api_post(expected: dict[str, int], data: Callable[[World], dict[str, Any]] = lambda w: {}) -> Row:
    return Row("post", expected, case_kw, data)


STATE_409 = api_action(409)  # the dispatched case is in the wrong state for this move
ONLY_HOLDING_UNIT = api_action({U_HOLDING: 200, ADMIN: 200, "*": 403})
ONLY_CENTRE = api_action({C_COMMUNITY: 200, C_STREET: 200, ADMIN: 200, "*": 403})
NO_PENDING_REQUEST = api_action({C_COMMUNITY: 409, C_STREET: 409, ADMIN: 409, "*": 403})
PAGE_FOR = {
    "centre": expect(403, anonymous=302, **dict.fromkeys((C_COMMUNITY, C_OTHER, C_STREET, ADMIN), 200)),
    "unit": expect(403, anonymous=302, **dict.fromkeys((U_HOLDING, U_OTHER, ADMIN), 200)),
    "supervisor": expect(403, anonymous=302, **dict.fromkeys((SUP_IN, SUP_OUT, ADMIN), 200)),
    "grid_worker": expect(403, anonymous=302, **dict.fromkeys((GW_A, GW_B, ADMIN), 200)),
}

MATRIX: dict[str, Row] = {
    # --- API ---------------------------------------------------------------------------
    "api-root": Row("get", expect(200, anonymous=403)),
    "api-schema": Row("get", expect(200, anonymous=403)),
    "api-docs": Row("get", expect(200, anonymous=302)),  # an HTML page: sign in first
    "api-token": Row("post", expect(400)),  # no credentials given: a clear 400 for everyone
    "api-case-list": Row("get", expect(200, anonymous=403)),
    "api-case-detail": Row("get", api_action(200), case_kw),
    "api-case-timeline": Row("get", api_action(200), case_kw),
    # The reporter's contact unmasked (audited): those who call back; supervisors 403.
    "api-case-contact": Row("get", api_action({SUP_IN: 403, "*": 200}), case_kw),
    "api-case-accept": api_post(STATE_409),
    "api-case-reject": api_post(STATE_409, lambda w: {"reason": "r"}),
    "api-case-escalate": api_post(STATE_409),
    "api-case-dispatch-case": api_post(STATE_409),
    "api-case-evaluate": api_post(STATE_409, lambda w: {"satisfaction": 5}),
    "api-case-reopen": api_post(STATE_409, lambda w: {"reason": "r"}),
    "api-case-report-handled": api_post(STATE_409, lambda w: {"result": "done"}),
    "api-case-verify": api_post(STATE_409, lambda w: {"passed": True}),
    "api-case-resolve-on-spot": api_post(STATE_409),
    "api-case-sign-for": api_post(ONLY_HOLDING_UNIT),
    "api-case-return-": api_post(ONLY_HOLDING_UNIT, lambda w: {"reason": "not ours"}),
    "api-case-request-extension": api_post(ONLY_HOLDING_UNIT, lambda w: {"days": 3, "reason": "parts"}),
    "api-case-reassign": api_post(ONLY_CENTRE, lambda w: {"unit": w.other_unit_id, "reason": "wrong unit"}),
    "api-case-approve-extension": api_post(NO_PENDING_REQUEST),
    "api-case-deny-extension": api_post(NO_PENDING_REQUEST, lambda w: {"note": "no"}),
    # Only co-handlers report a part; this case has none.
    "api-case-report-part": api_post(api_action(403), lambda w: {"result": "part"}),
    # 督办: supervisors of the case's area (and admins); everyone else in scope is refused.
    "api-case-urge": api_post(api_action({SUP_IN: 200, ADMIN: 200, "*": 403}), lambda w: {"note": "hurry"}),
    "api-category-list": Row("get", expect(200, anonymous=403)),
    "api-category-detail": Row("get", expect(200, anonymous=403), lambda w: {"code": "0301"}),
    "api-notification-list": Row("get", expect(200, anonymous=403)),
    # Notifications are the recipient's alone; anybody else's answers 404.
    "api-notification-read": Row(
        "post", expect(404, anonymous=403, **{GW_A: 200}), lambda w: {"pk": w.notification_id}
    ),
    # NOBODY: a citizen's report form draws the cells; this answered 500 (EmptyResultSet) for
    # an account holding no role (issue 12), now an empty collection.
    "api-cells-geojson": Row("get", expect(200, anonymous=403)),
    # The supervisor map's layer: supervisors (each their own jurisdiction) and admins.
    "api-map-layer": Row("get", expect(403, **dict.fromkeys((SUP_IN, SUP_OUT, ADMIN), 200))),
    # --- pages -------------------------------------------------------------------------
    "set_language": Row("post", expect(302), data=lambda w: {"language": "en"}),
    "login": Row("get", expect(200)),
    "logout": Row("post", expect(302)),
    "password_change": Row("get", expect(200, anonymous=302)),
    "password_change_done": Row("get", expect(200, anonymous=302)),
    "password_reset": Row("get", expect(200)),
    "password_reset_done": Row("get", expect(200)),
    "password_reset_confirm": Row("get", expect(200), lambda w: {"uidb64": "MQ", "token": "bad-token"}),
    "password_reset_complete": Row("get", expect(200)),
    # The second-factor page: everyone here is verified or needs none, so it sends them on.
    "accounts-otp": Row("get", expect(302)),
    # Everyone is sent to their own screen (or the login); with no role, a page saying so.
    "home": Row("get", expect(302, **{NOBODY: 200})),
    # Who may file (cases.permissions.may_file): grid workers, centres, admins, citizens.
    "case-report": Row("get", expect(200, anonymous=302, **dict.fromkeys((U_HOLDING, U_OTHER, SUP_IN, SUP_OUT), 403))),
    "my-reports": Row("get", expect(200, anonymous=302)),
    # Everyone exports what they may see (so an out-of-scope person gets an empty file).
    "case-export": Row("get", expect(200, anonymous=302), data=lambda w: {"format": "csv"}),
    "case-detail": Row("get", case_scoped(200, anonymous=302), case_kw),
    "case-photo": Row(
        "get", case_scoped(200, anonymous=302), lambda w: {"pk": w.case_id, "attachment_id": w.photo_id}
    ),
    # The reporter's contact in full: those who call back; supervisors see it masked (403).
    "case-contact": Row(
        "post", case_scoped({SUP_IN: 403, "*": 200}, anonymous=302), case_kw
    ),
    "case-action": Row(
        "post",
        case_scoped({U_HOLDING: 302, ADMIN: 302, "*": 403}, anonymous=302),
        lambda w: {"pk": w.case_id, "action": "sign_for"},
    ),
    "notifications": Row("get", expect(200, anonymous=302)),
    "notifications-read-all": Row("post", expect(302)),  # to the list, or to the login
    # Another person's notification is a 404, like one that does not exist.
    "notification-open": Row("post", expect(404, anonymous=302, **{GW_A: 302}), lambda w: {"pk": w.notification_id}),
    "worker-today": Row("get", PAGE_FOR["grid_worker"]),
    # A patrol task of cell A: its worker (and admins) complete it; the worker of cell B
    # gets 404 as for a missing one; other roles are refused before any lookup.
    "task-done": Row(
        "post", expect(403, anonymous=302, **{GW_A: 302, ADMIN: 302, GW_B: 404}),
        lambda w: {"pk": w.task_id}, lambda w: {"note": "巡查无异常"},
    ),
    "centre-queue": Row("get", PAGE_FOR["centre"]),
    "unit-queue": Row("get", PAGE_FOR["unit"]),
    "supervisor-counts": Row("get", PAGE_FOR["supervisor"]),
    "supervisor-map": Row("get", PAGE_FOR["supervisor"]),
    # The KPI dashboard and overdue list: each supervisor over their own area (by default).
    "supervisor-dashboard": Row("get", PAGE_FOR["supervisor"]),
    "supervisor-dashboard-export": Row(
        "get", PAGE_FOR["supervisor"],
        data=lambda w: {"table": "areas", "format": "csv", "date_from": "2026-01-01", "date_to": "2026-01-31"},
    ),
    "supervisor-overdue": Row("get", PAGE_FOR["supervisor"]),
    # 督办 from the overdue list: as the case's urge action, then back to the list.
    "supervisor-overdue-urge": Row(
        "post", case_scoped({SUP_IN: 302, ADMIN: 302, "*": 403}, anonymous=302), case_kw, lambda w: {"note": "hurry"}
    ),
}


def report_in_cell_a(w: World) -> dict[str, Any]:
    point = centre_of(0, 0)
    return {"category": "0301", "description": "matrix", "lon": point.x, "lat": point.y, "coord_system": "wgs84"}


def report_form_in_cell_a(w: World) -> dict[str, Any]:
    return report_in_cell_a(w) | {"category": Category.objects.get(code="0301").pk}


def reset_kw(w: World) -> dict[str, Any]:
    return {"uidb64": "MQ", "token": "bad-token"}


# Filing in cell A (cases.permissions.filing_role): its grid worker, the centres over it,
# admins and citizens; another cell's worker and another community's centre are told it is
# not their place (400); supervisors and department staff do not file (403).
FILE_IN_CELL_A = {GW_B: 400, C_OTHER: 400, **dict.fromkeys((U_HOLDING, U_OTHER, SUP_IN, SUP_OUT), 403)}

# Writes a route accepts besides its main row's method: (route name, method) → row.
# Django's form views take PUT as POST; set_language redirects without changing anything.
WRITES: dict[tuple[str, str], Row] = {
    ("api-case-list", "post"): Row("post", expect(201, anonymous=403, **FILE_IN_CELL_A), data=report_in_cell_a),
    ("case-report", "post"): Row("post", expect(302, **FILE_IN_CELL_A), data=report_form_in_cell_a),
    ("accounts-otp", "post"): Row("post", expect(302)),
    ("login", "post"): Row("post", expect(200)),
    ("login", "put"): Row("put", expect(200)),
    ("password_change", "post"): Row("post", expect(400, anonymous=302)),
    ("password_change", "put"): Row("put", expect(400, anonymous=302)),
    ("password_reset", "post"): Row("post", expect(200)),
    ("password_reset", "put"): Row("put", expect(200)),
    **{("password_reset_confirm", m): Row(m, expect(200), reset_kw) for m in ("post", "put", "patch", "delete")},
    **{("set_language", m): Row(m, expect(302)) for m in ("put", "patch", "delete")},
}


def _routes(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            found.append((prefix + str(pattern.pattern), name or ""))
    return found


ROUTES = _routes(get_resolver().url_patterns)
# The admin's login page is the one admin route everyone may open.
ADMIN_ROUTES = sorted({name for _path, name in ROUTES if name.startswith("admin:") and name != "admin:login"})


def test_every_route_has_a_row():
    # The admin's own unnamed routes (legacy redirects, its catch-all) fall under the admin rule.
    unnamed = [path for path, name in ROUTES if not name and not path.startswith("admin/")]
    assert not unnamed, f"routes without a name cannot be in the matrix: {unnamed}"
    names = {name for _path, name in ROUTES if name and not name.startswith("admin:")}
    assert not names - MATRIX.keys(), f"routes with no row in the permission matrix: {sorted(names - MATRIX.keys())}"
    assert not MATRIX.keys() - names, f"rows for routes that no longer exist: {sorted(MATRIX.keys() - names)}"
    assert all(set(row.expected) == set(PERSONAS) for row in MATRIX.values())


@pytest.fixture
def world(town, verify_otp) -> World:
    def person(username: str, role: str | None = None, **scope: Any):
        user = UserFactory(username=username)
        if role:
            RoleAssignment.objects.create(user=user, role=role, **scope)
        return user

    R = RoleAssignment.Role
    people = {
        GW_A: person("gw_cell_a"),
        GW_B: person("gw_cell_b"),
        C_COMMUNITY: person("centre_community", R.CENTRE_OPERATOR, area=town.community),
        C_OTHER: person("centre_other", R.CENTRE_OPERATOR, area=town.other_community),
        C_STREET: person("centre_street", R.CENTRE_OPERATOR, area=town.street),
        U_HOLDING: person("unit_holding", R.DEPARTMENT_STAFF, unit=town.unit),
        U_OTHER: person("unit_other", R.DEPARTMENT_STAFF, unit=town.other_unit),
        SUP_IN: person("supervisor_district", R.SUPERVISOR, area=town.district),
        SUP_OUT: person("supervisor_other", R.SUPERVISOR, area=town.other_community),
        ADMIN: UserFactory(username="admin_root", is_staff=True, is_superuser=True),
        NOBODY: person("no_role"),
    }
    GridAssignment.objects.create(worker=people[GW_A], cell=town.cells[0])
    GridAssignment.objects.create(worker=people[GW_B], cell=town.cells[4])
    case = case_at(Case.Status.DISPATCHED, town=town, reporter=people[GW_A], centre_operator=people[C_COMMUNITY],
                   dept_officer=None, description="matrix", photos=[jpeg()], reporter_phone="13812345678")
    note = Notification.objects.create(recipient=people[GW_A], case=case, kind=Notification.Kind.ACTION_NEEDED,
                                       key="matrix", created_at=timezone.now())
    task = PatrolTask.objects.create(cell=town.cells[0], title="matrix", due_date=timezone.localdate())
    w = World(case.pk, case.attachments.get().pk, note.pk, town.other_unit.pk, task.pk)
    for persona in PERSONAS:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if persona != ANON:
            client.force_login(people[persona])
            verify_otp(client, people[persona])  # supervisors and admins pass their second factor
        w.clients[persona] = client
    return w


def _status(client: Client, method: str, path: str, data: dict[str, Any]) -> int:
    with transaction.atomic():
        if method == "get":
            response = client.get(path, data)
        elif path.startswith("/api/"):
            response = getattr(client, method)(path, data, content_type="application/json")
        elif method == "post":
            response = client.post(path, data)
        else:
            response = getattr(client, method)(path, urlencode(data), content_type="application/x-www-form-urlencoded")
        transaction.set_rollback(True)
    return response.status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(world, name):
    row = MATRIX[name]
    path = reverse(name, kwargs=row.kwargs(world))
    got = {persona: _status(world.clients[persona], row.method, path, row.data(world)) for persona in PERSONAS}
    wrong = {p: f"got {got[p]}, expected {row.expected[p]}" for p in PERSONAS if got[p] != row.expected[p]}
    assert not wrong, f"{row.method.upper()} {path}: {wrong}"


WRITE_METHODS = ("post", "put", "patch", "delete")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_write_a_route_accepts_has_a_row(world, name):
    """A route's main row is one method; any other write it accepts needs its own row in
    WRITES. The administrator, who may do most, gets 405 for every write without a row."""
    row = MATRIX[name]
    path = reverse(name, kwargs=row.kwargs(world))
    unlisted = {}
    for method in WRITE_METHODS:
        if method != row.method and (name, method) not in WRITES:
            status = _status(world.clients[ADMIN], method, path, row.data(world))
            if status != 405:
                unlisted[method] = status
    assert not unlisted, f"{path} accepts writes with no row in WRITES: {unlisted}"


@pytest.mark.parametrize("key", sorted(WRITES))
def test_write_matrix(world, key):
    name, method = key
    row = WRITES[key]
    assert row.method == method
    path = reverse(name, kwargs=row.kwargs(world))
    got = {persona: _status(world.clients[persona], method, path, row.data(world)) for persona in PERSONAS}
    wrong = {p: f"got {got[p]}, expected {row.expected[p]}" for p in PERSONAS if got[p] != row.expected[p]}
    assert not wrong, f"{method.upper()} {path}: {wrong}"


def _admin_path(name: str) -> str:
    for args in ((), (1,), (1, 1), ("grids",)):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a path for {name}")


@pytest.mark.parametrize("persona", [ANON, GW_A, C_STREET, U_HOLDING, SUP_IN])
def test_no_admin_route_opens_without_staff_status(world, persona):
    client = world.clients[persona]
    opened = {}
    for name in ADMIN_ROUTES:
        path = _admin_path(name)
        status = _status(client, "get", path, {})
        if status != 302:
            opened[path] = status
    assert not opened, f"admin routes not redirecting {persona} to the admin login: {opened}"
