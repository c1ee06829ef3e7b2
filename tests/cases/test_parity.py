"""Web, API and service give the same answer: generated from the action registry.

For every action of cases.workflow × persona × case state, the web's POST
/cases/<id>/<action>/, the API's POST /api/cases/<id>/<route>/ and a direct service call
end alike: allowed, or refused with the same status (403 / 404 / 409 / 400) and, where both
name one, the same DomainError code. The person who cannot see the case gets 404 on web and
API (exactly like a missing case) and a refusal from the service. And "allowed" is exactly
what `available_actions` offers, so no button or allowed_actions entry leads to a refusal.

Each attempt runs in a savepoint that is rolled back (as tests/test_permission_matrix.py
does), so every persona meets the same case in the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from access.errors import DomainError
from access.models import RoleAssignment
from cases import services, workflow
from cases.models import Case, CaseEvent, DepartmentUnit
from grids.models import Area
from tests.builders import api_client, case_at
from tests.cases.photos import jpeg
from tests.factories import UserFactory, block, centre_of

A = CaseEvent.Action
S = Case.Status
OK = "ok"

GW, GW_OUT, CENTRE, CENTRE_OTHER, STREET = "grid_worker", "outsider", "centre", "centre_other", "street"
UNIT, UNIT_OTHER, SUPERVISOR, ADMIN, NOBODY = "unit", "unit_other", "supervisor", "admin", "nobody"
PERSONAS = (GW, GW_OUT, CENTRE, CENTRE_OTHER, STREET, UNIT, UNIT_OTHER, SUPERVISOR, ADMIN, NOBODY)

# Case states: the main path, a pending extension, and a self-resolvable report.
EXTENSION, SPOT = "extension", "reported_spot"
STATES = (*(s.value for s in (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.CLOSED)),
          EXTENSION)


def status_of(state: str) -> str:
    return {EXTENSION: S.IN_PROGRESS, SPOT: S.REPORTED}.get(state, state)


def states_for(spec: workflow.ActionDef) -> list[str]:
    """The states the action starts from, and one it does not (for the 409)."""
    inside = [s for s in STATES if status_of(s) in spec.sources and (s != EXTENSION or spec.action in EXTENSIONS)]
    outside = next(s for s in STATES if status_of(s) not in spec.sources)
    return [*inside, *([SPOT] if spec.action == A.RESOLVE_ON_SPOT else []), outside]


# The actions a pending extension request changes the answer of (the rest, to keep the
# test fast, meet the in-progress case without one).
EXTENSIONS = (A.REQUEST_EXTENSION, A.APPROVE_EXTENSION, A.DENY_EXTENSION)


@dataclass
class World:
    town: Any
    people: dict[str, Any]
    cases: dict[str, Case]
    web: dict[str, Client]
    api: dict[str, APIClient]
    far_unit: DepartmentUnit  # a unit of another district
    city_unit: DepartmentUnit  # a city-wide unit


@pytest.fixture
def world(town, grid_worker, outsider, centre_operator, street_operator, dept_officer, supervisor, login) -> World:
    R = RoleAssignment.Role
    centre_other = UserFactory(username="centre_other")
    RoleAssignment.objects.create(user=centre_other, role=R.CENTRE_OPERATOR, area=town.other_community)
    unit_other = UserFactory(username="unit_other")
    RoleAssignment.objects.create(user=unit_other, role=R.DEPARTMENT_STAFF, unit=town.other_unit)
    people = {
        GW: grid_worker, GW_OUT: outsider, CENTRE: centre_operator, CENTRE_OTHER: centre_other,
        STREET: street_operator, UNIT: dept_officer, UNIT_OTHER: unit_other, SUPERVISOR: supervisor,
        ADMIN: UserFactory(username="admin_root", is_staff=True, is_superuser=True),
        NOBODY: UserFactory(username="no_role"),
    }
    far = Area.objects.create(code="320214", name="新吴区", level=Area.Level.DISTRICT, parent=town.city,
                              geom=block(2, 2, origin=(120.40, 31.50)))
    far_unit = DepartmentUnit.objects.create(department=town.department, area=far, name="新吴区城管局")
    city_unit = DepartmentUnit.objects.create(department=town.other_unit.department, area=town.city,
                                              name="无锡市环保局")
    build = {"town": town, "reporter": grid_worker, "centre_operator": centre_operator, "dept_officer": dept_officer}
    cases = {state: case_at(status_of(state), **build) for state in STATES if state not in (EXTENSION, S.DISPATCHED)}
    # The dispatched case has a co-handler, who reports its part.
    cases[S.DISPATCHED] = case_at(S.DISPATCHED, co_handlers=[town.other_unit], **build)
    cases[EXTENSION] = case_at(S.IN_PROGRESS, extension=(2, "等配件"), **build)
    cases[SPOT] = case_at(S.REPORTED, category=town.spot_category, **build)
    return World(town, people, cases, {p: login(u) for p, u in people.items()},
                 {p: api_client(u) for p, u in people.items()}, far_unit, city_unit)


# --- the input each action is given: valid, so any refusal is the rule's -----------------

def inputs(action: str, w: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(web form data, API data, service data) for one attempt; photos made afresh."""
    t = w.town
    if action == A.RESOLVE_ON_SPOT:
        return {"note": "已清理", "photo": jpeg()}, {"note": "已清理", "photos": [jpeg()]}, \
            {"note": "已清理", "photos": [jpeg()]}
    if action == A.DISPATCH:
        return {"unit": t.unit.pk, "note": ""}, {"unit": t.unit.pk}, {"unit": t.unit, "co_handlers": [], "note": ""}
    if action == A.REASSIGN:
        return {"unit": t.other_unit.pk, "reason": "派错"}, {"unit": t.other_unit.pk, "reason": "派错"}, \
            {"unit": t.other_unit, "reason": "派错"}
    if action == A.REJECT:
        data = {"reason": "无效", "kind": Case.RejectKind.INVALID}
        return data, data, {**data, "duplicate_of": None}
    if action in (A.VERIFY_PASS, A.VERIFY_FAIL):
        passed = action == A.VERIFY_PASS
        return {"note": "复核"}, {"note": "复核", "passed": passed}, {"note": "复核", "passed": passed}
    if action == A.REQUEST_EXTENSION:
        data = {"days": 2, "reason": "等配件"}
        return data, data, data
    if action == A.EVALUATE:
        data = {"satisfaction": 5, "comment": ""}
        return data, data, data
    if action == A.SIGN_FOR:
        return {}, {}, {}
    field = {A.REPORT_HANDLED: "result", A.REPORT_PART: "result", A.RETURN: "reason", A.REOPEN: "reason"}.get(
        action, "note")
    data = {field: "说明"}
    if action == A.APPROVE_EXTENSION:
        data["pause_clock"] = False  # type: ignore[assignment]
    return data, data, data


