"""Who holds which role where, by jurisdiction (DOMAIN §2).

Jurisdiction is a code prefix (access.codes): a centre operator or supervisor of area X
covers every cell whose code starts with X's prefix. Who holds what is read from
django-guardian object permissions on areas, cells and units, granted through scope groups
(access.scopes). What a role may do to a case is the cases app's rule (cases.permissions,
cases.workflow).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import User as UserModel
from django.db import connection
from django.db.models import Model
from guardian.models import GroupObjectPermission, UserObjectPermission

from access.codes import ancestor_codes, jurisdiction_prefix
from grids.models import Area

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
    if not isinstance(user, UserModel):
        raise PermissionError("an anonymous user cannot act on cases")
    return user


# The grants every role reads, in one statement: group grants through the user's groups and
# direct user grants (guardian allows both), each with the area's code and level where the
# object is an area. object_pk is text in guardian's generic tables, hence the guarded cast.
_GRANTS_SQL = """
WITH grants AS (
    SELECT gop.permission_id, gop.object_pk
      FROM {group_perms} gop JOIN {user_groups} ug ON ug.group_id = gop.group_id
     WHERE ug.user_id = %(user)s
    UNION
    SELECT uop.permission_id, uop.object_pk FROM {user_perms} uop WHERE uop.user_id = %(user)s
)
SELECT p.codename, g.object_pk, a.code, a.level
  FROM grants g
  JOIN auth_permission p ON p.id = g.permission_id
  JOIN django_content_type ct ON ct.id = p.content_type_id
  LEFT JOIN {areas} a ON ct.model = 'area'
       AND a.id = CASE WHEN g.object_pk ~ '^[0-9]+$' THEN g.object_pk::bigint END
 WHERE (ct.app_label, ct.model, p.codename) IN (
       ('grids', 'area', 'operate_centre'), ('grids', 'area', 'supervise_area'),
       ('grids', 'gridcell', 'patrol_cell'), ('cases', 'departmentunit', 'handle_cases'))
"""


def _grants_sql() -> str:
    return _GRANTS_SQL.format(
        group_perms=GroupObjectPermission._meta.db_table,
        user_perms=UserObjectPermission._meta.db_table,
        user_groups=UserModel.groups.through._meta.db_table,
        areas=Area._meta.db_table,
    )


_HOLDERS_SQL = """
SELECT ug.user_id
  FROM {group_perms} gop
  JOIN {user_groups} ug ON ug.group_id = gop.group_id
  JOIN auth_permission p ON p.id = gop.permission_id
  JOIN django_content_type ct ON ct.id = p.content_type_id
 WHERE ct.app_label = %(app)s AND ct.model = %(model)s AND p.codename = %(codename)s
   AND gop.object_pk = ANY(%(pks)s)
UNION
SELECT uop.user_id
  FROM {user_perms} uop
  JOIN auth_permission p ON p.id = uop.permission_id
  JOIN django_content_type ct ON ct.id = p.content_type_id
 WHERE ct.app_label = %(app)s AND ct.model = %(model)s AND p.codename = %(codename)s
   AND uop.object_pk = ANY(%(pks)s)
"""


def user_ids_holding(perm: str, model: type[Model], object_ids: Iterable[int]) -> list[int]:
    """Everyone who holds `perm` ("app.codename") on any of these objects, through a group or
    directly: the same grants roles_of reads, so whoever may act is whoever is told."""
    pks = [str(pk) for pk in object_ids]
    if not pks:
        return []
    app, codename = perm.split(".")
    sql = _HOLDERS_SQL.format(
        group_perms=GroupObjectPermission._meta.db_table,
        user_perms=UserObjectPermission._meta.db_table,
        user_groups=UserModel.groups.through._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"app": app, "model": model._meta.model_name, "codename": codename, "pks": pks})
        return sorted(row[0] for row in cursor.fetchall())


def areas_containing(cell_code: str) -> list[int]:
    """Ids of the city, district, street and community a cell code lies in."""
    return list(Area.objects.filter(code__in=ancestor_codes(cell_code)).values_list("pk", flat=True))


def roles_of(user: AnyUser | None) -> Roles:
    """What the user holds, read from their django-guardian object permissions (access.scopes
    explains how roles become grants)."""
    if user is None or not user.is_authenticated:
        return Roles()
    cached: Roles | None = getattr(user, "_wangge_roles", None)
    if cached is not None:
        return cached
    assert user.pk is not None
    cells: set[int] = set()
    centre: set[str] = set()
    units: set[int] = set()
    supervised: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(_grants_sql(), {"user": user.pk})
        for codename, object_pk, area_code, area_level in cursor.fetchall():
            if codename == "patrol_cell" and object_pk.isdigit():
                cells.add(int(object_pk))
            elif codename == "handle_cases" and object_pk.isdigit():
                units.add(int(object_pk))
            elif codename == "operate_centre" and area_code:
                centre.add(jurisdiction_prefix(area_code, area_level))
            elif codename == "supervise_area" and area_code:
                supervised.add(jurisdiction_prefix(area_code, area_level))
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
    # Cached on the user object: one request, one read of the grants.
    user._wangge_roles = roles  # type: ignore[attr-defined]
    return roles
