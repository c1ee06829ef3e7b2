"""Who may act on a case, by role and jurisdiction (DOMAIN §2).

Jurisdiction is a code prefix: a centre operator or supervisor of area X covers every cell
whose code starts with X's prefix. The workflow issue only needs these answers; the
permissions issue moves them onto django-guardian grants without changing the callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection

from cases.models import Case, CaseEvent, RoleAssignment
from grids.models import Area, GridAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class Roles:
    """What one user holds, read once per request."""

    is_admin: bool = False
    cell_ids: frozenset[int] = frozenset()
    centre_prefixes: tuple[str, ...] = ()
    unit_ids: frozenset[int] = frozenset()
    supervisor_prefixes: tuple[str, ...] = ()
    names: tuple[str, ...] = field(default=())

    @property
    def is_grid_worker(self) -> bool:
        return bool(self.cell_ids)

    @property
    def is_centre_operator(self) -> bool:
        return bool(self.centre_prefixes)

    @property
    def is_department_staff(self) -> bool:
        return bool(self.unit_ids)

    @property
    def is_supervisor(self) -> bool:
        return bool(self.supervisor_prefixes)


def person(user: AnyUser) -> User:
    """The signed-in user as an actor for the services (views pass request.user)."""
    from django.contrib.auth.models import User as UserModel

    if not isinstance(user, UserModel):
        raise PermissionError("an anonymous user cannot act on cases")
    return user


# Both role tables in one statement: (0, cell id) for each of a grid worker's cells, and
# (1, unit id, role, area code, area level) for each role assignment.
_ROLES_SQL = f"""
    SELECT 0, cell_id, NULL, NULL, NULL FROM {GridAssignment._meta.db_table} WHERE worker_id = %s
    UNION ALL
    SELECT 1, r.unit_id, r.role, a.code, a.level
    FROM {RoleAssignment._meta.db_table} r LEFT JOIN {Area._meta.db_table} a ON a.id = r.area_id
    WHERE r.user_id = %s
"""  # noqa: S608 - table names from the models, values as parameters


def roles_of(user: AnyUser | None) -> Roles:
    if user is None or not user.is_authenticated:
        return Roles()
    cached: Roles | None = getattr(user, "_wangge_roles", None)
    if cached is not None:
        return cached
    assert user.pk is not None
    cells: set[int] = set()
    centre: list[str] = []
    units: set[int] = set()
    supervised: list[str] = []
    # One statement for both tables: every request that acts or lists reads the roles.
    with connection.cursor() as cursor:
        cursor.execute(_ROLES_SQL, [user.pk, user.pk])
        rows = cursor.fetchall()
    for is_role, target_id, role, area_code, area_level in rows:
        if not is_role:
            cells.add(target_id)
        elif role == RoleAssignment.Role.DEPARTMENT_STAFF and target_id:
            units.add(target_id)
        elif area_code is not None:
            prefix = Area(code=area_code, level=area_level).code_prefix
            (centre if role == RoleAssignment.Role.CENTRE_OPERATOR else supervised).append(prefix)
    names = tuple(
        name
        for name, held in (
            ("grid_worker", cells),
            ("centre_operator", centre),
            ("department_staff", units),
            ("supervisor", supervised),
        )
        if held
    )
    roles = Roles(
        is_admin=bool(getattr(user, "is_superuser", False)),
        cell_ids=frozenset(cells),
        centre_prefixes=tuple(sorted(centre)),
        unit_ids=frozenset(units),
        supervisor_prefixes=tuple(sorted(supervised)),
        names=names,
    )
    # Cached on the user object: one request, one read of the role tables.
    user._wangge_roles = roles  # type: ignore[attr-defined]
    return roles


def _covers(prefixes: tuple[str, ...], code: str) -> bool:
    return any(code.startswith(p) for p in prefixes)


# Which role performs each action; the services check it, the UI reads it to show buttons.
CENTRE_ACTIONS = {
    CaseEvent.Action.ACCEPT,
    CaseEvent.Action.REJECT,
    CaseEvent.Action.DISPATCH,
    CaseEvent.Action.VERIFY_PASS,
    CaseEvent.Action.VERIFY_FAIL,
    CaseEvent.Action.ESCALATE,
    CaseEvent.Action.APPROVE_EXTENSION,
    CaseEvent.Action.DENY_EXTENSION,
    CaseEvent.Action.EVALUATE,
    CaseEvent.Action.REOPEN,
    CaseEvent.Action.REASSIGN,
}
UNIT_ACTIONS = {
    CaseEvent.Action.SIGN_FOR,
    CaseEvent.Action.RETURN,
    CaseEvent.Action.REPORT_HANDLED,
    CaseEvent.Action.REQUEST_EXTENSION,
}


def acting_role(user: AnyUser | None, case: Case, action: str) -> str | None:
    """The role in which `user` may take `action` on `case`, or None if they may not.
    `None` as user is the system (Celery jobs, imports), which may do anything."""
    if user is None:
        return "system"
    roles = roles_of(user)
    # A centre acts on cases whose handling centre lies in its jurisdiction: once escalated
    # from a community to its street, the community no longer acts on it (but still sees it).
    if action in CENTRE_ACTIONS and _covers(roles.centre_prefixes, case.centre.code):
        return "centre_operator"
    if action in UNIT_ACTIONS and case.unit_id in roles.unit_ids:
        return "department_staff"
    if action == CaseEvent.Action.REPORT_PART and roles.unit_ids and case.co_handlers.filter(
        unit_id__in=roles.unit_ids
    ).exists():
        return "department_staff"
    if action == CaseEvent.Action.RESOLVE_ON_SPOT and case.reporter_id == user.pk and case.grid_cell_id in roles.cell_ids:
        return "grid_worker"
    if action in (CaseEvent.Action.VERIFY_PASS, CaseEvent.Action.VERIFY_FAIL) and case.grid_cell_id in roles.cell_ids:
        return "grid_worker"
    if action == CaseEvent.Action.EVALUATE and case.reporter_id == user.pk:
        return reporter_role(user)
    if roles.is_admin:
        return "administrator"
    return None


def reporter_role(user: AnyUser | None) -> str:
    if user is None:
        return "system"
    return "grid_worker" if roles_of(user).is_grid_worker else "citizen"