Outcome = tuple[Any, str | None]  # OK or the HTTP status; the DomainError code if named


def rolled_back(attempt: Callable[..., Outcome], *args: Any) -> Outcome:
    with transaction.atomic():
        outcome = attempt(*args)
        transaction.set_rollback(True)
    return outcome


def web_outcome(client: Client, path: str, data: dict[str, Any]) -> Outcome:
    response = client.post(path, data)
    if response.status_code == 302:
        return OK, None
    return response.status_code, response.headers.get("X-Wangge-Refusal")


def api_outcome(client: APIClient, path: str, data: dict[str, Any]) -> Outcome:
    multipart = any(isinstance(v, list) and v and hasattr(v[0], "read") for v in data.values())
    response = client.post(path, data, format="multipart" if multipart else "json")
    if response.status_code in (200, 201):
        return OK, None
    body = response.json()
    return response.status_code, body.get("code") if isinstance(body, dict) else None


def service_outcome(run: Callable[[], Any]) -> Outcome:
    try:
        run()
    except DomainError as error:
        return error.http_status, error.code
    return OK, None


def same(a: Outcome, b: Outcome) -> bool:
    """Same status, and the same code where both name one."""
    return a[0] == b[0] and (a[1] is None or b[1] is None or a[1] == b[1])


@pytest.mark.parametrize("action", list(workflow.ACTIONS))
def test_web_api_and_service_agree(world, action):
    spec = workflow.ACTIONS[action]
    wrong: list[str] = []
    allowed_somewhere = False
    for state in states_for(spec):
        case = world.cases[state]
        web_path = reverse("case-action", args=[case.pk, action])
        api_path = f"/api/cases/{case.pk}/{spec.api_path}/"
        for persona in PERSONAS:
            user = world.people[persona]
            web = rolled_back(web_outcome, world.web[persona], web_path, inputs(action, world)[0])
            api = rolled_back(api_outcome, world.api[persona], api_path, inputs(action, world)[1])
            service = rolled_back(service_outcome, partial(spec.run, case.pk, user, inputs(action, world)[2]))
            offered = action in workflow.available_actions(user, Case.objects.get(pk=case.pk))
            where = f"{persona} on {state}: web {web}, api {api}, service {service}, offered {offered}"
            if not same(web, api):
                wrong.append(where)
            elif web[0] == 404:
                # Out of scope: answered like a missing case; the service refuses too.
                if service[0] == OK or offered:
                    wrong.append(where)
            elif not same(web, service) or offered != (web[0] == OK):
                wrong.append(where)
            allowed_somewhere |= web[0] == OK
    assert not wrong, "\n".join(wrong)
    assert allowed_somewhere, f"nobody may {action} in any state: the matrix tests nothing"


