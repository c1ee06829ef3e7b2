"""Each kind of audit entry, written by the real thing that causes it: the login view, the
logout, the password change page, the admin, role and permission changes."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm, remove_perm

from access.models import RoleAssignment
from audit.models import AuditEntry
from audit.services import Target, record
from cases.models import Department
from grids.models import GridAssignment
from tests.audit.conftest import PASSWORD, entries
from tests.factories import UserFactory

Kind = AuditEntry.Kind


@pytest.fixture
def person(db):
    return UserFactory(username="zhang_san")


@pytest.fixture
def admin_client(db, verify_otp) -> Client:
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    return verify_otp(client, admin)  # administrators pass their second factor


def assignment_changes() -> list[AuditEntry]:
    """Role changes made to assignment rows; each also moves the person's scope-group
    membership (access.scopes), which the trail records as a group change of its own."""
    return [e for e in entries(Kind.ROLE_CHANGE) if "assignment" in e.detail]


def test_sign_in_through_the_login_view_is_recorded_with_actor_and_ip(client, person):
    response = client.post(reverse("login"), {"username": "zhang_san", "password": PASSWORD})
    assert response.status_code == 302
    [entry] = entries(Kind.LOGIN)
    assert (entry.actor_id, entry.actor_username, entry.ip_address) == (person.pk, "zhang_san", "127.0.0.1")


def test_failed_sign_in_records_the_name_tried_and_never_the_password(client, person):
    client.post(reverse("login"), {"username": "zhang_san", "password": "wrong-Secret-42"})
    client.post(reverse("login"), {"username": "nobody_here", "password": "wrong-Secret-42"})
    known, unknown = entries(Kind.LOGIN_FAILED)
    assert known.actor_id is None
    assert (known.target_type, known.target_id, known.target_repr) == ("auth.user", str(person.pk), "zhang_san")
    assert known.detail == {"username": "zhang_san"}
    assert (unknown.target_id, unknown.target_repr) == ("", "nobody_here")
    assert not entries(Kind.LOGIN)
    stored = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert "wrong-Secret-42" not in stored and "pbkdf2" not in stored


def test_failed_api_token_request_is_a_failed_sign_in(client, person):
    response = client.post("/api/auth/token/", {"username": "zhang_san", "password": "nope"})
    assert response.status_code == 400
    assert [e.target_repr for e in entries(Kind.LOGIN_FAILED)] == ["zhang_san"]


def test_logout_is_recorded(client, person):
    client.force_login(person)  # force_login sends user_logged_in too
    client.post(reverse("logout"))
    [entry] = entries(Kind.LOGOUT)
    assert entry.actor_username == "zhang_san"
    assert entry.ip_address == "127.0.0.1"


def test_password_change_page_records_a_change_without_the_hash(client, person):
    client.force_login(person)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Xq7-grid-Wuxi-2026", "new_password2": "Xq7-grid-Wuxi-2026",
    })
    assert response.status_code == 302
    [entry] = entries(Kind.PASSWORD_CHANGE)
    assert (entry.actor_id, entry.target_id) == (person.pk, str(person.pk))
    assert entry.detail == {"usable": True}
    person.refresh_from_db()
    assert person.password.split("$")[-1] not in json.dumps(entry.detail)


def test_rehash_on_sign_in_is_not_a_password_change(client, person, settings):
    """Django upgrades an old hash on sign-in (same password): the stored hash changes, but
    nobody changed the password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the production hasher
    weak = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000)
    type(person).objects.filter(pk=person.pk).update(password=weak)
    assert client.post(reverse("login"), {"username": "zhang_san", "password": PASSWORD}).status_code == 302
    person.refresh_from_db()
    assert person.password != weak
    assert not entries(Kind.PASSWORD_CHANGE)
    assert len(entries(Kind.LOGIN)) == 1


def test_password_set_in_code_is_a_change(person):
    person.set_password("Another-pass-77")
    person.save()
    person.password = make_password("and-a-third-88")  # a hash written directly, full save
    person.save()
    assert [e.detail for e in entries(Kind.PASSWORD_CHANGE)] == [{"usable": True}, {"usable": True}]


def test_admin_edit_through_the_change_view_is_recorded(admin_client, town):
    url = reverse("admin:cases_department_change", args=[town.department.pk])
    response = admin_client.post(url, {"code": "cg", "name": "城市管理局"})
    assert response.status_code == 302
    assert Department.objects.get(pk=town.department.pk).name == "城市管理局"
    [entry] = entries(Kind.ADMIN_CHANGE)
    assert entry.actor_username == "root_admin"
    assert (entry.target_type, entry.target_id, entry.target_repr) == (
        "cases.department", str(town.department.pk), "城市管理局",
    )
    assert entry.detail == {"action": "change", "change_message": [{"changed": {"fields": ["Name"]}}]}
    assert entry.ip_address == "127.0.0.1"


