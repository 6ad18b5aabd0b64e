"""RFM scores and segments, the Pareto (80/20) curve and the lifetime-value histogram. Vectorised, database-free."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

QUINTILES = (0.2, 0.4, 0.6, 0.8)

# RFM segments from the recency (rows) and frequency (columns) scores — the widely used 10-segment map.
SEGMENT_LABELS: dict[str, Any] = {
    "champions": _("Champions"),
    "loyal": _("Loyal customers"),
    "potential_loyalist": _("Potential loyalists"),
    "new": _("New customers"),
    "promising": _("Promising"),
    "need_attention": _("Need attention"),
    "about_to_sleep": _("About to sleep"),
    "at_risk": _("At risk"),
    "cannot_lose": _("Cannot lose them"),
    "hibernating": _("Hibernating"),
    "": _("No purchases"),
}
SEGMENT_DESCRIPTIONS: dict[str, Any] = {
    "champions": _("Bought recently and often."),
    "loyal": _("Buy often; still reasonably recent."),
    "potential_loyalist": _("Recent customers with a few repeat purchases."),
    "new": _("Bought recently for the first time or rarely."),
    "promising": _("Fairly recent, but few purchases yet."),
    "need_attention": _("Average recency and frequency."),
    "about_to_sleep": _("Below average recency and frequency."),
    "at_risk": _("Bought often, but not for a long time."),
    "cannot_lose": _("Bought most often, but not for a long time."),
    "hibernating": _("Last purchase long ago, few purchases."),
    "": _("No purchases recorded."),
}
_SEGMENT_MAP = [  # _SEGMENT_MAP[r - 1][f - 1]
    ["hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"],  # R = 1
    ["hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"],  # R = 2
    ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],  # R = 3
    ["promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"],  # R = 4
    ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],  # R = 5
]
SEGMENT_CODES = sorted({code for row in _SEGMENT_MAP for code in row})


def cut_points(values: FloatArray, eligible: NDArray[np.bool_], cuts: Sequence[float] | None) -> list[float]:
    """The four cut points of a 1–5 score: the configured ones, or the quintiles of the eligible values."""
    if cuts is not None:
        return [float(c) for c in cuts]
    sample = values[eligible]
    if sample.shape[0] == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(v) for v in np.quantile(sample, QUINTILES)]


def score_higher_better(values: FloatArray, cuts: Sequence[float]) -> IntArray:
    """1 + number of cut points strictly below the value (equal values always share a score)."""
    ascending = np.sort(np.asarray(cuts, dtype=np.float64))
    return (1 + np.searchsorted(ascending, values, side="left")).astype(np.int64)


def score_lower_better(values: FloatArray, cuts: Sequence[float]) -> IntArray:
    """5 − number of cut points strictly below the value: the smallest values score 5 (recency in days)."""
    ascending = np.sort(np.asarray(cuts, dtype=np.float64))
    return (5 - np.searchsorted(ascending, values, side="left")).astype(np.int64)


def rfm_scores(
    recency_days: FloatArray, frequency: FloatArray, monetary: FloatArray, has_purchase: NDArray[np.bool_],
    *, recency_cuts: Sequence[float] | None = None, frequency_cuts: Sequence[float] | None = None,
    monetary_cuts: Sequence[float] | None = None,
) -> dict[str, Any]:
    """R, F and M scores (1–5; 0 for customers who never bought) and the segment code per customer.

    Recency: days since the last purchase (fewer is better). Frequency: purchase days in the RFM window.
    Monetary: spend in the RFM window. Without configured cut points the quintiles over the customers who ever
    bought are used; equal values share a score, so heavily tied measures may leave some scores unused.
    """
    cuts = {
        "recency": cut_points(recency_days, has_purchase, recency_cuts),
        "frequency": cut_points(frequency, has_purchase, frequency_cuts),
        "monetary": cut_points(monetary, has_purchase, monetary_cuts),
    }
    r = np.where(has_purchase, score_lower_better(recency_days, cuts["recency"]), 0)
    f = np.where(has_purchase, score_higher_better(frequency, cuts["frequency"]), 0)
    m = np.where(has_purchase, score_higher_better(monetary, cuts["monetary"]), 0)
    table = np.array(_SEGMENT_MAP + [[""] * 5], dtype=object)  # row 5 (index -1) for r == 0
    segment_index = np.where(has_purchase, r - 1, 5)
    segments = table[segment_index, np.clip(f - 1, 0, 4)]
    return {"r": r, "f": f, "m": m, "segment": segments, "cuts": cuts}


def pareto_curve(values: FloatArray, points: int = 100) -> dict[str, Any]:
    """Cumulative share of ``values`` (e.g. margin) against the cumulative share of customers, best first.

    Returns ``points + 1`` pairs (0 %, 1 %, ... 100 % of customers) and the share of customers that makes 80 % of
    the total (None when the total is not positive).
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    n = values.shape[0]
    total = float(values.sum())
    if n == 0 or total <= 0:
        return {"customer_share": [], "value_share": [], "customers_for_80": None, "top_20_share": None,
                "total": total, "customers": n}
    ordered = np.sort(values)[::-1]
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)]) / total
    positions = np.round(np.linspace(0, n, points + 1)).astype(np.int64)
    reach = int(np.searchsorted(cumulative, 0.8 - 1e-12, side="left"))
    return {
        "customer_share": [float(p) / n for p in positions],
        "value_share": [float(v) for v in cumulative[positions]],
        "customers_for_80": reach / n,
        "top_20_share": float(cumulative[int(round(0.2 * n))]),
        "total": total,
        "customers": n,
    }


def histogram(values: FloatArray, bins: int = 20) -> dict[str, Any]:
    """Equal-width bins from 0 to the 99th percentile of the finite values, plus one open bin above it."""
    finite = values[np.isfinite(values)]
    if finite.shape[0] == 0:
        return {"edges": [], "counts": [], "overflow": 0, "customers": 0, "total": 0.0, "mean": None,
                "median": None}
    low = min(0.0, float(finite.min()))
    high = float(np.quantile(finite, 0.99))
    if high <= low:
        high = float(finite.max()) if finite.max() > low else low + 1.0
    counts, edges = np.histogram(np.clip(finite, low, None), bins=bins, range=(low, high))
    overflow = int((finite > high).sum())
    return {
        "edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        "overflow": overflow,
        "customers": int(finite.shape[0]),
        "total": float(finite.sum()),
        "mean": float(finite.mean()),
        "median": float(np.median(finite)),
    }
