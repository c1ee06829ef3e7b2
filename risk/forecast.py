"""Risk scoring models (DOMAIN §5) as pure functions on numpy arrays: no ORM, no settings.

`risk.services.risk_score_all_cells` loads the case history into arrays, calls these and
writes `RiskScore` rows; the tests call them on hand-made arrays.

Baseline model "recency_v1"
---------------------------
Each past case in a cell contributes ``w = exp(-ln 2 · age_days / half_life)``: 1 for a
case reported just before the cut-off, 1/2 at one half-life, 1/4 at two. For a cell with a
steady rate of λ cases a day over a look-back window of L days,

    E[Σ w] = λ · W,    W = ∫₀ᴸ 2^(−a/h) da = h / ln 2 · (1 − 2^(−L/h)),

so ``Σ w / W`` is a recency-weighted daily rate and the score

    score = horizon_days · Σ w / W

reads as the number of cases expected in the cell over the coming horizon. Scaling by a
constant changes no ranking; it only makes the number mean something on the map and makes
fixed thresholds comparable across half-life settings.

Levels (red/orange/yellow/blue) and each cell's top factors are separate functions so a
later model can reuse them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

RECENCY_V1 = "recency_v1"

# The values of risk.models.RiskScore.Level, highest first; plain strings keep this module ORM-free.
RED, ORANGE, YELLOW, BLUE = "red", "orange", "yellow", "blue"
LEVELS: tuple[str, ...] = (RED, ORANGE, YELLOW, BLUE)
_RANKED_LEVELS = (RED, ORANGE, YELLOW)  # blue is "everything else"

# Share of the cells with a non-zero score that each level may hold: top 2% red, next 5%
# orange, next 13% yellow, the rest blue.
DEFAULT_LEVEL_SHARES: Mapping[str, float] = {RED: 0.02, ORANGE: 0.05, YELLOW: 0.13}

# Look-back windows reported as factors: the numbers a centre operator asks about first.
FACTOR_WINDOWS_DAYS: tuple[int, ...] = (7, 30, 90)

_LN2 = math.log(2.0)


class Factor(TypedDict):
    """One explanation of a score. `factor` is a stable machine key the UI translates."""

    factor: str
    value: int | float | str


def _as_float(values: ArrayLike, what: str) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite")
    return array


def _as_index(values: ArrayLike, size: int, what: str) -> NDArray[np.intp]:
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.intp)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must be a one-dimensional integer array")
    if array.min() < 0 or array.max() >= size:
        raise ValueError(f"{what} must lie in [0, {size})")
    return array.astype(np.intp, copy=False)


def _ages(ages_days: ArrayLike, n_cases: int) -> NDArray[np.float64]:
    ages = _as_float(ages_days, "ages_days")
    if ages.shape[0] != n_cases:
        raise ValueError("ages_days must have one entry per case")
    # A negative age is a case from the future: the loader's cut-off is wrong, and a weight
    # above 1 would hide it.
    if ages.size and ages.min() < 0:
        raise ValueError("ages_days must be non-negative (only cases before the cut-off)")
    return ages


def decay_weights(ages_days: ArrayLike, *, half_life_days: float) -> NDArray[np.float64]:
    """Each case's weight: 1 at age 0, halving every `half_life_days`."""
    if not half_life_days > 0:
        raise ValueError("half_life_days must be positive")
    ages = _as_float(ages_days, "ages_days")
    return np.exp(-_LN2 * ages / half_life_days)


def effective_window_days(*, half_life_days: float, lookback_days: float) -> float:
    """W = ∫₀ᴸ 2^(−a/h) da: the weighted sum a steady one-case-a-day cell reaches."""
    if not half_life_days > 0 or not lookback_days > 0:
        raise ValueError("half_life_days and lookback_days must be positive")
    return half_life_days / _LN2 * -math.expm1(-_LN2 * lookback_days / half_life_days)


def recency_weighted_counts(
    cell_index: ArrayLike, ages_days: ArrayLike, *, n_cells: int, half_life_days: float
) -> NDArray[np.float64]:
    """Σ w per cell; `cell_index[i]` is case i's cell position in [0, n_cells)."""
    cells = _as_index(cell_index, n_cells, "cell_index")
    weights = decay_weights(_ages(ages_days, cells.shape[0]), half_life_days=half_life_days)
    return np.bincount(cells, weights=weights, minlength=n_cells).astype(np.float64, copy=False)


