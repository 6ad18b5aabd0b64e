"""Tier algorithms, RFM scores and scheme parameter validation (no database)."""

import numpy as np
import pytest

from kehu.scoring import metrics, schemes

PYRAMID_SHARES = [0.01, 0.05, 0.20]


def ranks_to_codes(ranks, codes=("A", "B", "C", "D")):
    return [codes[r] for r in ranks]


def test_pyramid_on_1000_customers_takes_1_5_20_percent():
    values = np.arange(1000, 0, -1, dtype=float)  # distinct, best first
    ranks = schemes.pyramid_ranks(values, PYRAMID_SHARES)
    assert np.bincount(ranks).tolist() == [10, 40, 150, 800]
    assert ranks[:10].tolist() == [0] * 10 and ranks[10] == 1 and ranks[49] == 1 and ranks[50] == 2


def test_pyramid_ties_are_never_split_and_go_to_the_better_tier():
    values = np.array([500.0] * 3 + [100.0] * 97)  # three tied at the top of 100 customers
    ranks = schemes.pyramid_ranks(values, PYRAMID_SHARES)
    # 1 % of 100 is one customer, but the three tied customers share the top rank: all three are A
    assert ranks[:3].tolist() == [0, 0, 0]
    # everyone else is tied at rank 4 (<= 5, the B quota): all B
    assert set(ranks[3:].tolist()) == {1}


def test_pyramid_tie_straddling_the_c_boundary():
    values = np.concatenate([np.arange(200, 181, -1, dtype=float), [50.0] * 5, np.ones(76)])  # 100 customers
    ranks = schemes.pyramid_ranks(values, PYRAMID_SHARES)
    # ranks 1..19 distinct; the five 50s share rank 20 (<= 20, the C quota) so all five are C, 24 in A-C together
    assert ranks_to_codes(ranks[:1]) == ["A"]
    assert ranks_to_codes(ranks[1:5]) == ["B"] * 4
    assert ranks_to_codes(ranks[5:24]) == ["C"] * 19
    assert set(ranks[24:].tolist()) == {3}


def test_pyramid_tiny_population_keeps_quotas_rounded_down():
    # 50 customers: 1 % is half a customer (no A), 5 % is 2.5 (two B), 20 % is 10 (eight C)
    ranks = schemes.pyramid_ranks(np.arange(50, 0, -1, dtype=float), PYRAMID_SHARES)
    assert np.bincount(ranks, minlength=4).tolist() == [0, 2, 8, 40]
    # 5 customers: no A, no B, one C
    ranks = schemes.pyramid_ranks(np.array([5.0, 4, 3, 2, 1]), PYRAMID_SHARES)
    assert ranks_to_codes(ranks) == ["C", "D", "D", "D", "D"]
    # a single customer is the whole population: 20 % of one customer rounds down to nobody
    assert ranks_to_codes(schemes.pyramid_ranks(np.array([1000.0]), PYRAMID_SHARES)) == ["D"]


def test_pyramid_customers_without_spend_are_never_above_the_last_tier():
    values = np.array([0.0] * 95 + [10.0, 20, 30, 40, 50])
    ranks = schemes.pyramid_ranks(values, PYRAMID_SHARES, population="all")
    assert set(ranks[:95].tolist()) == {3}
    # population "all": N = 100, so B (to 5 %) holds five: the five buyers
    assert ranks_to_codes(ranks[95:]) == ["B", "B", "B", "B", "A"]
    # population "buyers" (default): N = 5, only the top one reaches C (20 % of 5)
    ranks = schemes.pyramid_ranks(values, PYRAMID_SHARES)
    assert ranks_to_codes(ranks[95:]) == ["D", "D", "D", "D", "C"]


def test_thresholds_take_the_first_tier_reached():
    minimums = [50000, 10000, 2000]
    values = np.array([60000, 50000, 49999.99, 10000, 2000, 1999, 0, np.nan])
    codes = ranks_to_codes(schemes.threshold_ranks(values, minimums), ("platinum", "gold", "silver", "regular"))
    assert codes == ["platinum", "platinum", "gold", "gold", "silver", "regular", "regular", "regular"]


def test_matrix_quadrants_cut_at_the_median_of_buyers():
    x = np.array([10.0, 20, 30, 40, 0])
    y = np.array([0.4, 0.1, 0.3, 0.2, 0.9])
    eligible = x > 0
    x_cut = schemes.axis_cut(x, eligible, {"method": "median"})
    y_cut = schemes.axis_cut(y, eligible, {"method": "median"})
    assert (x_cut, y_cut) == (25.0, 0.25)
    ranks = schemes.matrix_ranks(x, y, eligible, x_cut, y_cut)
    assert [schemes.MATRIX_CODES[r] for r in ranks] == ["LH", "LL", "HH", "HL", "LL"]


