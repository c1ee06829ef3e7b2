"""Shared fixtures: a small real town on PostGIS and the personas of STYLE.md.

Town layout (squares of 0.01° from lon 120.30, lat 31.57):
  city 320200 ⊃ district 320213 ⊃ street 320213001 ⊃ communities
  320213001001 (cells 001-004: columns 0-1, rows 0-1) and 320213001002 (cells 001-002:
  columns 2-3, row 0-1 as two 1×2 cells).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import RoleAssignment
from cases.models import Case, Category, Department, DepartmentUnit
from grids.models import Area, GridAssignment, GridCell
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    UserFactory,
    block,
    square,
)


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """PBKDF2 with a million iterations costs ~0.3 s per user, and the suite makes hundreds
    of users. Tests that are about hashing itself set their own hasher."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def no_broker_traffic(request, settings):
    """Actions queue notifications to Celery after commit; only tests marked `notifications`
    want that, the others must not leave messages in the machine's Redis."""
    if request.node.get_closest_marker("notifications") is None:
        settings.NOTIFY_ON_COMMIT = False


@dataclass
class Town:
    city: Area
    district: Area
    street: Area
    community: Area
    other_community: Area
    cells: list[GridCell]  # cells[0..3] in `community`, cells[4..5] in `other_community`
    department: Department
    unit: DepartmentUnit
    other_unit: DepartmentUnit
    category: Category
    spot_category: Category


@pytest.fixture
def town(db) -> Town:
    city = Area.objects.create(code="320200", name="无锡市", level=Area.Level.CITY, geom=block(8, 8, origin=(120.26, 31.53)))
    district = Area.objects.create(code="320213", name="梁溪区", level=Area.Level.DISTRICT, parent=city, geom=block(4, 2))
    street = Area.objects.create(code="320213001", name="崇安寺街道", level=Area.Level.STREET, parent=district, geom=block(4, 2))
    community = Area.objects.create(
        code="320213001001", name="县前社区", level=Area.Level.COMMUNITY, parent=street, geom=block(2, 2)
    )
    other = Area.objects.create(
        code="320213001002",
        name="五爱社区",
        level=Area.Level.COMMUNITY,
        parent=street,
        geom=block(2, 2, origin=(120.32, 31.57)),
    )
    cells = [
        GridCell.objects.create(code=f"320213001001{i + 1:03d}", name=f"县前{i + 1}", community=community,
                                geom=square(col, row), households=300)
        for i, (col, row) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)])
    ]
    for i in range(2):
        cells.append(
            GridCell.objects.create(
                code=f"320213001002{i + 1:03d}", name=f"五爱{i + 1}", community=other,
                geom=block(1, 2, origin=(120.32 + i * 0.01, 31.57)), households=300,
            )
        )
    department = DepartmentFactory(code="cg", name="城管")
    unit = DepartmentUnit.objects.create(department=department, area=district, name="梁溪区城管局")
    other_dept = DepartmentFactory(code="hb", name="环保")
    other_unit = DepartmentUnit.objects.create(department=other_dept, area=district, name="梁溪区环保局")
    parent = CategoryFactory(code="03", name="市容环境", parent=None, default_department=None)
    category = CategoryFactory(code="0301", name="占道经营", parent=parent, default_department=department)
    spot = CategoryFactory(
        code="0302", name="乱堆乱放", parent=parent, default_department=department, self_resolvable=True
    )
    return Town(city, district, street, community, other, cells, department, unit, other_unit, category, spot)


@pytest.fixture
def grid_worker(town: Town):
    user = UserFactory(username="gw_a")
    GridAssignment.objects.create(worker=user, cell=town.cells[0])
    GridAssignment.objects.create(worker=user, cell=town.cells[1])
    return user


@pytest.fixture
def centre_operator(town: Town):
    user = UserFactory(username="centre_community")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.CENTRE_OPERATOR, area=town.community)
    return user


@pytest.fixture
def street_operator(town: Town):
    user = UserFactory(username="centre_street")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.CENTRE_OPERATOR, area=town.street)
    return user


@pytest.fixture
def dept_officer(town: Town):
    user = UserFactory(username="dept_cg")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.unit)
    return user


@pytest.fixture
def supervisor(town: Town):
    """Supervisors sign in with a TOTP code too (accounts): this one has enrolled a device."""
    user = UserFactory(username="supervisor_district")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.SUPERVISOR, area=town.district)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def verify_otp(db) -> Callable[[Client, Any], Client]:
    """For a client signed in with force_login: if the user must use a second factor
    (administrators, supervisors), gives them a confirmed TOTP device when they have none and
    marks the session verified by it, as django_otp.login does after a real code. Other users'
    sessions are left as they are. tests/accounts shows the real code being typed."""

    def verify(client: Client, user: Any) -> Client:
        from accounts.selectors import otp_required

        # A fresh copy: roles_of caches the roles on the object it is given.
        fresh = get_user_model().objects.get(pk=user.pk)
        if not otp_required(fresh):
            return client
        device = TOTPDevice.objects.filter(user=fresh, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=fresh, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return verify


@pytest.fixture
def login(db, verify_otp) -> Callable[..., Client]:
    """A test client signed in as `user` (force_login, second factor passed where needed),
    asking for pages in `language`."""

    def make(user: Any, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return verify_otp(client, user)

    return make


@pytest.fixture
def outsider(town: Town):
    """A grid worker of the other community: a real user with no rights over town.cells[0..3]."""
    user = UserFactory(username="gw_other")
    GridAssignment.objects.create(worker=user, cell=town.cells[4])
    return user


@pytest.fixture
def media_in_tmp(settings, tmp_path) -> Path:
    """Uploaded photos go to a temporary folder, not the developer's media/; the folder is
    returned for tests that look at the files. Modules that upload use it with
    `pytestmark = pytest.mark.usefixtures("media_in_tmp")`."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def file_case(town: Town, grid_worker) -> Callable[..., Any]:
    """file_case(**report): a reported case in the grid worker's first cell, filed by them
    unless `actor` says who."""
    from tests.builders import case_at as build

    def make(**report: Any) -> Any:
        reporter = report.pop("actor", grid_worker)
        return build(Case.Status.REPORTED, town=town, reporter=reporter, centre_operator=None,
                     dept_officer=None, **report)

    return make


@pytest.fixture
def case_at(request, town: Town) -> Callable[..., Any]:
    """case_at(status, reporter=None, **options): a case of cell A filed by the grid worker
    (or `reporter`) and moved along the main path to `status` through the services; the
    options are tests.builders.case_at's (the report's own fields, unit, co_handlers, result,
    handled_photos, a pending extension, times). Asks for the centre operator and the
    department officer only when the path goes through their steps, so a test's world holds
    no one it did not need before."""
    from tests.builders import MAIN_PATH
    from tests.builders import case_at as build

    def make(status: str, reporter: Any = None, **report: Any) -> Any:
        step = MAIN_PATH.index(status)
        return build(
            status, town=town, reporter=reporter or request.getfixturevalue("grid_worker"),
            centre_operator=request.getfixturevalue("centre_operator") if step >= 1 else None,
            dept_officer=request.getfixturevalue("dept_officer") if step >= 3 else None,
            **report,
        )

    return make


@pytest.fixture
def api_client() -> Callable[..., Any]:
    """api_client(user, language="en", token=False, raise_request_exception=True): an API
    client signed in as the user (tests.builders.api_client)."""
    from tests.builders import api_client as build

    return build