# --- units of another district ---------------------------------------------------------


@pytest.mark.parametrize("action", [A.DISPATCH, A.REASSIGN])
def test_a_unit_of_another_district_is_refused_everywhere(world, action):
    spec = workflow.ACTIONS[action]
    case = world.cases[S.ACCEPTED if action == A.DISPATCH else S.DISPATCHED]
    far = world.far_unit
    web = rolled_back(lambda: web_outcome(world.web[CENTRE], reverse("case-action", args=[case.pk, action]),
                                          {"unit": far.pk, "reason": "x", "note": ""}))
    api = rolled_back(lambda: api_outcome(world.api[CENTRE], f"/api/cases/{case.pk}/{spec.api_path}/",
                                          {"unit": far.pk, "reason": "x"}))
    service = rolled_back(lambda: service_outcome(lambda: spec.run(
        case.pk, world.people[CENTRE], {"unit": far, "co_handlers": [], "note": "", "reason": "x"})))
    # The web form does not offer the unit (a form error); API and service refuse it by rule.
    assert web[0] == api[0] == service[0] == 400
    assert api[1] == service[1] == "invalid"
    case.refresh_from_db()
    assert case.unit_id != far.pk
    # Nor as a co-handler.
    co = rolled_back(lambda: api_outcome(world.api[CENTRE], f"/api/cases/{world.cases[S.ACCEPTED].pk}/dispatch/",
                                         {"unit": world.town.unit.pk, "co_handlers": [far.pk]}))
    assert co == (400, "invalid")


def test_the_far_unit_never_reads_the_reporters_contact(world, api_client):
    """What the refused dispatch protected: that unit's staff do not see the case at all."""
    staff = UserFactory(username="far_staff")
    RoleAssignment.objects.create(user=staff, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=world.far_unit)
    case = world.cases[S.ACCEPTED]
    assert api_client(world.people[CENTRE]).post(f"/api/cases/{case.pk}/dispatch/",
                                                 {"unit": world.far_unit.pk}, format="json").status_code == 400
    assert api_client(staff).get(f"/api/cases/{case.pk}/contact/").status_code == 404


def test_a_city_wide_unit_serves_every_district(world):
    case = world.cases[S.ACCEPTED]
    moved = services.case_dispatch(case_id=case.pk, actor=world.people[CENTRE], unit=world.city_unit)
    assert moved.unit_id == world.city_unit.pk


def test_the_service_chooses_the_default_unit_when_none_is_given(world):
    """As the API did in its view only: now the shell and tasks get the same default."""
    case = world.cases[S.ACCEPTED]
    moved = services.case_dispatch(case_id=case.pk, actor=world.people[CENTRE])
    assert moved.unit_id == world.town.unit.pk  # the category's department, in the case's district


# --- filing, by each role ------------------------------------------------------------------

# Where: the grid worker's own cell, a cell of the same community that is not theirs, a
# cell of the other community (outside the community centre's jurisdiction).
PLACES = {"own_cell": (0, 0, None), "same_community": (0, 1, None), "other_community": (0, 0, (120.32, 31.57))}
FILING = {  # persona: outcome per place, web and API and service alike
    GW: (OK, 400, 400),
    GW_OUT: (400, 400, OK),
    CENTRE: (OK, OK, 400),
    STREET: (OK, OK, OK),
    UNIT: (403, 403, 403),
    SUPERVISOR: (403, 403, 403),
    ADMIN: (OK, OK, OK),
    NOBODY: (OK, OK, OK),  # a citizen, anywhere
}


