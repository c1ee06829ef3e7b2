"""Celery tasks of the risk app: thin wrappers that own only the retry policy."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from risk.services import risk_score_all_cells


@shared_task(
    # A database restart or failover at 02:30 should not cost the day's warning; the run is
    # idempotent, so a retry after a half-written attempt (rolled back anyway) is safe.
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=6,
)
def risk_score_all_cells_task(as_of: str | None = None) -> int:
    """Scores every cell for the horizon starting `as_of` (ISO date; default today in
    settings.TIME_ZONE, so the 02:30 beat run uses every case up to midnight)."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return risk_score_all_cells(as_of=day)
