"""The reads every report makes, rewritten as plain statements for speed (bench/intake.py):
each still answers as the queryset it replaced did, in one statement."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from access.models import RoleAssignment
from access.roles import Roles, roles_of
from cases.api.serializers import CaseReportInputSerializer
from cases.models import Category
from cases.selectors import active_leaf_category
from geo.selectors import ancestor_at_level, grid_cell_for_point
from grids.models import Area
from tests.factories import CategoryFactory, UserFactory, centre_of


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


def test_grid_cell_for_point_brings_its_community_without_polygons(town, django_assert_num_queries):
    with django_assert_num_queries(1):
        cell = grid_cell_for_point(centre_of(1, 1))
        assert cell is not None
        assert (cell.pk, cell.code, cell.community.pk, cell.community.level) == (
            town.cells[3].pk, town.cells[3].code, town.community.pk, town.community.level)
    assert cell.get_deferred_fields() == {"geom"} and cell.community.get_deferred_fields() == {"geom"}
    assert cell.geom == town.cells[3].geom  # still there when asked for


def test_grid_cell_for_point_in_another_srid(town):
    web_mercator = centre_of(1, 0).transform(3857, clone=True)
    cell = grid_cell_for_point(web_mercator)
    assert cell is not None and cell.code == town.cells[1].code
    assert grid_cell_for_point(Point(121.6, 31.2, srid=4326)) is None


def test_active_leaf_category_is_what_leaf_categories_offers(town, django_assert_num_queries):
    CategoryFactory(code="0303", name="停用", parent=town.category.parent, active=False)
    with django_assert_num_queries(1):
        found = active_leaf_category(code="0301")
    assert found == town.category
    assert {f.attname: getattr(found, f.attname) for f in Category._meta.concrete_fields} == {
        f.attname: getattr(town.category, f.attname) for f in Category._meta.concrete_fields}
    assert active_leaf_category(code="03") is None  # a parent
    assert active_leaf_category(code="0303") is None  # inactive
    assert active_leaf_category(code="nope") is None


def test_ancestor_at_level_climbs_in_one_statement(town, django_assert_num_queries):
    community = Area.objects.get(pk=town.community.pk)
    with django_assert_num_queries(0):
        assert ancestor_at_level(community, Area.Level.COMMUNITY) == community
    for level, expected in ((Area.Level.STREET, town.street), (Area.Level.DISTRICT, town.district),
                            (Area.Level.CITY, town.city), ("galaxy", town.city)):  # no such level: the root
        with django_assert_num_queries(1):
            found = ancestor_at_level(community, level)
        assert (found.pk, found.code, found.level, found.parent_id) == (
            expected.pk, expected.code, expected.level, expected.parent_id)
        assert "geom" in found.get_deferred_fields()  # boundaries stay in the database


def test_the_report_input_fields_are_built_once_and_keep_no_request(town):
    """SharedFieldsSerializer: one bound copy of the fields for every instance, errors per instance."""
    good = {"category": town.category.code, "description": "x", "lon": 120.3, "lat": 31.5}
    first, second = CaseReportInputSerializer(data=good), CaseReportInputSerializer(data={"lon": "west"})
    assert first.fields is second.fields
    assert first.is_valid() and not second.is_valid()
    assert first.errors == {} and set(second.errors) == {"category", "description", "lon", "lat"}
    assert first.validated_data["location"].coords == (120.3, 31.5)
    root = first.fields["lon"].root
    assert root is not first and root is not second and root.context == {} and not root.partial


@pytest.mark.django_db(transaction=True)  # each thread reads the category on its own connection
def test_shared_report_fields_validate_correctly_from_many_threads(town):
    category = town.category
    serializers = [CaseReportInputSerializer(data={"category": category.code, "description": f"d{i}",
                                                   "lon": 120 + i / 1000, "lat": 31.5}) for i in range(64)]

    def check(serializer: CaseReportInputSerializer) -> tuple[str, float]:
        try:
            assert serializer.is_valid(), serializer.errors
            return serializer.validated_data["description"], serializer.validated_data["lon"]
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(check, serializers))
    assert results == [(f"d{i}", 120 + i / 1000) for i in range(64)]
