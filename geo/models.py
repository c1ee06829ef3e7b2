"""Results of spatial analysis: per-cell risk scores for a forecast horizon."""

from __future__ import annotations

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
        constraints = [
            models.UniqueConstraint(fields=["cell", "horizon_start", "model"], name="risk_score_unique_per_run"),
        ]
        indexes = [models.Index(fields=["horizon_start", "model"])]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.horizon_start} {self.level}"