def test_admin_addition_and_deletion_are_recorded(admin_client, db):
    admin_client.post(reverse("admin:cases_department_add"), {"code": "ga", "name": "公安"})
    department = Department.objects.get(code="ga")
    admin_client.post(reverse("admin:cases_department_delete", args=[department.pk]), {"post": "yes"})
    assert not Department.objects.filter(code="ga").exists()
    assert [(e.detail["action"], e.target_repr) for e in entries(Kind.ADMIN_CHANGE)] == [
        ("addition", "公安"), ("deletion", "公安"),
    ]


def test_role_assignment_created_changed_and_deleted(town, person):
    role = RoleAssignment.objects.create(user=person, role=RoleAssignment.Role.CENTRE_OPERATOR, area=town.community)
    role.area = town.street
    role.save()
    pk = role.pk
    role.delete()
    added, changed, removed = assignment_changes()
    groups = [e.detail for e in entries(Kind.ROLE_CHANGE) if "assignment" not in e.detail]
    assert len(groups) == 4  # in the community's scope group, then out of it and into the street's, then out
    assert (added.target_type, added.target_id, added.target_repr) == ("auth.user", str(person.pk), "zhang_san")
    assert added.detail == {
        "change": "added", "assignment": f"access.roleassignment:{pk}", "user": "zhang_san",
        "role": "centre_operator", "area": "320213001001", "unit": None,
    }
    assert changed.detail["change"] == "changed"
    assert (changed.detail["before"]["area"], changed.detail["area"]) == ("320213001001", "320213001")
    assert removed.detail["change"] == "removed" and removed.detail["area"] == "320213001"


def test_saving_an_unchanged_role_assignment_writes_nothing(town, person):
    role = RoleAssignment.objects.create(user=person, role=RoleAssignment.Role.SUPERVISOR, area=town.district)
    role.save()
    assert len(assignment_changes()) == 1
    assert len(entries(Kind.ROLE_CHANGE)) == 2  # and one scope-group membership


def test_grid_worker_cell_assigned_and_removed(town, person):
    assignment = GridAssignment.objects.create(worker=person, cell=town.cells[0])
    pk = assignment.pk
    assignment.delete()
    added, removed = assignment_changes()
    assert added.detail == {
        "change": "added", "assignment": f"grids.gridassignment:{pk}", "user": "zhang_san",
        "role": "grid_worker", "cell": town.cells[0].code,
    }
    assert removed.detail["change"] == "removed" and removed.target_id == str(person.pk)


def test_group_membership_from_either_side_and_cleared(person):
    centre = Group.objects.create(name="综治中心")
    other = UserFactory(username="li_si")
    person.groups.add(centre)
    centre.user_set.add(other)
    person.groups.clear()
    added, added_reverse, cleared = entries(Kind.ROLE_CHANGE)
    assert (added.target_repr, added.detail) == ("zhang_san", {
        "field": "user.groups", "change": "added", "ids": [centre.pk], "names": ["综治中心"],
    })
    assert (added_reverse.target_type, added_reverse.target_repr) == ("auth.group", "综治中心")
    assert added_reverse.detail["names"] == ["li_si"]
    assert (cleared.target_repr, cleared.detail["change"], cleared.detail["ids"]) == ("zhang_san", "cleared", [centre.pk])


def test_user_and_group_permissions(person):
    perm = Permission.objects.get(codename="change_case", content_type__app_label="cases")
    group = Group.objects.create(name="督查")
    person.user_permissions.add(perm)
    group.permissions.add(perm)
    group.permissions.remove(perm)
    user_added, group_added, group_removed = entries(Kind.PERMISSION_CHANGE)
    assert user_added.detail == {
        "field": "user.user_permissions", "change": "added", "ids": [perm.pk], "names": ["cases.change_case"],
    }
    assert (group_added.target_repr, group_added.detail["field"]) == ("督查", "group.permissions")
    assert group_removed.detail["change"] == "removed"


def test_object_permission_granted_and_revoked_through_guardian(town, person):
    group = Group.objects.create(name="县前社区网格员")
    assign_perm("grids.view_gridcell", person, town.cells[0])
    assign_perm("grids.view_gridcell", group, town.cells[1])
    remove_perm("grids.view_gridcell", person, town.cells[0])
    granted, group_granted, revoked = entries(Kind.PERMISSION_CHANGE)
    assert (granted.target_type, granted.target_id) == ("auth.user", str(person.pk))
    assert granted.detail == {
        "change": "granted", "permission": "grids.view_gridcell", "object_type": "grids.gridcell",
        "object_id": str(town.cells[0].pk), "object": str(town.cells[0]),
    }
    assert (group_granted.target_type, group_granted.target_repr) == ("auth.group", "县前社区网格员")
    assert revoked.detail["change"] == "revoked"


