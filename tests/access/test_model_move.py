"""RoleAssignment moved from cases to the access app with its rows: a database at the
migrations before the move, with an assignment, a permission on the old model and an admin
log entry about it, keeps all of them after migrating forward, now access's."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from tests.migration_steps import leaf_nodes, migrate_to

OLD_HOME = ("cases", "0013_reporter_contact")


@pytest.mark.django_db(transaction=True)
def test_assignments_and_permissions_survive_the_move() -> None:
    leaves = leaf_nodes()
    # Every app at its newest migration except the two the move touches: access unapplied,
    # cases just before its state-only deletion.
    before = [node for node in leaves if node[0] not in {"access", "cases"}] + [OLD_HOME]
    try:
        old = migrate_to([*before, ("access", None)]).loader.project_state(before).apps
        with pytest.raises(LookupError):
            old.get_model("access", "RoleAssignment")
        square = MultiPolygon(Polygon(((120, 31), (120.01, 31), (120.01, 31.01), (120, 31.01), (120, 31))))
        Area = old.get_model("grids", "Area")
        city = Area.objects.create(code="320200", name="无锡市", level="city", geom=square)
        department = old.get_model("cases", "Department").objects.create(code="cg", name="城管")
        unit = old.get_model("cases", "DepartmentUnit").objects.create(
            department=department, area=city, name="市城管局")
        User = old.get_model("auth", "User")
        operator = User.objects.create(username="operator")
        officer = User.objects.create(username="officer")
        Assignment = old.get_model("cases", "RoleAssignment")
        centre = Assignment.objects.create(user=operator, role="centre_operator", area=city)
        staff = Assignment.objects.create(user=officer, role="department_staff", unit=unit)
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission = old.get_model("auth", "Permission")
        assignment_type, _ = ContentType.objects.get_or_create(app_label="cases", model="roleassignment")
        change, _ = Permission.objects.get_or_create(
            content_type=assignment_type, codename="change_roleassignment",
            defaults={"name": "Can change role assignment"})
        staffer = User.objects.create(username="staffer")
        staffer.user_permissions.add(change)
    finally:
        migrate_to(leaves)

    from django.contrib.auth.models import User as LiveUser
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    from access.models import RoleAssignment

    LiveContentType.objects.clear_cache()
    rows = {a.pk: (a.user_id, a.role, a.area_id, a.unit_id) for a in RoleAssignment.objects.all()}
    assert rows == {
        centre.pk: (operator.pk, "centre_operator", city.pk, None),
        staff.pk: (officer.pk, "department_staff", None, unit.pk),
    }
    # The same content type row, renamed: whatever pointed at it follows the model.
    assert LiveContentType.objects.get_for_model(RoleAssignment).pk == assignment_type.pk
    assert not LiveContentType.objects.filter(app_label="cases", model="roleassignment").exists()
    assert LiveUser.objects.get(username="staffer").get_all_permissions() == {"access.change_roleassignment"}
