"""The tier algorithms, database-free and vectorised with numpy: every function takes whole columns (one entry per
customer) and returns whole columns. ``services.py`` reads the per-customer summary from SQL, builds a
:class:`Population` and asks each scheme (:func:`assign`) for its tiers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .parameters import (
    DEFAULT_LOYALTY_WEIGHTS,
    DEFAULT_VALUE_WEIGHTS,
    MATRIX_CODES,
    MATRIX_KINDS,
    PYRAMID,
    THRESHOLDS,
    WEIGHTED_SCORE,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------- scheme definition


@dataclass(frozen=True)
class TierDefinition:
    code: str
    label: str
    rank: int  # 0 is the best tier


@dataclass
class SchemeDefinition:
    """What the tiering needs of a ``TierScheme`` (built by ``services`` from the model)."""

    id: int
    name: str
    kind: str
    parameters: dict[str, Any]
    is_primary: bool = False
    tiers: list[TierDefinition] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.tiers:
            tiers = self.parameters.get("tiers", [])
            if self.kind in MATRIX_KINDS:
                by_code = {t["code"]: t for t in tiers}
                tiers = [by_code[code] for code in MATRIX_CODES]
            self.tiers = [TierDefinition(t["code"], t["label"], rank) for rank, t in enumerate(tiers)]

    @property
    def window_days(self) -> int:
        return int(self.parameters.get("window_days", 365))

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.tiers]

    @property
    def alert_ranks(self) -> set[int]:
        codes = self.parameters.get("alert_tiers")
        if codes is None:
            codes = ["HH"] if self.kind in MATRIX_KINDS else self.codes[:1]
        return {t.rank for t in self.tiers if t.code in codes}

    @property
    def alert_on_fall(self) -> bool:
        return bool(self.parameters.get("alert_on_fall", True))

    def windows(self) -> set[int]:
        return {self.window_days}


# --------------------------------------------------------------------------- population


@dataclass
class Population:
    """Per-customer columns a run works on (index ``i`` is the same customer in every array).

    ``amount[w]`` / ``margin[w]``: spend and gross margin in the last ``w`` days; ``share_of_wallet`` is NaN where
    not recorded; ``clv`` / ``expected_purchases`` NaN where not estimated.
    """

    customer_id: IntArray
    has_purchase: NDArray[np.bool_]
    amount: dict[int, FloatArray]
    margin: dict[int, FloatArray]
    total_amount: FloatArray
    growth: FloatArray
    tenure_days: FloatArray
    recency_days: FloatArray
    repeat_purchases: FloatArray
    share_of_wallet: FloatArray
    clv: FloatArray
    expected_purchases: FloatArray
    value_score: FloatArray
    loyalty_score: FloatArray

    def __len__(self) -> int:
        return int(self.customer_id.shape[0])

    def measure(self, name: str, window_days: int, scheme: SchemeDefinition | None = None) -> FloatArray:
        """The named measure per customer (NaN where a customer has no figure)."""
        if name == "amount":
            return self.amount[window_days]
        if name == "margin":
            return self.margin[window_days]
        if name == "margin_rate":
            amount = self.amount[window_days]
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(amount > 0, self.margin[window_days] / amount, 0.0)
        if name == "loyalty_score" and scheme is not None and "loyalty_weights" in scheme.parameters:
            return loyalty_score(self, scheme.parameters["loyalty_weights"])
        if name == "value_score" and scheme is not None and "weights" in scheme.parameters:
            return value_score(self, scheme.parameters["weights"], window_days)
        return np.asarray(getattr(self, name), dtype=np.float64)


def percentile_rank(values: FloatArray, eligible: NDArray[np.bool_]) -> FloatArray:
    """Mid-rank percentile in [0, 1] of each eligible, finite value among them (ties share the average rank);
    NaN elsewhere. A single eligible customer gets 0.5."""
    out = np.full(values.shape[0], np.nan)
    mask = eligible & np.isfinite(values)
    n = int(mask.sum())
    if n:
        from scipy import stats  # imported on first use: a command that ranks nothing does not load scipy

        out[mask] = (stats.rankdata(values[mask], method="average") - 0.5) / n
    return out


def _weighted_mean(components: dict[str, FloatArray], weights: Mapping[str, float], n: int) -> FloatArray:
    """Weighted mean over the components a customer has (NaN components left out, weights rescaled)."""
    total = np.zeros(n)
    weight_sum = np.zeros(n)
    for name, weight in weights.items():
        values = components.get(name)
        if values is None or not weight:
            continue
        present = np.isfinite(values)
        total += np.where(present, values, 0.0) * float(weight)
        weight_sum += present * float(weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weight_sum > 0, total / weight_sum, np.nan)


def loyalty_score(population: Population, weights: Mapping[str, float] | None = None) -> FloatArray:
    """Loyalty 0–100 from repurchase rate, tenure, recency and share of wallet (0 for customers who never bought).

    Repurchase rate is repeat purchase days per year of tenure (at least 30 days); each behavioural component is
    its percentile rank among the customers who bought (recency reversed: more recent is more loyal); share of
    wallet is the recorded percentage.
    """
    buyers = population.has_purchase
    with np.errstate(divide="ignore", invalid="ignore"):
        repurchase = population.repeat_purchases / np.maximum(population.tenure_days, 30.0) * 365.0
    components = {
        "repurchase": percentile_rank(repurchase, buyers),
        "tenure": percentile_rank(population.tenure_days, buyers),
        "recency": percentile_rank(-population.recency_days, buyers),
        "share_of_wallet": np.where(buyers, population.share_of_wallet / 100.0, np.nan),
    }
    score = 100.0 * _weighted_mean(components, weights or DEFAULT_LOYALTY_WEIGHTS, len(population))
    return np.where(buyers, np.nan_to_num(score, nan=0.0), 0.0)


def value_score(population: Population, weights: Mapping[str, float] | None = None,
                window_days: int = 365) -> FloatArray:
    """Value 0–100 from profit (margin in the window), share of wallet, growth and lifetime value (seed 000's
    客户利润、客户份额、发展潜力); 0 for customers who never bought."""
    buyers = population.has_purchase
    components = {
        "profit": percentile_rank(population.margin[window_days], buyers),
        "share_of_wallet": np.where(buyers, population.share_of_wallet / 100.0, np.nan),
        "growth": percentile_rank(population.growth, buyers),
        "clv": percentile_rank(population.clv, buyers),
    }
    score = 100.0 * _weighted_mean(components, weights or DEFAULT_VALUE_WEIGHTS, len(population))
    return np.where(buyers, np.nan_to_num(score, nan=0.0), 0.0)


# --------------------------------------------------------------------------- tier algorithms


def pyramid_ranks(values: FloatArray, shares: list[float], population: str = "buyers") -> IntArray:
    """Tier rank per customer (0 = top) for a pyramid with cumulative ``shares`` (one per tier but the last).

    Population N = customers with a positive value (``buyers``) or everyone (``all``). Tier k may hold the customers
    whose competition rank (1 + number of customers with a strictly greater value) is at most ``floor(share_k × N)``:
    ties are never split and go to the better tier; a tier whose quota rounds down to zero is empty.
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    eligible = values > 0
    n = int(eligible.sum()) if population == "buyers" else int(values.shape[0])
    ranks = np.full(values.shape[0], len(shares), dtype=np.int64)
    if not eligible.any():
        return ranks
    sorted_values = np.sort(values[eligible])
    competition = 1 + (sorted_values.shape[0] - np.searchsorted(sorted_values, values[eligible], side="right"))
    limits = np.floor(np.asarray(shares, dtype=np.float64) * n + 1e-9)
    ranks[eligible] = np.searchsorted(limits, competition, side="left")
    return ranks


