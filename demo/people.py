"""The demo's people: the named demo accounts (one shared, public password each owner must
change), a background grid worker for every other cell and a clerk for every other unit,
their roles, and the table `manage.py demo_accounts` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password

from access import codes
from access.models import RoleAssignment
from access.scopes import rebuild_scope_groups
from accounts.services import require_password_change
from cases.models import DepartmentUnit
from demo.places import CITY_CODE
from grids.models import Area, GridAssignment, GridCell

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from demo.load import LoadReport

DEMO_PASSWORD = "wangge-demo-2026"  # noqa: S105 -- printed on purpose by demo_accounts
DISTRICT_SLUGS = {
    "320205": "xishan", "320206": "huishan", "320211": "binhu", "320213": "liangxi",
    "320214": "xinwu", "320281": "jiangyin", "320282": "yixing",
}
# Accounts the history needs but nobody logs in as (unusable passwords); --replace deletes them.
BACKGROUND_PREFIX = "demo_"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜钱顾陆华秦尤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玲红建文辉斌婷晨雪琳慧燕佳颖宇浩鑫亮峰萍梅兰丹凤海波欣悦阳"


ROLE_LABELS = {
    "administrator": "管理员 administrator",
    "grid_worker": "网格员 grid worker",
    "centre_operator": "综治中心 centre operator",
    "department_staff": "职能部门 department staff",
    "supervisor": "督查 supervisor",
    "citizen": "群众 citizen",
}


@dataclass(frozen=True)
class DemoAccount:
    """A named demo login. `role` is the label shown; the role rows say what it may do."""

    username: str
    role: str
    name: str  # surname first, as Chinese names are written


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "administrator", ""),
    DemoAccount("gw_liangxi", "grid_worker", "王芳"),
    DemoAccount("gw_xinwu", "grid_worker", "李强"),
    DemoAccount("gw_jiangyin", "grid_worker", "周建华"),
    DemoAccount("gw_yixing", "grid_worker", "蒋丽"),
    DemoAccount("centre_community", "centre_operator", "陈静"),
    DemoAccount("centre_street", "centre_operator", "刘洋"),
    DemoAccount("centre_district", "centre_operator", "张敏"),
    DemoAccount("centre_city", "centre_operator", "赵磊"),
    DemoAccount("centre_xishan", "centre_operator", "顾涛"),
    DemoAccount("centre_huishan", "centre_operator", "华婷"),
    DemoAccount("centre_binhu", "centre_operator", "钱晨"),
    DemoAccount("centre_xinwu", "centre_operator", "秦雪"),
    DemoAccount("centre_jiangyin", "centre_operator", "徐斌"),
    DemoAccount("centre_yixing", "centre_operator", "潘佳"),
    DemoAccount("dept_chengguan", "department_staff", "孙勇"),
    DemoAccount("dept_huanbao", "department_staff", "朱琳"),
    DemoAccount("dept_xiaofang", "department_staff", "马超"),
    DemoAccount("dept_chengguan_xinwu", "department_staff", "吴杰"),
    DemoAccount("supervisor_liangxi", "supervisor", "黄建"),
    DemoAccount("supervisor_city", "supervisor", "杨文"),
    DemoAccount("citizen", "citizen", "林悦"),
)
DEMO_USERNAMES = tuple(a.username for a in DEMO_ACCOUNTS)
# The demo's focal district: gw_liangxi's cells, centre_community, centre_street and
# dept_chengguan all work in its most central community and street.
FOCUS_DISTRICT = "320213"
# (username, department code, district code)
_NAMED_STAFF = (
    ("dept_chengguan", "chengguan", "320213"),
    ("dept_huanbao", "huanbao", "320213"),
    ("dept_xiaofang", "xiaofang", "320213"),
    ("dept_chengguan_xinwu", "chengguan", "320214"),
)


@dataclass
class People:
    """Who acts in the generated history. The same user objects are reused throughout so
    the role lookup that access.roles.roles_of caches on each runs once per person."""

    users: dict[str, User]
    focus_community: str  # the code of the community of gw_liangxi and centre_community
    cell_worker: dict[int, User]  # grid cell id → its grid worker
    district_centre: dict[str, User]  # district code → centre operator
    unit_staff: dict[int, User]  # unit id → a clerk of the unit

    def centre_for(self, cell_code: str) -> User:
        """The most local demo centre whose jurisdiction holds the cell."""
        if cell_code.startswith(self.focus_community):
            return self.users["centre_community"]
        if cell_code.startswith(codes.street_code(self.focus_community)):
            return self.users["centre_street"]
        return self.district_centre.get(codes.district_code(cell_code), self.users["centre_city"])


def _person(rng: np.random.Generator) -> tuple[str, str]:
    surname = str(rng.choice(list(_SURNAMES)))
    given = "".join(str(c) for c in rng.choice(list(_GIVEN), size=int(rng.integers(1, 3))))
    return surname, given


def _first_village(areas: dict[str, Area], district: str) -> str:
    # 村 codes are 200-399 within their town (see the module docstring).
    return min(c for c, a in areas.items() if a.level == Area.Level.COMMUNITY and c.startswith(district) and c[9] >= "2")


def write_named_accounts(report: LoadReport) -> dict[str, User]:
    """The named demo accounts, sharing one password hash (hashing is slow on purpose). The
    demo password is printed for anyone to read, so each owner must choose their own at the
    first sign-in (accounts: forced change)."""
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for account in DEMO_ACCOUNTS:
        user = user_model.objects.filter(username=account.username).first()
        demo_password = True
        if user is not None and user.is_superuser and not check_password(DEMO_PASSWORD, user.password):
            report.notes.append(f"{account.username} already existed as a superuser; its password was left as it was")
            demo_password = False
        else:
            user = user or user_model(username=account.username)
            user.password = password
        user.last_name, user.first_name = account.name[:1], account.name[1:]
        user.is_active = True
        user.is_superuser = user.is_staff = account.role == "administrator"
        user.save()
        if demo_password:
            require_password_change(user)
        users[account.username] = user
    return users


def write_accounts(
    *, areas: dict[str, Area], cells: list[GridCell], units: dict[tuple[str, str], DepartmentUnit],
    rng: np.random.Generator, report: LoadReport,
) -> People:
    """The named demo accounts and a background grid worker for every other cell and a
    clerk for every other unit."""
    user_model = get_user_model()
    users = write_named_accounts(report)

    cells_by_code = {c.code: c for c in cells}
    # Codes number the most central place 001, so the lowest code is the city centre.
    focus = min(c for c, a in areas.items() if a.level == Area.Level.COMMUNITY and c.startswith(FOCUS_DISTRICT))
    village_jy, village_yx = _first_village(areas, "320281"), _first_village(areas, "320282")
    named_cells = {
        "gw_liangxi": [f"{focus}001", f"{focus}002"],
        "gw_xinwu": [min(c for c in cells_by_code if c.startswith("320214"))],
        "gw_jiangyin": [f"{village_jy}001", f"{village_jy}002"],
        "gw_yixing": [f"{village_yx}001"],
    }
    cell_worker: dict[int, User] = {}
    for username, cell_codes in named_cells.items():
        for code in cell_codes:
            if code in cells_by_code:
                cell_worker[cells_by_code[code].pk] = users[username]

    R = RoleAssignment.Role
    roles = [
        RoleAssignment(user=users["centre_community"], role=R.CENTRE_OPERATOR, area=areas[focus]),
        RoleAssignment(user=users["centre_street"], role=R.CENTRE_OPERATOR, area=areas[codes.street_code(focus)]),
        RoleAssignment(user=users["centre_district"], role=R.CENTRE_OPERATOR, area=areas[FOCUS_DISTRICT]),
        RoleAssignment(user=users["centre_city"], role=R.CENTRE_OPERATOR, area=areas[CITY_CODE]),
        RoleAssignment(user=users["supervisor_liangxi"], role=R.SUPERVISOR, area=areas[FOCUS_DISTRICT]),
        RoleAssignment(user=users["supervisor_city"], role=R.SUPERVISOR, area=areas[CITY_CODE]),
    ]
    district_centre = {"320213": users["centre_district"]}
    for code, slug in DISTRICT_SLUGS.items():
        if code != "320213":
            district_centre[code] = users[f"centre_{slug}"]
            roles.append(RoleAssignment(user=district_centre[code], role=R.CENTRE_OPERATOR, area=areas[code]))
    unit_staff: dict[int, User] = {}
    for username, dept, district in _NAMED_STAFF:
        unit = units[(dept, district)]
        unit_staff[unit.pk] = users[username]
        roles.append(RoleAssignment(user=users[username], role=R.DEPARTMENT_STAFF, unit=unit))

    # Background people: make_password(None) is an unusable password and costs nothing.
    workers = {
        cell.pk: user_model(username=f"{BACKGROUND_PREFIX}gw_{cell.code}", password=make_password(None),
                            **dict(zip(("last_name", "first_name"), _person(rng), strict=True)))
        for cell in cells
        if cell.pk not in cell_worker
    }
    clerks = {
        unit.pk: user_model(
            username=f"{BACKGROUND_PREFIX}{unit.department.code}_{DISTRICT_SLUGS.get(unit.area.code, unit.area.code)}",
            password=make_password(None), **dict(zip(("last_name", "first_name"), _person(rng), strict=True)),
        )
        for unit in units.values()
        if unit.pk not in unit_staff
    }
    user_model.objects.bulk_create([*workers.values(), *clerks.values()], batch_size=1000)
    report.counts["background accounts"] = len(workers) + len(clerks)
    cell_worker.update(workers)
    unit_staff.update(clerks)
    roles += [RoleAssignment(user=user, role=R.DEPARTMENT_STAFF, unit_id=pk) for pk, user in clerks.items()]
    GridAssignment.objects.bulk_create(
        [GridAssignment(worker=user, cell_id=pk) for pk, user in cell_worker.items()], batch_size=1000
    )
    RoleAssignment.objects.bulk_create(roles, batch_size=1000)
    # Bulk inserts fire no signals: the guardian grants are built in one pass instead.
    rebuild_scope_groups()
    return People(users=users, focus_community=focus, cell_worker=cell_worker, district_centre=district_centre,
                  unit_staff=unit_staff)


def _scope_of(user: User) -> tuple[list[str], list[str]]:
    """(role keys, scope descriptions) from the user's role rows."""
    roles: list[str] = []
    scopes: list[str] = []
    if user.is_superuser:
        roles.append("administrator")
        scopes.append("全部 everything")
    cells = list(GridAssignment.objects.filter(worker=user).select_related("cell__community").order_by("cell__code"))
    if cells:
        roles.append("grid_worker")
        community = cells[0].cell.community
        scopes.append(f"{community.name} " + "、".join(a.cell.name.removeprefix(community.name) for a in cells)
                      + f" ({', '.join(a.cell.code for a in cells)})")
    for ra in RoleAssignment.objects.filter(user=user).select_related("area", "unit").order_by("role", "area__code"):
        roles.append(ra.role)
        scopes.append(str(ra.unit) if ra.unit else f"{ra.area.name} ({ra.area.code})" if ra.area else "")
    return roles or ["citizen"], scopes or ["own reports"]


def account_rows() -> list[tuple[str, str, str, str]]:
    """username, role, scope, password for each named demo account that exists. The
    password column says "(changed)" once someone changed it; accounts that share the demo
    hash are checked with one slow hash computation, not one per account."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
    verdict: dict[str, bool] = {}
    rows = []
    for account in DEMO_ACCOUNTS:
        user = users.get(account.username)
        if user is None:
            continue
        if user.password not in verdict:
            verdict[user.password] = check_password(DEMO_PASSWORD, user.password)
        roles, scopes = _scope_of(user)
        rows.append((
            user.username,
            " + ".join(ROLE_LABELS.get(r, r) for r in roles),
            "; ".join(scopes),
            DEMO_PASSWORD if verdict[user.password] else "(changed)",
        ))
    return rows


def reset_passwords() -> int:
    """Sets the demo password on every named demo account again; each must be changed at the
    next sign-in, as after the load."""
    users = list(get_user_model().objects.filter(username__in=DEMO_USERNAMES))
    get_user_model().objects.filter(pk__in=[u.pk for u in users]).update(password=make_password(DEMO_PASSWORD))
    for user in users:
        require_password_change(user)
    return len(users)