def recency_scores(
    cell_index: ArrayLike,
    ages_days: ArrayLike,
    *,
    n_cells: int,
    half_life_days: float,
    lookback_days: float,
    horizon_days: float,
) -> NDArray[np.float64]:
    """recency_v1: cases expected per cell over the next `horizon_days` (module docstring).

    `ages_days` must only hold cases younger than `lookback_days`; the normalisation
    assumes the window the loader used."""
    if not horizon_days > 0:
        raise ValueError("horizon_days must be positive")
    ages = _as_float(ages_days, "ages_days")
    if ages.size and ages.max() > lookback_days:
        raise ValueError("ages_days must not exceed lookback_days")
    weighted = recency_weighted_counts(cell_index, ages, n_cells=n_cells, half_life_days=half_life_days)
    window = effective_window_days(half_life_days=half_life_days, lookback_days=lookback_days)
    return weighted * (horizon_days / window)


def per_thousand_households(scores: ArrayLike, households: ArrayLike) -> NDArray[np.float64]:
    """Scores per 1,000 households; NaN where households are unknown (stored as 0).

    Not used for levels: a ranking that mixes rates and raw counts (cells without household
    data) would be meaningless, and patrols go where the cases are, not where the rate is."""
    values = _as_float(scores, "scores")
    homes = _as_float(households, "households")
    if homes.shape != values.shape:
        raise ValueError("households must have one entry per cell")
    out = np.full(values.shape, np.nan)
    known = homes > 0
    out[known] = values[known] * 1000.0 / homes[known]
    return out


def _level_scores(scores: ArrayLike) -> NDArray[np.float64]:
    values = _as_float(scores, "scores")
    if values.size and values.min() < 0:
        raise ValueError("scores must be non-negative")
    return values


def levels_by_share(scores: ArrayLike, shares: Mapping[str, float] = DEFAULT_LEVEL_SHARES) -> NDArray[np.str_]:
    """Relative levels: the top `shares["red"]` of the cells with a non-zero score are red,
    the next `shares["orange"]` orange, the next `shares["yellow"]` yellow, the rest blue.
    A cell scoring 0 is always blue.

    A level never holds more cells than its share allows (rounded down): red and orange
    create patrol tasks, so the share is a workload budget. Equal scores always get the
    same level, so a tie group that would overflow a level drops whole to the next one; the
    answer never depends on row order."""
    values = _level_scores(scores)
    _check_shares(shares)
    out = np.full(values.shape, BLUE, dtype="<U6")
    positive = values > 0
    n = int(np.count_nonzero(positive))
    if n == 0:
        return out
    ranked = np.sort(values[positive])
    # How many non-zero cells score at least this much: the tie group's worst rank.
    at_least = n - np.searchsorted(ranked, values, side="left")
    cumulative = 0.0
    budgets: list[tuple[str, int]] = []
    for level in _RANKED_LEVELS:
        cumulative += shares.get(level, 0.0)
        # The epsilon stops 0.02 + 0.05 = 0.07000000000000001 from adding a cell.
        budgets.append((level, math.floor(cumulative * n + 1e-9)))
    # Lowest level first, so a higher level overwrites it.
    for level, budget in reversed(budgets):
        out[positive & (at_least <= budget)] = level
    return out


def levels_by_threshold(scores: ArrayLike, thresholds: Mapping[str, float]) -> NDArray[np.str_]:
    """Fixed levels: a score at or above `thresholds["red"]` is red, and so on down; below
    `thresholds["yellow"]`, or 0, is blue. Thresholds are in score units (expected cases
    in the horizon), so they stay meaningful when the half-life changes."""
    values = _level_scores(scores)
    _check_thresholds(thresholds)
    out = np.full(values.shape, BLUE, dtype="<U6")
    positive = values > 0
    for level in reversed(_RANKED_LEVELS):
        out[positive & (values >= thresholds[level])] = level
    return out