def threshold_ranks(values: FloatArray, minimums: list[float]) -> IntArray:
    """Tier rank per customer: the first tier whose minimum the value reaches (minimums decreasing)."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=-np.inf)
    ascending = np.asarray(sorted(minimums), dtype=np.float64)
    return (ascending.shape[0] - np.searchsorted(ascending, values, side="right")).astype(np.int64)


def axis_cut(values: FloatArray, eligible: NDArray[np.bool_], cut: Mapping[str, Any]) -> float:
    """The cut value of a matrix axis (computed over the eligible customers for median/mean/quantile)."""
    method = cut.get("method", "median")
    if method == "value":
        return float(cut["value"])
    sample = values[eligible & np.isfinite(values)]
    if sample.shape[0] == 0:
        return math.inf
    if method == "mean":
        return float(sample.mean())
    q = 0.5 if method == "median" else float(cut["q"])
    return float(np.quantile(sample, q))


def matrix_ranks(x: FloatArray, y: FloatArray, eligible: NDArray[np.bool_], x_cut: float,
                 y_cut: float) -> IntArray:
    """Quadrant rank per customer: 0 HH, 1 HL, 2 LH, 3 LL (first letter x); non-eligible customers are LL."""
    x_high = eligible & (np.nan_to_num(x, nan=-np.inf) >= x_cut)
    y_high = eligible & (np.nan_to_num(y, nan=-np.inf) >= y_cut)
    return ((~x_high).astype(np.int64) * 2 + (~y_high).astype(np.int64)).astype(np.int64)


@dataclass
class SchemeResult:
    ranks: IntArray
    values: FloatArray  # the measure (or score) the tier was decided on, per customer
    figures: dict[str, Any] = field(default_factory=dict)  # cut points and the like, for the run record


def assign(scheme: SchemeDefinition, population: Population) -> SchemeResult:
    """The tiers of every customer under ``scheme``."""
    parameters = scheme.parameters
    window = scheme.window_days
    tiers = parameters["tiers"] if scheme.kind not in MATRIX_KINDS else []
    if scheme.kind == PYRAMID:
        values = population.measure(parameters["measure"], window, scheme)
        shares = [float(t["share"]) for t in tiers[:-1]]
        ranks = pyramid_ranks(values, shares, parameters.get("population", "buyers"))
        lowest = [float(np.min(values[ranks == k])) if np.any(ranks == k) else None for k in range(len(shares))]
        return SchemeResult(ranks, values, {"lowest_value_per_tier": lowest})
    if scheme.kind in (THRESHOLDS, WEIGHTED_SCORE):
        if scheme.kind == THRESHOLDS:
            values = population.measure(parameters["measure"], window, scheme)
        else:
            values = value_score(population, parameters.get("weights"), window)
        minimums = [float(t["min"]) for t in tiers[:-1]]
        return SchemeResult(threshold_ranks(values, minimums), values, {"minimums": minimums})
    x_spec, y_spec = parameters["x"], parameters["y"]
    x = population.measure(x_spec["measure"], window, scheme)
    y = population.measure(y_spec["measure"], window, scheme)
    eligible = population.amount[window] > 0
    x_cut = axis_cut(x, eligible, x_spec.get("cut", {"method": "median"}))
    y_cut = axis_cut(y, eligible, y_spec.get("cut", {"method": "median"}))
    return SchemeResult(matrix_ranks(x, y, eligible, x_cut, y_cut), x,
                        {"x_cut": None if math.isinf(x_cut) else x_cut,
                         "y_cut": None if math.isinf(y_cut) else y_cut})
