"""Predictions of the fitted models: P(alive), expected purchases and spend, and discounted lifetime value.

scipy is imported inside the functions that use it, so importing the scoring app does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .fits import BGNBDParams, GammaGammaParams, bgnbd_tuple, gamma_gamma_tuple
from .summary import DAYS_PER_UNIT, FloatArray, Unit

DAYS_PER_YEAR = 365.25


def log_odds_dead(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """``v = ln(a / (b + x - 1)) + (r + x) ln((alpha + T) / (alpha + t_x))``, -inf where ``x == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = math.log(a) - np.log(b + x - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, v, -np.inf)


def probability_alive(
    params: BGNBDParams | Sequence[float], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(customer still alive at T | x, t_x, T) under BG/NBD (FHL 2005, eq. 13).

    ``P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``, computed as the
    logistic function of ``-v`` so that large ``x`` cannot overflow. Customers without a repeat purchase cannot
    have dropped out (dropout happens only right after a repeat purchase), so their probability is exactly 1.
    """
    from scipy import special

    r, alpha, a, b = bgnbd_tuple(params)
    x = np.asarray(frequency, dtype=np.float64)
    v = log_odds_dead(r, alpha, a, b, x, np.asarray(recency, dtype=np.float64), np.asarray(T, dtype=np.float64))
    return special.expit(-v)


def expected_purchases(
    params: BGNBDParams | Sequence[float],
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Conditional expected number of purchases in ``(T, T + t]`` given ``(x, t_x, T)`` (FHL 2005, eq. 10).

    ::

        E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
            * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
            * P(alive | x, t_x, T)

    ``t`` broadcasts against the customer arrays (e.g. ``t[:, None]`` gives a (len(t), n_customers) table).
    For ``a`` below 1 both the factor and the bracket are negative, so the product is still correct.
    """
    from scipy import special

    r, alpha, a, b = bgnbd_tuple(params)
    tt = np.asarray(t, dtype=np.float64)
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(T, dtype=np.float64)
    alive = probability_alive((r, alpha, a, b), x, t_x, big_t)
    z = tt / (alpha + big_t + tt)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
    bracket = 1.0 - np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + tt))) * hyp
    return (a + b + x - 1.0) / (a - 1.0) * bracket * alive


def expected_spend(
    gg_params: GammaGammaParams | Sequence[float], frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Conditional expected mean transaction value ``E[Z | p, q, gamma, x, m]`` (Fader & Hardie 2013, eq. 5).

    ``E[Z | x, m] = (q - 1) / (p x + q - 1) * (p gamma / (q - 1)) + p x / (p x + q - 1) * m``: a weighted average of
    the population mean ``p gamma / (q - 1)`` and the customer's observed mean ``m``. Customers with ``x == 0`` get
    the population mean. Needs ``q > 1`` (otherwise the population mean is infinite).
    """
    p, q, g = gamma_gamma_tuple(gg_params)
    if q <= 1.0:
        raise ValueError("expected spend needs q > 1 (the population mean spend p*gamma/(q-1) is infinite)")
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    m = np.where(x > 0, m, 0.0)
    return p * (g + x * m) / (p * x + q - 1.0)


def lifetime_value(
    bg: BGNBDParams | Sequence[float],
    gg: GammaGammaParams | Sequence[float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    horizon_periods: float,
    discount_rate_annual: float,
    unit: Unit = "week",
    step_periods: float | None = None,
) -> FloatArray:
    """Discounted expected value of each customer over the next ``horizon_periods`` (model time units).

    The method follows ``lifetimes``' ``customer_lifetime_value``: the horizon is cut into steps (one month by
    default: 365.25 / 12 days, expressed in ``unit``; the last step is shortened to end at the horizon). For step
    ``k`` ending at ``t_k`` the expected number of purchases made during the step is
    ``E[Y(t_k)] - E[Y(t_{k-1})]`` (``expected_purchases``), each valued at the Gamma-Gamma conditional expected
    spend (``expected_spend``) and discounted to today at the annual rate as if paid at the end of the step::

        CLV = sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) * E[Z | x, m] / (1 + discount_rate_annual) ^ (t_k / periods_per_year)

    with ``periods_per_year`` = 365.25 / 7 for weeks and 365.25 for days. All steps are evaluated at once as a
    (steps x customers) array.
    """
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'week' or 'day', not {unit!r}")
    if horizon_periods <= 0:
        raise ValueError("horizon_periods must be positive")
    if discount_rate_annual <= -1:
        raise ValueError("discount_rate_annual must be greater than -1")
    periods_per_year = DAYS_PER_YEAR / DAYS_PER_UNIT[unit]
    step = periods_per_year / 12.0 if step_periods is None else float(step_periods)
    if step <= 0:
        raise ValueError("step_periods must be positive")
    n_steps = max(1, math.ceil(horizon_periods / step - 1e-9))
    ends = np.minimum(np.arange(1, n_steps + 1) * step, horizon_periods)

    x = np.asarray(frequency, dtype=np.float64)
    cumulative = expected_purchases(bg, ends[:, None], x, recency, T)
    increments = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + discount_rate_annual) ** (-ends / periods_per_year)
    spend = expected_spend(gg, x, monetary)
    return np.asarray(discount @ increments * spend, dtype=np.float64)
