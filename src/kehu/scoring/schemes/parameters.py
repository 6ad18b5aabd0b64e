"""Tier schemes' parameters: the kinds, the measures they rank by, the default schemes and their labels, and the
validation of what an administrator enters.

Parameters per kind (``TierScheme.parameters``; defaults in :data:`DEFAULT_PARAMETERS`)
====================================================================================

``pyramid`` (客户金字塔)::

    {"measure": "amount", "window_days": 365, "population": "buyers",
     "tiers": [{"code": "A", "label": "Top customer", "share": 0.01}, {"code": "B", ..., "share": 0.05},
               {"code": "C", ..., "share": 0.20}, {"code": "D", "label": "Small customer"}],
     "alert_tiers": ["A", "B"]}

  Customers are ranked by the measure in the window; ``share`` is the cumulative share of the population a tier
  reaches (top 1 %, to 5 %, to 20 %, the rest). ``population`` is ``buyers`` (customers with a positive measure;
  everyone else goes to the last tier) or ``all``. Rules: a tier holds at most ``floor(share × N)`` customers
  counted from the top (so with fewer than 100 customers the 1 % tier is empty rather than over-full) except that
  equal values are never split — a customer whose value equals that of a customer in a better tier gets that tier
  (competition ranking). A customer whose measure is not positive never gets above the last tier.

``thresholds`` (白金/黄金/白银/普通)::

    {"measure": "amount", "window_days": 365,
     "tiers": [{"code": "platinum", "label": "Platinum", "min": 50000}, ..., {"code": "regular", "label": "Regular"}]}

  The first tier whose ``min`` the value reaches (``>=``); the last tier (no ``min``) takes everyone else.

``matrix_sales_margin`` and ``matrix_value_loyalty`` (客户价值矩阵 / 价值度 × 忠诚度)::

    {"window_days": 365,
     "x": {"measure": "amount", "cut": {"method": "median"}},
     "y": {"measure": "margin_rate", "cut": {"method": "median"}},
     "tiers": [{"code": "HH", "label": ...}, {"code": "HL", ...}, {"code": "LH", ...}, {"code": "LL", ...}]}

  A customer is "high" on an axis when the value reaches the cut (``>=``). Cuts: ``median``, ``mean``,
  ``quantile`` (with ``q``) — computed over the customers who bought in the window — or ``value`` (with
  ``value``). Codes are fixed: first letter the x axis, second the y axis; customers without purchases in the
  window are ``LL``. The value × loyalty matrix uses ``"y": {"measure": "loyalty_score", ...}`` and may give
  ``loyalty_weights``.

``weighted_score`` (客户利润、客户份额、发展潜力 + lifetime value)::

    {"window_days": 365, "weights": {"profit": 0.4, "share_of_wallet": 0.2, "growth": 0.2, "clv": 0.2},
     "tiers": [{"code": "key", "label": ..., "min": 75}, ..., {"code": "temporary", "label": ...}]}

  The value score (0–100) is the weighted mean of the components' percentile ranks (share of wallet is used as the
  percentage it is); a component a customer has no figure for (share of wallet not recorded, no lifetime value)
  is left out and the other weights are scaled up. Tiers are thresholds on the score.

Every kind accepts ``alert_tiers`` (tier codes whose fall raises an alert; default: the best tier, for matrices
``HH`` and ``HL``) and ``alert_on_fall`` (default true).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

PYRAMID = "pyramid"
THRESHOLDS = "thresholds"
MATRIX_SALES_MARGIN = "matrix_sales_margin"
MATRIX_VALUE_LOYALTY = "matrix_value_loyalty"
WEIGHTED_SCORE = "weighted_score"
MATRIX_KINDS = (MATRIX_SALES_MARGIN, MATRIX_VALUE_LOYALTY)
MATRIX_CODES = ("HH", "HL", "LH", "LL")

# Measures a scheme may rank or cut by. Window measures use the scheme's ``window_days``.
MEASURES: dict[str, Any] = {
    "amount": _("spend in the window"),
    "margin": _("gross margin in the window"),
    "margin_rate": _("gross margin rate in the window"),
    "total_amount": _("spend since the first purchase"),
    "growth": _("growth of spend against the previous period"),
    "clv": _("lifetime value"),
    "expected_purchases": _("expected purchases over the horizon"),
    "value_score": _("value score"),
    "loyalty_score": _("loyalty score"),
}
VALUE_COMPONENTS = ("profit", "share_of_wallet", "growth", "clv")
LOYALTY_COMPONENTS = ("repurchase", "tenure", "recency", "share_of_wallet")
DEFAULT_VALUE_WEIGHTS = {"profit": 0.4, "share_of_wallet": 0.2, "growth": 0.2, "clv": 0.2}
DEFAULT_LOYALTY_WEIGHTS = {"repurchase": 0.4, "tenure": 0.2, "recency": 0.3, "share_of_wallet": 0.1}
CUT_METHODS = ("median", "mean", "quantile", "value")
_CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")

# Labels of the default schemes: stored in English in the database and translated when shown (``tier_label``),
# so a label an administrator types in Chinese is shown as typed.
DEFAULT_LABELS = [
    gettext_noop("Top customer"),
    gettext_noop("Major customer"),
    gettext_noop("Ordinary customer"),
    gettext_noop("Small customer"),
    gettext_noop("Platinum"),
    gettext_noop("Gold"),
    gettext_noop("Silver"),
    gettext_noop("Regular"),
    gettext_noop("High sales / high margin"),
    gettext_noop("High sales / low margin"),
    gettext_noop("Low sales / high margin"),
    gettext_noop("Low sales / low margin"),
    gettext_noop("Core: high value, high loyalty"),
    gettext_noop("At risk: high value, low loyalty"),
    gettext_noop("Loyal: low value, high loyalty"),
    gettext_noop("Low priority: low value, low loyalty"),
    gettext_noop("Key customer"),
    gettext_noop("Potential customer"),
    gettext_noop("Regular customer"),
    gettext_noop("Temporary customer"),
    gettext_noop("Customer pyramid"),
    gettext_noop("Spend thresholds"),
    gettext_noop("Sales × margin matrix"),
    gettext_noop("Value × loyalty matrix"),
    gettext_noop("Weighted value score"),
    gettext_noop("Top 1% of customers by spend over 365 days A, to 5% B, to 20% C, the rest D."),
    gettext_noop("Platinum, gold, silver and regular by spend over 365 days."),
    gettext_noop("Spend against gross margin rate over 365 days, cut at the medians."),
    gettext_noop("Spend against loyalty (repurchase rate, tenure, recency, share of wallet), cut at the medians."),
    gettext_noop("Profit, share of wallet, growth and lifetime value combined into a score from 0 to 100."),
]

DEFAULT_PARAMETERS: dict[str, dict[str, Any]] = {
    PYRAMID: {
        "measure": "amount",
        "window_days": 365,
        "population": "buyers",
        "tiers": [
            {"code": "A", "label": "Top customer", "share": 0.01},
            {"code": "B", "label": "Major customer", "share": 0.05},
            {"code": "C", "label": "Ordinary customer", "share": 0.20},
            {"code": "D", "label": "Small customer"},
        ],
        "alert_tiers": ["A", "B"],
    },
    THRESHOLDS: {
        "measure": "amount",
        "window_days": 365,
        "tiers": [
            {"code": "platinum", "label": "Platinum", "min": 50000},
            {"code": "gold", "label": "Gold", "min": 10000},
            {"code": "silver", "label": "Silver", "min": 2000},
            {"code": "regular", "label": "Regular"},
        ],
        "alert_tiers": ["platinum", "gold"],
    },
    MATRIX_SALES_MARGIN: {
        "window_days": 365,
        "x": {"measure": "amount", "cut": {"method": "median"}},
        "y": {"measure": "margin_rate", "cut": {"method": "median"}},
        "tiers": [
            {"code": "HH", "label": "High sales / high margin"},
            {"code": "HL", "label": "High sales / low margin"},
            {"code": "LH", "label": "Low sales / high margin"},
            {"code": "LL", "label": "Low sales / low margin"},
        ],
        "alert_tiers": ["HH"],
        "alert_on_fall": False,
    },
    MATRIX_VALUE_LOYALTY: {
        "window_days": 365,
        "x": {"measure": "amount", "cut": {"method": "median"}},
        "y": {"measure": "loyalty_score", "cut": {"method": "median"}},
        "loyalty_weights": dict(DEFAULT_LOYALTY_WEIGHTS),
        "tiers": [
            {"code": "HH", "label": "Core: high value, high loyalty"},
            {"code": "HL", "label": "At risk: high value, low loyalty"},
            {"code": "LH", "label": "Loyal: low value, high loyalty"},
            {"code": "LL", "label": "Low priority: low value, low loyalty"},
        ],
        "alert_tiers": ["HH"],
    },
    WEIGHTED_SCORE: {
        "window_days": 365,
        "weights": dict(DEFAULT_VALUE_WEIGHTS),
        "tiers": [
            {"code": "key", "label": "Key customer", "min": 75},
            {"code": "potential", "label": "Potential customer", "min": 50},
            {"code": "regular", "label": "Regular customer", "min": 25},
            {"code": "temporary", "label": "Temporary customer"},
        ],
        "alert_tiers": ["key"],
        "alert_on_fall": False,
    },
}


# The default schemes (created by migration 0002) by name, with their labels: the timeline's tier changes store
# scheme name and tier codes only, and are shown with these labels translated (a scheme an administrator made shows
# its codes).
DEFAULT_SCHEMES: dict[str, tuple[str, str]] = {
    "pyramid": (PYRAMID, "Customer pyramid"),
    "thresholds": (THRESHOLDS, "Spend thresholds"),
    "sales-margin": (MATRIX_SALES_MARGIN, "Sales × margin matrix"),
    "value-loyalty": (MATRIX_VALUE_LOYALTY, "Value × loyalty matrix"),
    "weighted-score": (WEIGHTED_SCORE, "Weighted value score"),
}


def default_labels(scheme_name: str) -> tuple[str, dict[str, str]]:
    """The English (msgid) label of a default scheme and of its tiers by code; ``("", {})`` for another scheme."""
    if scheme_name not in DEFAULT_SCHEMES:
        return "", {}
    kind, label = DEFAULT_SCHEMES[scheme_name]
    return label, {tier["code"]: tier["label"] for tier in DEFAULT_PARAMETERS[kind]["tiers"]}


def default_parameters(kind: str) -> dict[str, Any]:
    """A deep copy of the default parameters of a kind (for a new scheme)."""
    import copy

    return copy.deepcopy(DEFAULT_PARAMETERS.get(kind, {}))


# --------------------------------------------------------------------------- validation


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_window(parameters: Mapping[str, Any], errors: list[str]) -> None:
    window = parameters.get("window_days", 365)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 3660:
        errors.append(str(_("“window_days” must be a whole number of days from 1 to 3660.")))


def _check_measure(name: Any, errors: list[str], where: str = "measure") -> None:
    if name not in MEASURES:
        errors.append(str(_("“%(where)s” must be one of: %(choices)s.") % {"where": where,
                                                                           "choices": ", ".join(MEASURES)}))


def _check_tiers(tiers: Any, errors: list[str]) -> list[dict[str, Any]]:
    if not isinstance(tiers, list) or len(tiers) < 2:
        errors.append(str(_("“tiers” must be a list of at least two tiers.")))
        return []
    codes: set[str] = set()
    for position, tier in enumerate(tiers, start=1):
        if not isinstance(tier, dict):
            errors.append(str(_("Tier %(n)s must be an object with a code and a label.") % {"n": position}))
            return []
        code = tier.get("code")
        if not isinstance(code, str) or not _CODE_RE.match(code):
            errors.append(str(_("Tier %(n)s: the code must be 1–32 letters, digits, “-” or “_”.") % {"n": position}))
        elif code in codes:
            errors.append(str(_("Tier code “%(code)s” is used twice.") % {"code": code}))
        else:
            codes.add(code)
        label = tier.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            errors.append(str(_("Tier %(n)s: a label of at most 100 characters is required.") % {"n": position}))
    return tiers


def check_weights(weights: Any, components: tuple[str, ...], name: str, errors: list[str]) -> None:
    if not isinstance(weights, dict) or not weights:
        errors.append(str(_("“%(name)s” must map components to weights.") % {"name": name}))
        return
    unknown = set(weights) - set(components)
    if unknown:
        errors.append(str(_("“%(name)s” has unknown components %(unknown)s; use %(choices)s.")
                          % {"name": name, "unknown": ", ".join(sorted(unknown)), "choices": ", ".join(components)}))
    values = [_number(v) for v in weights.values()]
    if any(v is None or v < 0 for v in values) or not sum(v or 0 for v in values) > 0:
        errors.append(str(_("The weights in “%(name)s” must be non-negative numbers, not all zero.")
                          % {"name": name}))


def _check_cut(cut: Any, axis: str, errors: list[str]) -> None:
    if not isinstance(cut, dict) or cut.get("method") not in CUT_METHODS:
        errors.append(str(_("Axis %(axis)s: “cut” must be an object whose “method” is one of %(choices)s.")
                          % {"axis": axis, "choices": ", ".join(CUT_METHODS)}))
        return
    if cut["method"] == "quantile":
        q = _number(cut.get("q"))
        if q is None or not 0 < q < 1:
            errors.append(str(_("Axis %(axis)s: a quantile cut needs “q” between 0 and 1.") % {"axis": axis}))
    if cut["method"] == "value" and _number(cut.get("value")) is None:
        errors.append(str(_("Axis %(axis)s: a value cut needs a number “value”.") % {"axis": axis}))


def _strictly_monotonic(values: list[float | None], *, increasing: bool, low: float = -math.inf,
                        high: float = math.inf) -> bool:
    """All numbers, strictly inside (low, high), strictly increasing (or decreasing)."""
    if any(v is None or not low < v < high for v in values):
        return False
    pairs = zip(values, values[1:], strict=False)
    return all((b > a) if increasing else (b < a) for a, b in pairs)  # type: ignore[operator]


def validate_parameters(kind: str, parameters: Any) -> list[str]:
    """Check the parameters of a scheme of ``kind``; returns the error messages (empty when valid)."""
    errors: list[str] = []
    if not isinstance(parameters, dict):
        return [str(_("The parameters must be a JSON object."))]
    if kind not in DEFAULT_PARAMETERS:
        return [str(_("Unknown scheme kind."))]
    _check_window(parameters, errors)
    tiers = _check_tiers(parameters.get("tiers"), errors)
    if kind == PYRAMID:
        _check_measure(parameters.get("measure"), errors)
        if parameters.get("population", "buyers") not in ("buyers", "all"):
            errors.append(str(_("“population” must be “buyers” or “all”.")))
        shares = [_number(t.get("share")) if isinstance(t, dict) else None for t in tiers[:-1]]
        if tiers and not _strictly_monotonic(shares, increasing=True, low=0.0, high=1.0):
            errors.append(str(_("Every tier but the last needs a cumulative “share” between 0 and 1, increasing "
                                "from the first tier (e.g. 0.01, 0.05, 0.2).")))
        if tiers and isinstance(tiers[-1], dict) and "share" in tiers[-1]:
            errors.append(str(_("The last tier takes the rest and has no “share”.")))
    elif kind in (THRESHOLDS, WEIGHTED_SCORE):
        if kind == THRESHOLDS:
            _check_measure(parameters.get("measure"), errors)
        else:
            check_weights(parameters.get("weights"), VALUE_COMPONENTS, "weights", errors)
        mins = [_number(t.get("min")) if isinstance(t, dict) else None for t in tiers[:-1]]
        if tiers and not _strictly_monotonic(mins, increasing=False):
            errors.append(str(_("Every tier but the last needs a number “min”, decreasing from the first tier.")))
        if tiers and isinstance(tiers[-1], dict) and "min" in tiers[-1]:
            errors.append(str(_("The last tier takes the rest and has no “min”.")))
    else:
        for axis in ("x", "y"):
            spec = parameters.get(axis)
            if not isinstance(spec, dict):
                errors.append(str(_("Axis %(axis)s must be an object with a measure and a cut.") % {"axis": axis}))
                continue
            _check_measure(spec.get("measure"), errors, f"{axis}.measure")
            _check_cut(spec.get("cut", {"method": "median"}), axis, errors)
        if tiers and sorted(str(t.get("code")) for t in tiers if isinstance(t, dict)) != sorted(MATRIX_CODES):
            errors.append(str(_("A matrix has exactly the tiers HH, HL, LH and LL (x axis first).")))
        if "loyalty_weights" in parameters:
            check_weights(parameters["loyalty_weights"], LOYALTY_COMPONENTS, "loyalty_weights", errors)
    if "weights" in parameters and kind != WEIGHTED_SCORE:
        check_weights(parameters["weights"], VALUE_COMPONENTS, "weights", errors)
    alert_tiers = parameters.get("alert_tiers", [])
    codes = {t.get("code") for t in tiers if isinstance(t, dict)}
    if not isinstance(alert_tiers, list) or any(code not in codes for code in alert_tiers):
        errors.append(str(_("“alert_tiers” must list codes of this scheme's tiers.")))
    if not isinstance(parameters.get("alert_on_fall", True), bool):
        errors.append(str(_("“alert_on_fall” must be true or false.")))
    return errors
