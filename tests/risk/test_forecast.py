"""The recency_v1 model, levels and factors on plain arrays: no database."""

from __future__ import annotations

import json

import numpy as np
import pytest

from risk import forecast
from risk.models import RiskScore


def test_weight_halves_at_each_half_life():
    weights = forecast.decay_weights([0.0, 30.0, 60.0, 90.0], half_life_days=30.0)
    np.testing.assert_allclose(weights, [1.0, 0.5, 0.25, 0.125])


def test_weight_depends_on_half_life():
    assert forecast.decay_weights([7.0], half_life_days=7.0)[0] == pytest.approx(0.5)
    assert forecast.decay_weights([7.0], half_life_days=14.0)[0] == pytest.approx(2**-0.5)


def test_weighted_counts_sum_per_cell_and_leave_empty_cells_zero():
    counts = forecast.recency_weighted_counts([0, 0, 2], [0.0, 10.0, 20.0], n_cells=4, half_life_days=10.0)
    np.testing.assert_allclose(counts, [1.5, 0.0, 0.25, 0.0])


def test_more_cases_score_higher_and_recent_cases_score_higher():
    # cell 0: three old cases; cell 1: one old case; cell 2: one fresh case; cell 3: none.
    cells = [0, 0, 0, 1, 2]
    ages = [60.0, 60.0, 60.0, 60.0, 1.0]
    scores = forecast.recency_scores(cells, ages, n_cells=4, half_life_days=30.0, lookback_days=365, horizon_days=7)
    assert scores[0] > scores[1]
    assert scores[2] > scores[1]
    assert scores[3] == 0.0
    assert np.argsort(-scores).tolist() == [2, 0, 1, 3]  # one fresh case outweighs three at 2 half-lives


def test_steady_rate_expects_rate_times_horizon_cases():
    # A case every half day over the whole year (ages 0, 0.5, …): 2 a day, 14 a week.
    ages = np.arange(0.0, 365.0, 0.5)
    scores = forecast.recency_scores(
        np.zeros(ages.size, dtype=np.int64), ages, n_cells=1, half_life_days=30.0, lookback_days=365, horizon_days=7
    )
    assert scores[0] == pytest.approx(14.0, rel=0.01)


def test_score_scales_with_horizon():
    kwargs = {"n_cells": 2, "half_life_days": 30.0, "lookback_days": 365}
    week = forecast.recency_scores([0, 1], [3.0, 40.0], horizon_days=7, **kwargs)
    fortnight = forecast.recency_scores([0, 1], [3.0, 40.0], horizon_days=14, **kwargs)
    np.testing.assert_allclose(fortnight, 2 * week)


