"""Risk scores of every grid cell for a forecast horizon, and the patrol tasks of the grid
workers (the ones a red or orange warning raises among them)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import GridCell


class RiskScore(models.Model):
    """Four-level warning of the Emergency Response Law: I red (highest) … IV blue."""

    class Level(models.TextChoices):
        RED = "red", _("Level I (red)")
        ORANGE = "orange", _("Level II (orange)")
        YELLOW = "yellow", _("Level III (yellow)")
        BLUE = "blue", _("Level IV (blue)")

    cell = models.ForeignKey(GridCell, verbose_name=_("grid cell"), on_delete=models.CASCADE, related_name="risk_scores")
    horizon_start = models.DateField(_("horizon start"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"))
    model = models.CharField(_("model"), max_length=40)
    score = models.FloatField(_("score"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    factors = models.JSONField(_("top factors"), default=list)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        # The table of the geo app this model began in (issue 12 moved it, not its rows).
        db_table = "geo_riskscore"
        constraints = [
            models.UniqueConstraint(fields=["cell", "horizon_start", "model"], name="risk_score_unique_per_run"),
        ]
        indexes = [models.Index(fields=["horizon_start", "model"])]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.horizon_start} {self.level}"


class PatrolTask(models.Model):
    """A task for the grid workers of a cell: a routine patrol, or the patrol a red or
    orange risk warning calls for (DOMAIN §5). Verification of handled cases is not a
    task row: it is read from the cases themselves (cases.selectors.cases_to_verify_on_site)."""

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
        # The table of the grids app this model began in (issue 12 moved it, not its rows).
        db_table = "grids_patroltask"
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