def test_staff_and_superuser_flags_compared_with_the_stored_row(person):
    person.is_staff = True
    person.save()
    person.save()  # nothing changed: nothing recorded
    person.is_superuser = True
    person.is_staff = False
    person.save(update_fields=["is_superuser", "is_staff"])
    staff, superuser = entries(Kind.PERMISSION_CHANGE)
    assert staff.detail == {"change": "flags", "fields": {"is_staff": {"from": False, "to": True}}}
    assert superuser.detail["fields"] == {
        "is_superuser": {"from": False, "to": True}, "is_staff": {"from": True, "to": False},
    }


def test_account_created_deactivated_and_deleted(db):
    user = UserFactory(username="wang_wu")
    user.is_active = False
    user.save()
    pk = user.pk
    user.delete()
    # (guardian's AnonymousUser, created when the test database was migrated, comes first)
    created, deactivated, deleted = [e for e in entries(Kind.ACCOUNT_CHANGE) if e.target_repr == "wang_wu"]
    assert created.detail == {"change": "created", "is_superuser": False, "is_staff": False, "is_active": True}
    assert deactivated.detail["fields"] == {"is_active": {"from": True, "to": False}}
    assert (deleted.target_id, deleted.target_repr, deleted.detail) == (str(pk), "wang_wu", {"change": "deleted"})


def test_sign_in_saves_no_account_or_permission_entries(client, person):
    """A sign-in saves last_login: the flags' receiver reads nothing and records nothing."""
    before = AuditEntry.objects.count()
    client.post(reverse("login"), {"username": "zhang_san", "password": PASSWORD})
    assert list(AuditEntry.objects.filter(id__gt=before).values_list("kind", flat=True)) == [Kind.LOGIN]


def test_change_made_by_a_signed_in_user_names_them_as_actor(admin_client, town, person):
    """Model signals carry no request: the audit middleware supplies who and from where."""
    url = reverse("admin:access_roleassignment_add")
    response = admin_client.post(
        url, {"user": person.pk, "role": "supervisor", "area": town.district.pk, "unit": ""},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    [role] = assignment_changes()
    assert (role.actor_username, role.ip_address, role.target_repr) == ("root_admin", "10.1.2.3", "zhang_san")


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(client, person, settings):
    client.post(reverse("login"), {"username": "zhang_san", "password": "x"}, HTTP_X_FORWARDED_FOR="6.6.6.6")
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    client.post(
        reverse("login"), {"username": "zhang_san", "password": "x"},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1",
    )
    assert [e.ip_address for e in entries(Kind.LOGIN_FAILED)] == ["127.0.0.1", "203.0.113.9"]


def test_record_refuses_passwords_in_detail_and_unknown_kinds(db):
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError, match="password"):
        record(Kind.EXPORT, detail={"filters": {"new_password": "x"}})
    with pytest.raises(ValueError):
        record("deleted_everything")
    assert AuditEntry.objects.count() == before


def test_record_for_an_export_by_another_app(town, person, rf):
    """The call other apps make: a target model (or none), filters in detail, the request."""
    request = rf.get("/api/cases/export.csv", REMOTE_ADDR="192.0.2.7")
    request.user = person
    entry = record(Kind.EXPORT, target=town.community, detail={"format": "csv", "rows": 120}, request=request)
    assert (entry.actor_username, entry.ip_address, entry.target_type) == ("zhang_san", "192.0.2.7", "grids.area")
    entry = record(Kind.UNMASKED_VIEW, target=Target("cases.case", "42", "WX-2026-000042"), detail={"field": "phone"})
    assert (entry.actor_id, entry.ip_address, entry.target_id) == (None, "", "42")


def test_wrong_basic_auth_password_on_the_api_is_a_failed_sign_in(client, person):
    """DRF authenticates inside `request.user`: recording the failure must not ask for it again."""
    import base64

    token = base64.b64encode(b"zhang_san:wrong").decode()
    response = client.get("/api/cases/", HTTP_AUTHORIZATION=f"Basic {token}", REMOTE_ADDR="198.51.100.4")
    assert response.status_code in (401, 403)
    [entry] = entries(Kind.LOGIN_FAILED)
    assert (entry.target_repr, entry.ip_address, entry.actor_id) == ("zhang_san", "198.51.100.4", None)
