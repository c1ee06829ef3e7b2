"""The reads every report makes, rewritten as plain statements for speed (bench/intake.py):
each still answers as the queryset it replaced did, in one statement."""

from __future__ import annotations

from cases.models import RoleAssignment
from cases.permissions import Roles, roles_of
from tests.factories import UserFactory


def fresh(user):
    """The same person as a new request sees them: no roles cached on the object."""
    return type(user).objects.get(pk=user.pk)


def test_roles_of_each_persona_in_one_statement(town, grid_worker, centre_operator, street_operator, dept_officer,
                                                supervisor, django_assert_num_queries):
    RoleAssignment.objects.create(user=grid_worker, role=RoleAssignment.Role.SUPERVISOR, area=town.city)
    expected = {
        grid_worker: Roles(cell_ids=frozenset({town.cells[0].pk, town.cells[1].pk}), supervisor_prefixes=("3202",),
                           names=("grid_worker", "supervisor")),
        centre_operator: Roles(centre_prefixes=(town.community.code,), names=("centre_operator",)),
        street_operator: Roles(centre_prefixes=(town.street.code,), names=("centre_operator",)),
        dept_officer: Roles(unit_ids=frozenset({town.unit.pk}), names=("department_staff",)),
        supervisor: Roles(supervisor_prefixes=(town.district.code,), names=("supervisor",)),
        UserFactory(username="citizen"): Roles(),
    }
    for user, roles in expected.items():
        user = fresh(user)
        with django_assert_num_queries(1):
            assert roles_of(user) == roles
        with django_assert_num_queries(0):
            roles_of(user)  # cached for the rest of the request


def test_roles_of_several_assignments_sorted(town, dept_officer):
    RoleAssignment.objects.create(user=dept_officer, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    RoleAssignment.objects.create(user=dept_officer, role=RoleAssignment.Role.CENTRE_OPERATOR, area=town.street)
    RoleAssignment.objects.create(user=dept_officer, role=RoleAssignment.Role.CENTRE_OPERATOR, area=town.community)
    roles = roles_of(fresh(dept_officer))
    assert roles.unit_ids == {town.unit.pk, town.other_unit.pk}
    assert roles.centre_prefixes == (town.street.code, town.community.code)
    assert roles.names == ("centre_operator", "department_staff")
