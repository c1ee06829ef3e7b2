"""The places: the area hierarchy (city → district → street → community) and grid cells.

Codes follow the national statistical division codes (DOMAIN §1): 6 digits for a city or
district, 9 for a street, 12 for a community, 15 for a grid cell. A child's code starts with
its parent's code prefix, so "everything under X" is a prefix match on an indexed column.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        STREET = "street", _("Street / town")
        COMMUNITY = "community", _("Community / village")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        # Granted per area through django-guardian (access.scopes): the area is the
        # jurisdiction, its code prefix covers everything below it.
        permissions = [
            ("operate_centre", _("Can act as this area's comprehensive-governance centre")),
            ("supervise_area", _("Can supervise this area (read-only; may press overdue cases)")),
        ]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GridCell(models.Model):
    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive grid")
        SPECIALISED = "specialised", _("Specialised grid")

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPREHENSIVE)
    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="cells",
        limit_choices_to={"level": Area.Level.COMMUNITY},
    )
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)

    class Meta:
        verbose_name = _("grid cell")
        verbose_name_plural = _("grid cells")
        ordering = ["code"]
        permissions = [("patrol_cell", _("Can report and verify as this cell's grid worker"))]
        indexes = [models.Index(fields=["code"], name="gridcell_code_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GridAssignment(models.Model):
    """A grid worker's responsibility for a cell; a worker may hold several cells."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.CASCADE, related_name="grid_assignments"
    )
    cell = models.ForeignKey(GridCell, verbose_name=_("grid cell"), on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        constraints = [models.UniqueConstraint(fields=["worker", "cell"], name="grid_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.worker} → {self.cell.code}"