@pytest.mark.parametrize("persona", list(FILING))
def test_filing_is_one_rule_on_web_api_and_service(world, persona):
    user = world.people[persona]
    got = []
    for col, row, origin in PLACES.values():
        point = centre_of(col, row, origin=origin) if origin else centre_of(col, row)
        form = {"category": world.town.category.pk, "description": "占道", "lon": f"{point.x:.7f}",
                "lat": f"{point.y:.7f}", "coord_system": "wgs84"}
        web = rolled_back(web_outcome, world.web[persona], reverse("case-report"), form)
        api = rolled_back(api_outcome, world.api[persona], "/api/cases/", {
            "category": world.town.category.code, "description": "占道", "lon": point.x, "lat": point.y})
        service = rolled_back(service_outcome, partial(
            services.case_report, actor=user, category=world.town.category, location=point, description="占道"))
        assert web[0] == api[0] == service[0], (persona, web, api, service)
        got.append(web[0])
    assert tuple(got) == FILING[persona]


# --- the duplicate-of lookup -----------------------------------------------------------------


def test_a_duplicate_out_of_scope_answers_exactly_like_a_missing_one(world):
    theirs = services.case_report(actor=world.people[GW_OUT], category=world.town.category,
                                  location=centre_of(0, 0, origin=(120.32, 31.57)), description="别处")
    case = world.cases[S.REPORTED]
    centre = world.people[CENTRE]

    def attempts(ref_web: str, ref_api: int) -> list[Any]:
        web_client = world.web[CENTRE]
        page = rolled_back(lambda: (web_client.post(reverse("case-action", args=[case.pk, "reject"]), {
            "kind": "duplicate", "duplicate_of": ref_web, "reason": "重复"}), None))[0]
        api = rolled_back(lambda: (world.api[CENTRE].post(f"/api/cases/{case.pk}/reject/", {
            "kind": "duplicate", "duplicate_of": ref_api, "reason": "重复"}, format="json"), None))[0]
        try:
            with transaction.atomic():
                services.case_reject(case_id=case.pk, actor=centre, reason="重复", kind="duplicate",
                                     duplicate_of=ref_web)
                transaction.set_rollback(True)
            refusal: Any = None
        except DomainError as error:
            refusal = (error.http_status, error.code, error.message, error.extra)
        return [page.status_code, page.headers.get("X-Wangge-Refusal"), api.status_code, api.json(), refusal]

    out_of_scope = attempts(theirs.number, theirs.pk)
    missing = attempts("99999999999999999999", 99_999_999)
    assert out_of_scope == missing
    assert out_of_scope[0] == out_of_scope[2] == 400 and out_of_scope[3]["field"] == "duplicate_of"
    # And a case the operator sees is merged, by number on the web and by id in the API.
    mine = world.cases[SPOT]
    assert rolled_back(lambda: web_outcome(world.web[CENTRE], reverse("case-action", args=[case.pk, "reject"]), {
        "kind": "duplicate", "duplicate_of": mine.number, "reason": "重复"})) == (OK, None)
    assert rolled_back(lambda: api_outcome(world.api[CENTRE], f"/api/cases/{case.pk}/reject/", {
        "kind": "duplicate", "duplicate_of": mine.pk, "reason": "重复"})) == (OK, None)


# --- what each action needs as input ------------------------------------------------------


def spoiled(need: str, data: dict[str, Any], w: World) -> dict[str, Any]:
    """The service input with `need` missing or out of range."""
    bad: Any = {"photos": [], "days": 0, "satisfaction": 0, "unit": w.far_unit}.get(need, "")
    return {**data, need: bad}


@pytest.mark.parametrize("action", [a for a, spec in workflow.ACTIONS.items() if spec.needs])
def test_the_service_enforces_what_the_registry_says_an_action_needs(world, action):
    """The registry's `needs` are the service's own checks, from any caller (here the first
    person offered the action: the administrator, or for a part the co-handling unit)."""
    spec = workflow.ACTIONS[action]
    admin, state = next(
        (world.people[p], s) for p in (ADMIN, *PERSONAS) for s in states_for(spec)
        if action in workflow.available_actions(world.people[p], Case.objects.get(pk=world.cases[s].pk)))
    case = world.cases[state]
    assert rolled_back(service_outcome, partial(spec.run, case.pk, admin, inputs(action, world)[2])) == (OK, None)
    for need in spec.needs:
        with transaction.atomic():
            with pytest.raises(DomainError) as refused:
                spec.run(case.pk, admin, spoiled(need, inputs(action, world)[2], world))
            transaction.set_rollback(True)
        assert (refused.value.http_status, refused.value.extra.get("field")) == (400, need), need
