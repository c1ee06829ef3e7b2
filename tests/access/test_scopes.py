"""Roles are django-guardian object permissions granted through scope groups (access.scopes):
assignments move people in and out at once, hand-made grants count the same, and a bulk
rebuild is idempotent."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from access.models import RoleAssignment
from access.roles import roles_of
from access.scopes import rebuild_scope_groups, scope_group_name
from cases import services
from cases.models import Case
from grids.models import GridAssignment
from tests.builders import advance
from tests.factories import UserFactory


def _fresh(user):
    """The same person as a new request sees them (roles are cached per user object)."""
    return type(user).objects.get(pk=user.pk)


def _api(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def case(case_at):
    return case_at(Case.Status.REPORTED)


def test_role_assignment_puts_the_person_in_the_scope_group_with_the_grant(town, centre_operator):
    group = Group.objects.get(name=scope_group_name("centre_operator", town.community))
    assert centre_operator.groups.filter(pk=group.pk).exists()
    grant = GroupObjectPermission.objects.get(group=group)
    assert (grant.permission.codename, grant.object_pk) == ("operate_centre", str(town.community.pk))
    assert roles_of(_fresh(centre_operator)).centre_prefixes == (town.community.code,)


def test_grid_assignment_grants_patrol_on_the_cell(town, grid_worker):
    assert grid_worker.has_perm("grids.patrol_cell", town.cells[0])
    assert not grid_worker.has_perm("grids.patrol_cell", town.cells[2])
    assert roles_of(_fresh(grid_worker)).cell_ids == {town.cells[0].pk, town.cells[1].pk}


def test_removing_an_assignment_takes_effect_on_the_next_request(town, centre_operator, case):
    client = _api(centre_operator)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 200
    RoleAssignment.objects.filter(user=centre_operator).delete()
    assert client.get(f"/api/cases/{case.pk}/").status_code == 404
    assert not centre_operator.groups.exists()


def test_moving_an_assignment_to_another_area_moves_the_grant(town, centre_operator, case):
    assignment = RoleAssignment.objects.get(user=centre_operator)
    assignment.area = town.other_community
    assignment.save()
    assert roles_of(_fresh(centre_operator)).centre_prefixes == (town.other_community.code,)
    assert _api(centre_operator).get(f"/api/cases/{case.pk}/").status_code == 404


def test_a_hand_made_group_grant_gives_the_role(town, case, verify_otp):
    """An admin grants supervise_area on the district to a group of their own making."""
    inspectors = Group.objects.create(name="梁溪区督查组")
    assign_perm("grids.supervise_area", inspectors, town.district)
    person = UserFactory()
    person.groups.add(inspectors)
    assert roles_of(_fresh(person)).supervisor_prefixes == (town.district.code,)
    client = verify_otp(_api(person), person)  # a supervisor now: second factor required
    assert client.get(f"/api/cases/{case.pk}/").status_code == 200
    remove_perm("grids.supervise_area", inspectors, town.district)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 404


def test_a_direct_user_grant_gives_the_role(town, case):
    person = UserFactory()
    assign_perm("cases.handle_cases", person, town.unit)
    assign_perm("grids.operate_centre", person, town.city)
    roles = roles_of(_fresh(person))
    assert roles.unit_ids == {town.unit.pk}
    # A city's jurisdiction is its four-digit prefix (320200 owns 3202…).
    assert roles.centre_prefixes == ("3202",)


def test_a_grant_on_another_model_or_permission_gives_nothing(town):
    person = UserFactory()
    assign_perm("grids.change_area", person, town.community)
    assign_perm("grids.view_gridcell", person, town.cells[0])
    assert roles_of(_fresh(person)).names == ()


def test_roles_are_read_in_one_statement(town, grid_worker, dept_officer):
    person = _fresh(dept_officer)
    RoleAssignment.objects.create(user=person, role=RoleAssignment.Role.SUPERVISOR, area=town.street)
    GridAssignment.objects.create(worker=person, cell=town.cells[5])
    person = _fresh(person)
    with CaptureQueriesContext(connection) as queries:
        roles = roles_of(person)
        roles_of(person)  # cached on the user object
    assert len(queries) == 1
    assert roles.names == ("grid_worker", "department_staff", "supervisor")


def test_rebuild_is_idempotent_and_leaves_hand_made_groups_alone(town, grid_worker, centre_operator, dept_officer):
    hand_made = Group.objects.create(name="梁溪区督查组")
    assign_perm("grids.supervise_area", hand_made, town.district)
    before = {
        u.username: set(u.groups.values_list("name", flat=True)) for u in (grid_worker, centre_operator, dept_officer)
    }
    # Bulk loads bypass signals: memberships missing, a stale scope group nobody holds.
    grid_worker.groups.clear()
    Group.objects.create(name="scope:centre_operator:999999")
    first = rebuild_scope_groups()
    assert first["added"] == 2 and first["groups_deleted"] >= 1
    after = {
        u.username: set(u.groups.values_list("name", flat=True)) for u in (grid_worker, centre_operator, dept_officer)
    }
    assert after == before
    from audit.models import AuditEntry

    assert AuditEntry.objects.filter(kind="role_change", detail__scope_groups_rebuilt__added=2).exists()
    second = rebuild_scope_groups()
    assert second["added"] == second["removed"] == second["groups_deleted"] == 0
    assert GroupObjectPermission.objects.filter(group=hand_made).count() == 1
    assert not Group.objects.filter(name="scope:centre_operator:999999").exists()


def test_rebuild_regrants_a_scope_whose_place_was_replaced(town, centre_operator):
    """A re-imported community keeps its code (so its group name) but gets a new row."""
    group = Group.objects.get(name=scope_group_name("centre_operator", town.community))
    GroupObjectPermission.objects.filter(group=group).update(object_pk="987654321")
    assert roles_of(_fresh(centre_operator)).centre_prefixes == ()
    rebuild_scope_groups()
    assert roles_of(_fresh(centre_operator)).centre_prefixes == (town.community.code,)


def test_unit_staff_keep_seeing_a_case_their_unit_held_but_cannot_act_on_it(town, case, centre_operator, dept_officer):
    advance(case, Case.Status.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=None)
    services.case_reassign(case_id=case.pk, actor=centre_operator, unit=town.other_unit, reason="not ours")
    client = _api(dept_officer)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 200
    assert case.pk in [c["id"] for c in client.get("/api/cases/").json()["results"]]
    assert client.post(f"/api/cases/{case.pk}/sign-for/").status_code == 403


def test_staff_of_a_unit_that_never_held_the_case_get_404(town, case, centre_operator):
    advance(case, Case.Status.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=None)
    other = UserFactory()
    RoleAssignment.objects.create(user=other, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    client = _api(other)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 404
    assert client.post(f"/api/cases/{case.pk}/sign-for/").status_code == 404


def test_photos_are_only_reachable_through_the_case_access_check(town, grid_worker, outsider, case_at):
    from tests.cases.photos import jpeg

    case = case_at(Case.Status.REPORTED, photos=[jpeg()])
    attachment = case.attachments.get()
    url = _api(grid_worker).get(f"/api/cases/{case.pk}/").json()["attachments"][0]["url"]
    assert url == f"/cases/{case.pk}/photos/{attachment.pk}/"
    assert _api(grid_worker).get(url).status_code == 200
    assert _api(outsider).get(url).status_code == 404
    # The storage path itself is not served, whoever asks.
    assert _api(grid_worker).get(f"/media/{attachment.file.name}").status_code == 404


def test_whoever_holds_the_grant_is_told_including_hand_made_groups(town, case, centre_operator):
    from cases.models import Notification

    night_shift = Group.objects.create(name="城管夜班")
    assign_perm("cases.handle_cases", night_shift, town.unit)
    clerk = UserFactory()
    clerk.groups.add(night_shift)
    dispatched = advance(case, Case.Status.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=None)
    event = dispatched.events.latest("id")
    services.notify_next_actors(event_id=event.pk)
    assert Notification.objects.filter(recipient=clerk, case=case).exists()
