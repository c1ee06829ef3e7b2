"""Writes of the risk job and the grid workers' tasks: the nightly risk scores of every grid
cell, the patrols its red and orange warnings raise, and the completion of a task.

Task services follow cases.services: one function per transition, atomic, the row locked
(select_for_update) before it is checked, and a DomainError (access.errors) for a refusal."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, FloatField, Func
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from access.errors import Conflict, InvalidInput, NotFound
from access.roles import roles_of
from cases.models import Case, Category
from grids.models import GridCell
from risk import forecast
from risk.models import PatrolTask, RiskScore

if TYPE_CHECKING:
    from access.roles import AnyUser

logger = logging.getLogger(__name__)

# Defaults until governance/settings.py carries these; a city overrides them there.

MODELS = (forecast.RECENCY_V1,)
_BATCH_SIZE = 2000
_FETCH_CHUNK = 50_000
_SECONDS_PER_DAY = 86_400.0


class _Epoch(Func):
    # Seconds as a float: EXTRACT returns numeric, which psycopg turns into slow Decimals.
    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
    output_field = FloatField()


@dataclass(frozen=True)
class _History:
    """The case history as arrays, one entry per case."""

    cell_index: NDArray[np.intp]
    ages_days: NDArray[np.float64]
    category_index: NDArray[np.intp]
    category_codes: list[str]


def _level_policy() -> tuple[Mapping[str, float] | None, Mapping[str, float] | None]:
    """(shares, thresholds) from settings; fixed thresholds win when a city sets them."""
    thresholds: Mapping[str, float] | None = settings.RISK_LEVEL_THRESHOLDS
    shares: Mapping[str, float] = settings.RISK_LEVEL_QUANTILES
    try:
        # Validate before reading a million cases, not after.
        forecast.assign_levels(np.zeros(0), shares=shares, thresholds=thresholds)
    except ValueError as exc:
        raise ImproperlyConfigured(f"RISK_LEVEL_THRESHOLDS / RISK_LEVEL_QUANTILES: {exc}") from None
    return shares, thresholds


def _top_level_categories() -> tuple[NDArray[np.int64], NDArray[np.intp], list[str]]:
    """(category ids sorted, their top-level position, top-level codes sorted).

    Mapped here rather than joined per case: a few hundred categories against a million cases."""
    rows = list(Category.objects.order_by("pk").values_list("pk", "parent_id", "code"))
    code_of = {pk: code for pk, _parent, code in rows}
    top_codes = sorted(code for _pk, parent, code in rows if parent is None)
    position = {code: i for i, code in enumerate(top_codes)}
    ids = np.array([pk for pk, _parent, _code in rows], dtype=np.int64)
    # Two-level taxonomy: a category's top level is its parent, or itself.
    top = np.array([position[code_of[parent] if parent else code] for _pk, parent, code in rows], dtype=np.intp)
    return ids, top, top_codes


def _load_history(*, cutoff: dt.datetime, lookback_days: int, cell_ids: NDArray[np.int64]) -> _History:
    """Cases reported in [cutoff − lookback, cutoff) as arrays: no model instances.

    Rejected reports (invalid or duplicate) are not incidents. Cases the risk warning
    itself filed are left out, or a red cell would keep itself red."""
    since = cutoff - dt.timedelta(days=lookback_days)
    rows = (
        Case.objects.filter(reported_at__gte=since, reported_at__lt=cutoff)
        .exclude(status=Case.Status.REJECTED)
        .exclude(source=Case.Source.RISK_WARNING)
        .order_by()
        .annotate(epoch=_Epoch(F("reported_at")))
        .values_list("grid_cell_id", "category_id", "epoch")
    )
    data = np.fromiter(
        rows.iterator(chunk_size=_FETCH_CHUNK),
        dtype=np.dtype([("cell", np.int64), ("category", np.int64), ("epoch", np.float64)]),
    )
    # Sorted by cell and time so the floating-point sums never depend on the order the
    # database returned rows in: a re-run writes bit-identical scores.
    data = data[np.lexsort((data["epoch"], data["cell"]))]
    # A cell imported after the cell list was read is scored from the next run on.
    position = np.minimum(np.searchsorted(cell_ids, data["cell"]), max(cell_ids.shape[0] - 1, 0))
    data = data[cell_ids[position] == data["cell"]] if cell_ids.size else data[:0]
    category_ids, category_top, category_codes = _top_level_categories()
    # Clipped to the window: float rounding at its edges must not fail the model's checks.
    ages = np.clip((cutoff.timestamp() - data["epoch"]) / _SECONDS_PER_DAY, 0.0, float(lookback_days))
    return _History(
        cell_index=np.searchsorted(cell_ids, data["cell"]).astype(np.intp),
        ages_days=ages,
        category_index=category_top[np.searchsorted(category_ids, data["category"])],
        category_codes=category_codes,
    )


@transaction.atomic
def risk_score_all_cells(*, as_of: dt.date, horizon_days: int | None = None, model: str = forecast.RECENCY_V1) -> int:
    """Scores every grid cell for the horizon starting `as_of` from the cases reported
    before `as_of` 00:00 (settings.TIME_ZONE) and upserts one RiskScore per cell for
    (as_of, model). Returns the number of cells scored.

    Idempotent: a second run for the same day and model updates the same rows in place
    (a different `horizon_days` overwrites the first run's). Locks only the RiskScore rows
    it writes, always in cell-id order, so two concurrent runs for the same day queue
    behind each other instead of deadlocking. A red or orange cell gets one warning patrol
    task for its grid workers per horizon (patrol_tasks_for_warnings, in the
    same transaction; a re-run adds none)."""
    if model not in MODELS:
        raise ValueError(f"unknown risk model {model!r}; known: {', '.join(MODELS)}")
    started = time.monotonic()
    horizon = horizon_days if horizon_days is not None else int(settings.RISK_HORIZON_DAYS)
    if horizon <= 0:
        raise ValueError("horizon_days must be positive")
    half_life = float(settings.RISK_HALF_LIFE_DAYS)
    lookback = settings.RISK_LOOKBACK_DAYS
    shares, thresholds = _level_policy()
    cutoff = timezone.make_aware(dt.datetime.combine(as_of, dt.time.min), timezone.get_default_timezone())

    cells = np.array(list(GridCell.objects.order_by("pk").values_list("pk", "households")), dtype=np.int64)
    if cells.size == 0:
        return 0
    cell_ids, households = cells[:, 0], cells[:, 1]
    n_cells = int(cell_ids.shape[0])
    history = _load_history(cutoff=cutoff, lookback_days=lookback, cell_ids=cell_ids)
    loaded = time.monotonic()

    scores = forecast.recency_scores(
        history.cell_index,
        history.ages_days,
        n_cells=n_cells,
        half_life_days=half_life,
        lookback_days=lookback,
        horizon_days=horizon,
    )
    levels = forecast.assign_levels(scores, shares=shares, thresholds=thresholds)
    factors = forecast.top_factors(
        history.cell_index,
        history.ages_days,
        history.category_index,
        n_cells=n_cells,
        category_codes=history.category_codes,
        half_life_days=half_life,
        per_1000_households=forecast.per_thousand_households(scores, households),
    )

    RiskScore.objects.bulk_create(
        [
            RiskScore(
                cell_id=cell_id,
                horizon_start=as_of,
                horizon_days=horizon,
                model=model,
                score=score,
                level=level,
                factors=cell_factors,
            )
            for cell_id, score, level, cell_factors in zip(
                cell_ids.tolist(), scores.tolist(), levels.tolist(), factors, strict=True
            )
        ],
        batch_size=_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["cell", "horizon_start", "model"],
        update_fields=["horizon_days", "score", "level", "factors", "computed_at"],
    )
    warned = np.flatnonzero(np.isin(levels, PATROL_LEVELS))
    patrol_tasks_for_warnings(
        as_of=as_of,
        warnings=[(int(cell_ids[i]), str(levels[i]), float(scores[i])) for i in warned.tolist()],
    )
    counts = {level: int(np.count_nonzero(levels == level)) for level in forecast.LEVELS}
    logger.info(
        "risk %s as of %s: %d cells, %d cases, levels %s; load %.1fs, total %.1fs",
        model, as_of, n_cells, history.cell_index.shape[0], counts, loaded - started, time.monotonic() - started,
    )
    return n_cells


# The warning levels that send a grid worker out (DOMAIN §5: I red and II orange).
PATROL_LEVELS = ("red", "orange")
# A warning patrol is due the day after the warning is published: soon, but a worker who
# reads it in the evening is not overdue at once.
PATROL_DUE_DAYS = 1


def patrol_tasks_for_warnings(*, as_of: dt.date, warnings: Iterable[tuple[int, str, float]]) -> int:
    """One open warning patrol per (cell, horizon) for the cells scored red or orange;
    `warnings` holds (cell_id, level, score). Returns how many tasks it created.

    Idempotent: ON CONFLICT DO NOTHING on the one-warning-per-horizon constraint, so a
    re-run of the risk job for the same day (or two at once) adds no second task, and a
    task already done stays done."""
    rows = [
        PatrolTask(
            cell_id=cell_id,
            kind=PatrolTask.Kind.RISK_WARNING,
            due_date=as_of + dt.timedelta(days=PATROL_DUE_DAYS),
            horizon_start=as_of,
            risk_level=level,
            risk_score=score,
        )
        for cell_id, level, score in warnings
        if level in PATROL_LEVELS
    ]
    if not rows:
        return 0
    before = PatrolTask.objects.filter(kind=PatrolTask.Kind.RISK_WARNING, horizon_start=as_of).count()
    PatrolTask.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return PatrolTask.objects.filter(kind=PatrolTask.Kind.RISK_WARNING, horizon_start=as_of).count() - before


@transaction.atomic
def task_complete(*, task_id: int, actor: AnyUser, note: str, at: dt.datetime | None = None) -> PatrolTask:
    """A grid worker of the task's cell marks it done, saying what they found. A task of
    another cell is "not found" (ids leak nothing); a second completion is a 409."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say what you found on the patrol."), field="note")
    roles = roles_of(actor)
    task = PatrolTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None or not (roles.is_admin or task.cell_id in roles.cell_ids):
        raise NotFound(_("No such task."))
    if task.status == PatrolTask.Status.DONE:
        raise Conflict(_("This task was already marked done."))
    task.status = PatrolTask.Status.DONE
    task.done_at = at or timezone.now()
    task.done_by = actor  # type: ignore[assignment]
    task.done_note = note
    task.save(update_fields=["status", "done_at", "done_by", "done_note"])
    return task
