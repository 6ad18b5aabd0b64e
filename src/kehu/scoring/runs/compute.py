"""Step 2 of a scoring run, in numpy: the run's settings, RFM scores and segments, the BG/NBD and Gamma-Gamma fits
(P(active), expected purchases, lifetime value), value and loyalty scores, each scheme's tiers and their counts."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from .. import clv, metrics, schemes
from ..models import ScoringConfiguration
from .sql import day_number

DAYS_PER_WEEK = 7.0


@dataclass
class RunSettings:
    as_of: dt.date
    period_days: int
    rfm_window_days: int
    rfm_cuts: dict[str, list[float] | None]
    horizon_months: int
    discount_rate: float
    clv_min_customers: int
    p_alive_threshold: float
    value_weights: dict[str, float]
    loyalty_weights: dict[str, float]

    @classmethod
    def from_configuration(cls, configuration: ScoringConfiguration, as_of: dt.date) -> RunSettings:
        return cls(
            as_of=as_of,
            period_days=int(configuration.period_days),
            rfm_window_days=int(configuration.rfm_window_days),
            rfm_cuts={"recency": configuration.rfm_recency_cuts, "frequency": configuration.rfm_frequency_cuts,
                      "monetary": configuration.rfm_monetary_cuts},
            horizon_months=int(configuration.clv_horizon_months),
            discount_rate=float(configuration.discount_rate),
            clv_min_customers=int(configuration.clv_min_customers),
            p_alive_threshold=float(configuration.p_alive_threshold),
            value_weights=dict(configuration.value_weights or schemes.DEFAULT_VALUE_WEIGHTS),
            loyalty_weights=dict(configuration.loyalty_weights or schemes.DEFAULT_LOYALTY_WEIGHTS),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "period_days": self.period_days,
            "rfm_window_days": self.rfm_window_days, "rfm_cuts": self.rfm_cuts,
            "clv_horizon_months": self.horizon_months, "discount_rate": self.discount_rate,
            "clv_min_customers": self.clv_min_customers, "p_alive_threshold": self.p_alive_threshold,
            "value_weights": self.value_weights, "loyalty_weights": self.loyalty_weights,
        }


@dataclass
class Computed:
    """Everything a run computed, per customer (aligned arrays) and per scheme."""

    data: dict[str, np.ndarray]
    population: schemes.Population
    rfm: dict[str, Any]
    clv_figures: dict[str, Any]
    p_alive: np.ndarray
    scheme_results: dict[int, schemes.SchemeResult] = field(default_factory=dict)


def fit_lifetime_value(data: dict[str, np.ndarray], buyers: np.ndarray, settings: RunSettings
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """BG/NBD and Gamma-Gamma on the buyers (times in weeks); P(active), expected purchases over the horizon and
    lifetime value per customer (NaN for customers without purchases or when the models could not be fitted)."""
    n = buyers.shape[0]
    p_alive = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    value = np.full(n, np.nan)
    frequency = (data["days"] - 1).astype(np.int64)
    recency = (data["last_day"] - data["first_day"]) / DAYS_PER_WEEK
    age = (day_number(settings.as_of) - data["first_day"]) / DAYS_PER_WEEK
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, (data["total_amount"] - data["first_day_amount"]) / frequency, 0.0)
    horizon_weeks = settings.horizon_months * 365.25 / 12 / DAYS_PER_WEEK
    figures: dict[str, Any] = {"unit": "week", "horizon_weeks": horizon_weeks, "buyers": int(buyers.sum())}
    repeaters = buyers & (frequency > 0)
    figures["repeat_customers"] = int(repeaters.sum())
    if buyers.sum() < max(settings.clv_min_customers, 2) or repeaters.sum() < max(settings.clv_min_customers // 5, 1):
        figures["status"] = "skipped"
        figures["message"] = _("Too few customers with purchases to fit the lifetime value models.")
        return p_alive, expected, value, figures
    started = time.perf_counter()
    try:
        bg = clv.fit_bgnbd(frequency[buyers], recency[buyers], age[buyers])
        if not all(math.isfinite(v) for v in bg.as_dict().values()):
            raise ValueError("BG/NBD parameters are not finite")
        if not bg.converged:
            # e.g. every customer dropping out at the same rate: the likelihood is flat along a and b together and
            # they run off towards infinity at a fixed ratio. Predictions stay well defined (where they come out
            # finite they are kept), but say so.
            figures["warning"] = _("The purchase model fit stopped before converging (the purchase histories "
                                   "vary too little to identify every parameter); treat the estimates with care.")
    except (ValueError, FloatingPointError, ArithmeticError) as error:
        figures["status"] = "failed"
        figures["message"] = _("The purchase model could not be fitted: %(error)s") % {"error": error}
        return p_alive, expected, value, figures
    figures["bgnbd"] = {**bg.as_dict(), "log_likelihood": bg.log_likelihood, "converged": bg.converged}
    p_alive[buyers] = clv.probability_alive(bg, frequency[buyers], recency[buyers], age[buyers])
    expected[buyers] = clv.expected_purchases(bg, horizon_weeks, frequency[buyers], recency[buyers], age[buyers])
    spend_ok = repeaters & (monetary > 0)
    try:
        gg = clv.fit_gamma_gamma(frequency[spend_ok], monetary[spend_ok])
        value[buyers] = clv.lifetime_value(
            bg, gg, frequency[buyers], recency[buyers], age[buyers], np.where(monetary > 0, monetary, 0.0)[buyers],
            horizon_periods=horizon_weeks, discount_rate_annual=settings.discount_rate, unit="week",
        )
        figures["gamma_gamma"] = {**gg.as_dict(), "log_likelihood": gg.log_likelihood, "converged": gg.converged}
        figures["status"] = "fitted"
    except (ValueError, FloatingPointError, ArithmeticError) as error:
        figures["status"] = "partial"
        figures["message"] = _("The spend model could not be fitted: %(error)s") % {"error": error}
    figures["fit_seconds"] = time.perf_counter() - started
    with np.errstate(invalid="ignore"):
        for values in (p_alive, expected, value):  # numerically impossible figures are left out, not stored
            values[~np.isfinite(values) | (values < 0)] = np.nan
    if buyers.any() and not np.isfinite(p_alive[buyers]).any():
        figures["status"] = "failed"
        figures["message"] = _("The purchase model gave no usable predictions.")
    return p_alive, expected, value, figures


def compute_scores(data: dict[str, np.ndarray], definitions: list[schemes.SchemeDefinition],
                   settings: RunSettings, windows: list[int]) -> Computed:
    """Every customer's figures and each scheme's tiers, from the summary rows read by ``sql.read_summary``."""
    today = day_number(settings.as_of)
    buyers = data["days"] > 0
    tenure = np.where(buyers, today - data["first_day"], 0).astype(np.float64)
    recency_days = np.where(buyers, today - data["last_day"], np.inf).astype(np.float64)
    repeat = np.where(buyers, data["days"] - 1, 0).astype(np.float64)
    period_amount = data[f"amount_{settings.period_days}"]
    previous = data["previous_amount"]
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(previous > 0, (period_amount - previous) / previous,
                          np.where(period_amount > 0, 1.0, 0.0))
    share = np.where(data["share_of_wallet"] >= 0, data["share_of_wallet"], np.nan)
    p_alive, expected, value, clv_figures = fit_lifetime_value(data, buyers, settings)
    population = schemes.Population(
        customer_id=data["customer_id"], has_purchase=buyers,
        amount={w: data[f"amount_{w}"] for w in windows}, margin={w: data[f"margin_{w}"] for w in windows},
        total_amount=data["total_amount"], growth=np.where(buyers, growth, np.nan), tenure_days=tenure,
        recency_days=np.where(buyers, recency_days, np.nan), repeat_purchases=repeat, share_of_wallet=share,
        clv=value, expected_purchases=expected, value_score=np.zeros(buyers.shape[0]),
        loyalty_score=np.zeros(buyers.shape[0]),
    )
    population.loyalty_score = schemes.loyalty_score(population, settings.loyalty_weights)
    population.value_score = schemes.value_score(population, settings.value_weights, settings.period_days)
    rfm = metrics.rfm_scores(
        recency_days, data["rfm_days"].astype(np.float64), data[f"amount_{settings.rfm_window_days}"], buyers,
        recency_cuts=settings.rfm_cuts["recency"], frequency_cuts=settings.rfm_cuts["frequency"],
        monetary_cuts=settings.rfm_cuts["monetary"],
    )
    computed = Computed(data=data, population=population, rfm=rfm, clv_figures=clv_figures, p_alive=p_alive)
    for definition in definitions:
        computed.scheme_results[definition.id] = schemes.assign(definition, population)
    return computed


def tier_counts(definition: schemes.SchemeDefinition, result: schemes.SchemeResult,
                population: schemes.Population) -> dict[str, Any]:
    """Customers, spend and margin per tier (and their shares) for the charts."""
    window = definition.window_days
    amount = population.amount[window]
    margin = population.margin[window]
    total_amount = float(amount.sum())
    total_margin = float(margin.sum())
    counts = np.bincount(result.ranks, minlength=len(definition.tiers))
    amounts = np.bincount(result.ranks, weights=amount, minlength=len(definition.tiers))
    margins = np.bincount(result.ranks, weights=margin, minlength=len(definition.tiers))
    n = max(len(population), 1)
    tiers = []
    for tier in definition.tiers:
        k = tier.rank
        tiers.append({
            "code": tier.code, "label": tier.label, "rank": k, "customers": int(counts[k]),
            "customer_share": float(counts[k]) / n,
            "amount": float(amounts[k]), "amount_share": float(amounts[k]) / total_amount if total_amount else 0.0,
            "margin": float(margins[k]), "margin_share": float(margins[k]) / total_margin if total_margin else 0.0,
        })
    return {"scheme": definition.name, "kind": definition.kind, "window_days": window, "tiers": tiers,
            "customers": len(population), "amount": total_amount, "margin": total_margin, **result.figures}
