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
        # Granted per area through django-guardian (cases.scopes): the area is the
        # jurisdiction, its code prefix covers everything below it.
        permissions = [
            ("operate_centre", _("Can act as this area's comprehensive-governance centre")),
            ("supervise_area", _("Can supervise this area (read-only; may press overdue cases)")),
        ]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code_prefix(self) -> str:
        """The prefix every descendant's code starts with (a city 320200 owns 3202xx…)."""
        if self.level == self.Level.CITY:
            return self.code[:4]
        return self.code


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


class PatrolTask(models.Model):
    """A task for the grid workers of a cell: a routine patrol, or the patrol a red or
    orange risk warning calls for (DOMAIN §5). Verification of handled cases is not a
    task row: it is read from the cases themselves (grids.selectors)."""

    class Kind(models.TextChoices):
        PATROL = "patrol", _("Patrol")
        RISK_WARNING = "risk_warning", _("Risk warning patrol")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    cell = models.ForeignKey(GridCell, verbose_name=_("grid cell"), on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PATROL)
    title = models.CharField(_("title"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    done_note = models.TextField(_("what was found"), blank=True)
    # The warning behind a risk task: kept as values, so re-scoring never rewrites history.
    horizon_start = models.DateField(_("horizon start"), null=True, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=8, blank=True)
    risk_score = models.FloatField(_("risk score"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol task")
        verbose_name_plural = _("patrol tasks")
        ordering = ["due_date", "pk"]
        constraints = [
            # One warning patrol per cell and horizon: a re-run of the risk job adds none.
            models.UniqueConstraint(
                fields=["cell", "horizon_start"],
                condition=models.Q(kind="risk_warning"),
                name="patrol_task_one_warning_per_horizon",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", done_at__isnull=True)
                | models.Q(status="done", done_at__isnull=False),
                name="patrol_task_done_has_time",
            ),
        ]
        indexes = [models.Index(fields=["cell", "status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.kind} {self.due_date}"