def test_no_cases_scores_zero_everywhere():
    empty = np.zeros(0, dtype=np.int64)
    scores = forecast.recency_scores(empty, [], n_cells=3, half_life_days=30.0, lookback_days=365, horizon_days=7)
    np.testing.assert_array_equal(scores, [0.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("cells", "ages", "message"),
    [
        ([0, 5], [1.0, 1.0], "cell_index"),
        ([0], [-1.0], "non-negative"),
        ([0], [400.0], "lookback"),
        ([0, 1], [1.0], "one entry per case"),
        ([0.0], [1.0], "integer"),
    ],
)
def test_bad_input_is_refused(cells, ages, message):
    with pytest.raises(ValueError, match=message):
        forecast.recency_scores(cells, ages, n_cells=2, half_life_days=30.0, lookback_days=365, horizon_days=7)


def test_per_thousand_households_is_nan_where_unknown():
    rates = forecast.per_thousand_households([3.0, 3.0, 0.0], [300, 0, 1500])
    assert rates[0] == pytest.approx(10.0)
    assert np.isnan(rates[1])
    assert rates[2] == 0.0


def test_level_names_match_the_model_choices():
    assert set(forecast.LEVELS) == set(RiskScore.Level.values)


def test_default_shares_give_2_5_13_percent_of_nonzero_cells():
    scores = np.concatenate([np.arange(100, 0, -1, dtype=float), np.zeros(50)])
    levels = forecast.levels_by_share(scores)
    assert levels[:2].tolist() == ["red"] * 2
    assert levels[2:7].tolist() == ["orange"] * 5
    assert levels[7:20].tolist() == ["yellow"] * 13
    assert set(levels[20:].tolist()) == {"blue"}  # the other 80 non-zero and the 50 zeros


def test_levels_do_not_depend_on_row_order():
    rng = np.random.default_rng(7)
    scores = rng.gamma(0.5, 2.0, size=1000)
    order = rng.permutation(scores.size)
    np.testing.assert_array_equal(forecast.levels_by_share(scores)[order], forecast.levels_by_share(scores[order]))


def test_all_zero_scores_are_all_blue():
    assert forecast.levels_by_share(np.zeros(5)).tolist() == ["blue"] * 5
    assert forecast.levels_by_share(np.zeros(0)).tolist() == []
    thresholds = {"red": 3.0, "orange": 2.0, "yellow": 1.0}
    assert forecast.levels_by_threshold(np.zeros(3), thresholds).tolist() == ["blue"] * 3


def test_ties_share_a_level_and_an_overflowing_tie_drops_whole():
    # 100 non-zero cells: budget 2 red, 7 red+orange. Three cells tie at the top: they can
    # not all be red, so all three drop to orange rather than splitting by row order.
    scores = np.concatenate([[9.0, 9.0, 9.0], np.linspace(5.0, 1.0, 97)])
    levels = forecast.levels_by_share(scores)
    assert levels[:3].tolist() == ["orange"] * 3
    assert "red" not in levels.tolist()
    assert levels[3:7].tolist() == ["orange"] * 4
    assert levels[7] == "yellow"


def test_tie_inside_a_level_keeps_it():
    scores = np.concatenate([[9.0, 9.0], np.linspace(5.0, 1.0, 98)])
    assert forecast.levels_by_share(scores)[:2].tolist() == ["red", "red"]


def test_small_town_gets_no_level_its_share_cannot_hold():
    # 6 cells: 2% and 7% of 6 round down to 0 cells, 20% to 1: only the top cell is yellow.
    levels = forecast.levels_by_share([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    assert levels.tolist() == ["yellow"] + ["blue"] * 5


def test_custom_shares():
    levels = forecast.levels_by_share([4.0, 3.0, 2.0, 1.0], {"red": 0.25, "orange": 0.25, "yellow": 0.25})
    assert levels.tolist() == ["red", "orange", "yellow", "blue"]


def test_fixed_thresholds_are_inclusive():
    thresholds = {"red": 3.0, "orange": 2.0, "yellow": 1.0}
    levels = forecast.levels_by_threshold([3.0, 2.5, 2.0, 1.0, 0.99, 0.0], thresholds)
    assert levels.tolist() == ["red", "orange", "orange", "yellow", "blue", "blue"]


def test_assign_levels_prefers_fixed_thresholds():
    thresholds = {"red": 10.0, "orange": 5.0, "yellow": 1.0}
    assert forecast.assign_levels([4.0, 3.0, 2.0, 1.0], thresholds=thresholds).tolist() == ["yellow"] * 4
    assert forecast.assign_levels([4.0, 3.0], shares={"red": 0.5}).tolist() == ["red", "blue"]


@pytest.mark.parametrize(
    ("shares", "thresholds"),
    [
        ({"red": 0.6, "orange": 0.6}, None),
        ({"purple": 0.1}, None),
        ({"red": -0.1}, None),
        (None, {"red": 1.0, "orange": 2.0, "yellow": 0.5}),
        (None, {"red": 3.0, "orange": 2.0}),
        (None, {"red": 3.0, "orange": 2.0, "yellow": 0.0}),
    ],
)
def test_bad_level_policy_is_refused(shares, thresholds):
    with pytest.raises(ValueError):
        forecast.assign_levels([1.0], shares=shares, thresholds=thresholds)


def test_negative_scores_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        forecast.levels_by_share([1.0, -1.0])


def _factors_by_key(factors):
    return {f["factor"]: f["value"] for f in factors}


def test_factors_count_windows_and_name_the_top_category():
    cells = np.array([0, 0, 0, 0, 1])
    ages = np.array([1.0, 10.0, 50.0, 200.0, 100.0])
    categories = np.array([1, 1, 0, 0, 0])
    factors = forecast.top_factors(
        cells, ages, categories, n_cells=3, category_codes=["01", "03"], half_life_days=30.0,
        per_1000_households=np.array([2.5, np.nan, 0.0]),
    )
    first = _factors_by_key(factors[0])
    assert [f["factor"] for f in factors[0]] == [
        "cases_7d", "cases_30d", "cases_90d", "top_category", "top_category_share", "per_1000_households",
    ]
    assert (first["cases_7d"], first["cases_30d"], first["cases_90d"]) == (1, 2, 3)
    # Two fresh "03" cases outweigh two older "01" cases.
    assert first["top_category"] == "03"
    w = forecast.decay_weights(ages[:4], half_life_days=30.0)
    assert first["top_category_share"] == pytest.approx(w[:2].sum() / w.sum(), abs=1e-3)
    assert first["per_1000_households"] == 2.5

    second = _factors_by_key(factors[1])
    assert (second["cases_7d"], second["cases_90d"], second["top_category"]) == (0, 0, "01")
    assert second["top_category_share"] == 1.0
    assert "per_1000_households" not in second  # households unknown

    assert factors[2] == [
        {"factor": "cases_7d", "value": 0},
        {"factor": "cases_30d", "value": 0},
        {"factor": "cases_90d", "value": 0},
        {"factor": "per_1000_households", "value": 0.0},
    ]


def test_equal_category_weights_go_to_the_first_code():
    factors = forecast.top_factors([0, 0], [5.0, 5.0], [1, 0], n_cells=1, category_codes=["01", "02"], half_life_days=30.0)
    assert _factors_by_key(factors[0])["top_category"] == "01"


def test_factors_are_json_plain():
    factors = forecast.top_factors(
        np.array([0]), np.array([3.0]), np.array([0]), n_cells=1, category_codes=["01"], half_life_days=30.0,
        per_1000_households=np.array([1.23456789]),
    )
    assert json.loads(json.dumps(factors)) == factors
    assert all(type(f["value"]) in (int, float, str) for f in factors[0])