def test_matrix_cut_methods():
    values = np.array([1.0, 2, 3, 4, 100])
    everyone = np.ones(5, dtype=bool)
    assert schemes.axis_cut(values, everyone, {"method": "mean"}) == 22.0
    assert schemes.axis_cut(values, everyone, {"method": "quantile", "q": 0.75}) == 4.0
    assert schemes.axis_cut(values, everyone, {"method": "value", "value": 7}) == 7.0


def test_rfm_scores_by_quintiles_with_ties_sharing_a_score():
    recency = np.array([1.0, 10, 20, 30, 40, 50, 60, 70, 80, 90, np.inf])
    frequency = np.array([1.0, 1, 1, 1, 1, 2, 2, 3, 5, 8, 0])
    monetary = np.array([10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0])
    bought = np.array([True] * 10 + [False])
    result = metrics.rfm_scores(recency, frequency, monetary, bought)
    # recency quintile cuts of the ten buyers: 18, 36, 54, 72 (linear): the two most recent get 5
    assert result["r"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0]
    # frequency: half the buyers have one purchase day; equal values always share a score
    assert result["f"].tolist()[:5] == [1] * 5
    assert result["f"].tolist()[5:10] == [3, 3, 4, 5, 5]
    assert result["m"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0]
    assert result["segment"].tolist() == [
        "new", "new", "promising", "promising", "about_to_sleep", "need_attention", "at_risk", "at_risk",
        "cannot_lose", "cannot_lose", "",
    ]


def test_rfm_configured_cut_points():
    result = metrics.rfm_scores(
        np.array([5.0, 30, 31, 400]), np.array([1.0, 2, 6, 12]), np.array([100.0, 1000, 5000, 20000]),
        np.ones(4, dtype=bool), recency_cuts=[30, 90, 180, 365], frequency_cuts=[1, 2, 5, 10],
        monetary_cuts=[500, 2000, 5000, 10000],
    )
    assert result["r"].tolist() == [5, 5, 4, 1]
    assert result["f"].tolist() == [1, 2, 4, 5]
    assert result["m"].tolist() == [1, 2, 3, 5]


def test_percentile_rank_ties_and_ineligible():
    ranks = schemes.percentile_rank(np.array([1.0, 2, 2, 3, 9]), np.array([True, True, True, True, False]))
    assert ranks[:4].tolist() == [0.125, 0.5, 0.5, 0.875]
    assert np.isnan(ranks[4])


def test_pareto_curve_reports_share_of_customers_for_80_percent():
    values = np.array([80.0, 10, 5, 3, 2, 0, 0, 0, 0, 0])
    curve = metrics.pareto_curve(values, points=10)
    assert curve["customers_for_80"] == 0.1
    assert curve["top_20_share"] == pytest.approx(0.9)
    assert curve["value_share"][0] == 0.0 and curve["value_share"][-1] == pytest.approx(1.0)


def test_histogram_has_an_open_bin_above_the_99th_percentile():
    values = np.concatenate([np.linspace(0, 99, 100), [10_000.0]])
    result = metrics.histogram(values, bins=10)
    assert sum(result["counts"]) + result["overflow"] == 101
    assert result["overflow"] >= 1


@pytest.mark.parametrize("kind", list(schemes.DEFAULT_PARAMETERS))
def test_default_parameters_are_valid(kind):
    assert schemes.validate_parameters(kind, schemes.default_parameters(kind)) == []


@pytest.mark.parametrize(("kind", "change", "fragment"), [
    ("pyramid", {"measure": "colour"}, "measure"),
    ("pyramid", {"window_days": 0}, "window_days"),
    ("pyramid", {"tiers": [{"code": "A", "label": "A", "share": 0.3}, {"code": "B", "label": "B", "share": 0.1},
                           {"code": "C", "label": "C"}]}, "share"),
    ("pyramid", {"tiers": [{"code": "A", "label": "A", "share": 0.3}]}, "at least two"),
    ("thresholds", {"tiers": [{"code": "x", "label": "X", "min": 10}, {"code": "y", "label": "Y", "min": 20},
                              {"code": "z", "label": "Z"}]}, "decreasing"),
    ("thresholds", {"tiers": [{"code": "x", "label": "X", "min": 10}, {"code": "x", "label": "Y"}]}, "twice"),
    ("matrix_sales_margin", {"x": {"measure": "amount", "cut": {"method": "quantile", "q": 2}}}, "quantile"),
    ("matrix_sales_margin", {"tiers": [{"code": "A", "label": "A"}, {"code": "B", "label": "B"}]}, "HH"),
    ("weighted_score", {"weights": {"profit": -1}}, "weights"),
    ("weighted_score", {"weights": {"charm": 1}}, "unknown"),
    ("pyramid", {"alert_tiers": ["Z"]}, "alert_tiers"),
])
def test_invalid_parameters_are_explained(kind, change, fragment):
    parameters = {**schemes.default_parameters(kind), **change}
    errors = schemes.validate_parameters(kind, parameters)
    assert errors and any(fragment in message for message in errors), errors
