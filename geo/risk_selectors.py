"""Reads of risk scores for the map and the warning lists."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Subquery

from geo.models import RiskScore
from geo.risk import RECENCY_V1


def latest_horizon_start(*, model: str = RECENCY_V1) -> dt.date | None:
    """The newest horizon `model` has scores for, or None before its first run."""
    latest: dt.date | None = RiskScore.objects.filter(model=model).aggregate(latest=Max("horizon_start"))["latest"]
    return latest


def latest_risk_scores(*, model: str = RECENCY_V1) -> dict[int, tuple[float, str]]:
    """cell id → (score, level) for the newest horizon of `model`, in one query; empty
    before the first run. Cells created after that run are simply absent."""
    newest = RiskScore.objects.filter(model=model).order_by("-horizon_start").values("horizon_start")[:1]
    rows = RiskScore.objects.filter(model=model, horizon_start=Subquery(newest)).values_list("cell_id", "score", "level")
    return {cell_id: (score, level) for cell_id, score, level in rows}
