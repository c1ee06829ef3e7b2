"""Scope groups: the django-guardian grants behind every role (DOMAIN §2, STYLE.md).

A role is an object permission on the place or unit it covers, granted to a group, and a
person holds it by being in that group:

    centre operator   grids.operate_centre  on an Area        group "scope:centre_operator:<area code>"
    supervisor        grids.supervise_area  on an Area        group "scope:supervisor:<area code>"
    department staff  cases.handle_cases    on a DepartmentUnit group "scope:department_staff:<unit id>"
    grid worker       grids.patrol_cell     on a GridCell     group "scope:grid_worker:<cell code>"

Admins manage who holds what as RoleAssignment and GridAssignment rows (one form per
person, which is how a centre thinks about it); saving or deleting one moves that person in
or out of the scope groups at once (access.receivers). An admin may also grant the same
permissions to any other group through guardian's object-permission admin (say, one
"梁溪区督查组" group with supervise_area on the district): `access.roles.roles_of`
reads the grants, whoever made them, so either way takes effect on the next request.

Groups are per scope, never per case, so the number of grants grows with places and units,
not with cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from guardian.models import GroupObjectPermission

from access.models import RoleAssignment
from audit import services as audit
from audit.models import AuditEntry
from grids.models import GridAssignment

SCOPE_PREFIX = "scope:"
GRID_WORKER = "grid_worker"


@dataclass(frozen=True)
class ScopeKind:
    role: str
    app_label: str
    codename: str
    model_name: str


# Models by their labels: a department unit is the organisation's, which lives in cases, and
# this app grants on it without importing cases (access/models.py says why).
SCOPE_KINDS: dict[str, ScopeKind] = {
    RoleAssignment.Role.CENTRE_OPERATOR: ScopeKind(RoleAssignment.Role.CENTRE_OPERATOR, "grids", "operate_centre", "area"),
    RoleAssignment.Role.SUPERVISOR: ScopeKind(RoleAssignment.Role.SUPERVISOR, "grids", "supervise_area", "area"),
    RoleAssignment.Role.DEPARTMENT_STAFF: ScopeKind(
        RoleAssignment.Role.DEPARTMENT_STAFF, "cases", "handle_cases", "departmentunit"
    ),
    GRID_WORKER: ScopeKind(GRID_WORKER, "grids", "patrol_cell", "gridcell"),
}


def scope_group_name(role: str, obj: models.Model) -> str:
    """Readable in the admin's group list: codes for places, the id for a unit (units have
    no code of their own)."""
    key = getattr(obj, "code", None) or f"unit-{obj.pk}"
    return f"{SCOPE_PREFIX}{role}:{key}"


def _wanted_scopes(user_ids: Iterable[int] | None) -> set[tuple[int, str, str, int]]:
    """(user id, role, group name, object id) for every assignment of these users (all if None)."""
    roles = RoleAssignment.objects.select_related("area", "unit")
    cells = GridAssignment.objects.select_related("cell").only("worker_id", "cell__code")
    if user_ids is not None:
        ids = list(user_ids)
        roles = roles.filter(user_id__in=ids)
        cells = cells.filter(worker_id__in=ids)
    wanted: set[tuple[int, str, str, int]] = set()
    for assignment in roles:
        obj = assignment.unit if assignment.role == RoleAssignment.Role.DEPARTMENT_STAFF else assignment.area
        if obj is not None:
            wanted.add((assignment.user_id, assignment.role, scope_group_name(assignment.role, obj), obj.pk))
    for grid in cells:
        wanted.add((grid.worker_id, GRID_WORKER, scope_group_name(GRID_WORKER, grid.cell), grid.cell_id))
    return wanted


def _permissions() -> dict[str, tuple[Permission, ContentType]]:
    found: dict[str, tuple[Permission, ContentType]] = {}
    for role, kind in SCOPE_KINDS.items():
        content_type = ContentType.objects.get_by_natural_key(kind.app_label, kind.model_name)
        perm = Permission.objects.get(content_type=content_type, codename=kind.codename)
        found[role] = (perm, content_type)
    return found


def _ensure_groups(scopes: set[tuple[str, str, int]]) -> dict[str, Group]:
    """The groups for (role, group name, object id), created with their grant if missing,
    and re-granted if the object they name was replaced (a place re-imported under a new
    id keeps its code, so its group name, but not its row)."""
    names = {name for _role, name, _pk in scopes}
    groups = {g.name: g for g in Group.objects.filter(name__in=names)}
    Group.objects.bulk_create([Group(name=n) for n in names - groups.keys()], ignore_conflicts=True)
    groups = {g.name: g for g in Group.objects.filter(name__in=names)}
    perms = _permissions()
    want = {name: (perms[role], pk) for role, name, pk in scopes}
    have = list(
        GroupObjectPermission.objects.filter(group__in=groups.values()).values_list(
            "pk", "group__name", "permission_id", "object_pk"
        )
    )
    # A scope group grants one permission on one object; anything else on it is stale.
    stale = [pk for pk, name, perm_id, obj in have if (perm_id, obj) != (want[name][0][0].pk, str(want[name][1]))]
    present = {name for _pk, name, perm_id, obj in have if (perm_id, obj) == (want[name][0][0].pk, str(want[name][1]))}
    GroupObjectPermission.objects.filter(pk__in=stale).delete()
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(group=groups[name], permission=perm, content_type=content_type, object_pk=str(pk))
            for name, ((perm, content_type), pk) in want.items()
            if name not in present
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return groups


@transaction.atomic
def sync_user_scopes(user_id: int) -> None:
    """Puts one person in exactly the scope groups their assignments give them. Locks the
    user row so two admins saving assignments for the same person serialise."""
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return  # deleted with their assignments (CASCADE): nothing left to sync
    wanted = _wanted_scopes([user_id])
    groups = _ensure_groups({(role, name, pk) for _uid, role, name, pk in wanted})
    held = set(user.groups.filter(name__startswith=SCOPE_PREFIX).values_list("name", flat=True))
    want_names = {name for _uid, _role, name, _pk in wanted}
    # One add and one remove call, so the audit trail sees each change as one m2m event.
    if to_add := want_names - held:
        user.groups.add(*(groups[n] for n in sorted(to_add)))
    if to_remove := held - want_names:
        user.groups.remove(*Group.objects.filter(name__in=to_remove))


@transaction.atomic
def rebuild_scope_groups() -> dict[str, int]:
    """Rebuilds every scope group, grant and membership from the assignment tables, for
    bulk loads (the demo city, an import of staff lists) whose bulk inserts fire no
    signals. Groups an admin made by hand are left alone; scope groups nobody needs any
    more are deleted with their grants. Safe to run any number of times."""
    wanted = _wanted_scopes(None)
    groups = _ensure_groups({(role, name, pk) for _uid, role, name, pk in wanted})
    through = get_user_model().groups.through
    scope_group_ids = Group.objects.filter(name__startswith=SCOPE_PREFIX).values("pk")
    held = set(through.objects.filter(group_id__in=scope_group_ids).values_list("user_id", "group_id"))
    want = {(uid, groups[name].pk) for uid, _role, name, _pk in wanted}
    for user_id, group_id in held - want:
        through.objects.filter(user_id=user_id, group_id=group_id).delete()
    through.objects.bulk_create(
        [through(user_id=uid, group_id=gid) for uid, gid in sorted(want - held)], batch_size=2000,
        ignore_conflicts=True,
    )
    unused = Group.objects.filter(name__startswith=SCOPE_PREFIX).exclude(name__in=groups.keys())
    GroupObjectPermission.objects.filter(group__in=unused).delete()
    removed, _ = unused.delete()
    counts = {"groups": len(groups), "memberships": len(want), "added": len(want - held),
              "removed": len(held - want), "groups_deleted": removed}
    # Bulk inserts fire no m2m signals, so the trail gets one entry for the whole pass.
    if counts["added"] or counts["removed"] or counts["groups_deleted"]:
        audit.record(AuditEntry.Kind.ROLE_CHANGE, detail={"scope_groups_rebuilt": counts})
    return counts
