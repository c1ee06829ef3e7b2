"""factory_boy factories. Geometry helpers build squares in degrees near Wuxi (lon 120.3,
lat 31.57), so cells and points are real places on the real PostGIS."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from access.models import RoleAssignment
from cases.models import Category, Department, DepartmentUnit
from grids.models import Area, GridAssignment, GridCell

ORIGIN = (120.30, 31.57)
STEP = 0.01  # one demo cell is about 950 m × 1110 m


def square(col: int, row: int, size: float = STEP, origin: tuple[float, float] = ORIGIN) -> MultiPolygon:
    x0, y0 = origin[0] + col * size, origin[1] + row * size
    ring = ((x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size), (x0, y0))
    return MultiPolygon(Polygon(ring), srid=4326)


def block(cols: int, rows: int, size: float = STEP, origin: tuple[float, float] = ORIGIN) -> MultiPolygon:
    """The rectangle covering `cols` × `rows` squares starting at `origin`."""
    x0, y0 = origin
    x1, y1 = x0 + cols * size, y0 + rows * size
    return MultiPolygon(Polygon(((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))), srid=4326)


def centre_of(col: int, row: int, size: float = STEP, origin: tuple[float, float] = ORIGIN) -> Point:
    return Point(origin[0] + (col + 0.5) * size, origin[1] + (row + 0.5) * size, srid=4326)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("code",)

    code = "320213"
    name = factory.LazyAttribute(lambda o: f"area {o.code}")
    level = Area.Level.DISTRICT
    geom = factory.LazyFunction(lambda: block(4, 4))


class GridCellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridCell
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"320213001001{n + 1:03d}")
    name = factory.LazyAttribute(lambda o: f"grid {o.code[-3:]}")
    community = factory.SubFactory(AreaFactory, code="320213001001", level=Area.Level.COMMUNITY)
    geom = factory.LazyFunction(lambda: square(0, 0))
    households = 300


class GridAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridAssignment

    worker = factory.SubFactory(UserFactory)
    cell = factory.SubFactory(GridCellFactory)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "cg"
    name = "城管"


class DepartmentUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentUnit
        django_get_or_create = ("department", "area")

    department = factory.SubFactory(DepartmentFactory)
    area = factory.SubFactory(AreaFactory)
    name = factory.LazyAttribute(lambda o: f"{o.area.name} {o.department.name}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"0{n + 1:02d}01")
    name = factory.Sequence(lambda n: f"category {n}")
    parent = factory.SubFactory(
        "tests.factories.CategoryFactory", parent=None, code="00", name="市容环境", default_department=None
    )
    default_department = factory.SubFactory(DepartmentFactory)
    sign_for_hours = 4
    handle_days = 3


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = RoleAssignment.Role.CENTRE_OPERATOR