def assign_levels(
    scores: ArrayLike,
    *,
    shares: Mapping[str, float] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> NDArray[np.str_]:
    """Fixed thresholds when a city configured them, otherwise shares (default 2/5/13%)."""
    if thresholds is not None:
        return levels_by_threshold(scores, thresholds)
    return levels_by_share(scores, DEFAULT_LEVEL_SHARES if shares is None else shares)


def _check_shares(shares: Mapping[str, float]) -> None:
    unknown = set(shares) - set(_RANKED_LEVELS)
    if unknown:
        raise ValueError(f"level shares name unknown levels: {sorted(unknown)}")
    if any(not 0 <= share <= 1 for share in shares.values()) or sum(shares.values()) > 1 + 1e-9:
        raise ValueError("level shares must each lie in [0, 1] and add up to at most 1")


def _check_thresholds(thresholds: Mapping[str, float]) -> None:
    if set(thresholds) != set(_RANKED_LEVELS):
        raise ValueError(f"thresholds must name exactly {list(_RANKED_LEVELS)}")
    red, orange, yellow = (thresholds[level] for level in _RANKED_LEVELS)
    if not (red >= orange >= yellow > 0):
        raise ValueError("thresholds must satisfy red >= orange >= yellow > 0")


def top_factors(
    cell_index: ArrayLike,
    ages_days: ArrayLike,
    category_index: ArrayLike,
    *,
    n_cells: int,
    category_codes: Sequence[str],
    half_life_days: float,
    per_1000_households: ArrayLike | None = None,
    windows_days: Sequence[int] = FACTOR_WINDOWS_DAYS,
) -> list[list[Factor]]:
    """Each cell's explanation, in a fixed order the UI can rely on:

    - ``cases_7d``, ``cases_30d``, ``cases_90d``: cases younger than 7/30/90 days;
    - ``top_category``: code of the top-level category with the largest weighted share of
      the score, and ``top_category_share`` that share (0–1); only for cells with cases;
      equal shares go to the category listed first in `category_codes`;
    - ``per_1000_households``: the score per 1,000 households, when households are known.

    `category_index[i]` is case i's top-level category position in `category_codes`."""
    cells = _as_index(cell_index, n_cells, "cell_index")
    ages = _ages(ages_days, cells.shape[0])
    n_categories = len(category_codes)
    categories = _as_index(category_index, n_categories, "category_index")
    if categories.shape[0] != cells.shape[0]:
        raise ValueError("category_index must have one entry per case")
    counts = [np.bincount(cells[ages < days], minlength=n_cells) for days in windows_days]

    has_category = np.zeros(n_cells, dtype=bool)
    top = np.zeros(n_cells, dtype=np.intp)
    share = np.zeros(n_cells)
    if n_categories and cells.size:
        weights = decay_weights(ages, half_life_days=half_life_days)
        # Dense cells × categories: 10,000 cells × a few dozen top-level categories is small.
        by_category = np.bincount(
            cells * n_categories + categories, weights=weights, minlength=n_cells * n_categories
        ).reshape(n_cells, n_categories)
        totals = by_category.sum(axis=1)
        has_category = totals > 0
        top = np.argmax(by_category, axis=1)  # argmax takes the first of equals
        share[has_category] = by_category[has_category, top[has_category]] / totals[has_category]

    rates: NDArray[np.float64] | None = None
    if per_1000_households is not None:
        rates = np.asarray(per_1000_households, dtype=np.float64)
        if rates.shape != (n_cells,):
            raise ValueError("per_1000_households must have one entry per cell")

    window_counts = [c.tolist() for c in counts]
    keys = [f"cases_{days}d" for days in windows_days]
    has_list, top_list, share_list = has_category.tolist(), top.tolist(), share.tolist()
    rate_list = rates.tolist() if rates is not None else None
    result: list[list[Factor]] = []
    for cell in range(n_cells):
        factors: list[Factor] = [
            {"factor": key, "value": int(column[cell])} for key, column in zip(keys, window_counts, strict=True)
        ]
        if has_list[cell]:
            factors.append({"factor": "top_category", "value": category_codes[top_list[cell]]})
            factors.append({"factor": "top_category_share", "value": round(share_list[cell], 3)})
        if rate_list is not None and not math.isnan(rate_list[cell]):
            factors.append({"factor": "per_1000_households", "value": round(rate_list[cell], 4)})
        result.append(factors)
    return result
