"""Customer-lifetime-value numerics: BG/NBD purchase counts and Gamma-Gamma spend.

Everything here is database-free and vectorised with numpy/scipy; there is no
Python loop over customers or transactions anywhere.

The models
==========

**BG/NBD** (Fader, Hardie & Lee 2005, "'Counting Your Customers' the Easy Way").
While alive, a customer buys according to a Poisson process with rate
``lambda ~ Gamma(shape=r, rate=alpha)``. After every *repeat* purchase the customer
drops out for good with probability ``p ~ Beta(a, b)``. A customer is summarised by
``x`` (frequency: number of repeat purchases), ``t_x`` (recency: time of the last
purchase, measured from the first one) and ``T`` (age: time from the first purchase
to the end of the calibration period). The individual likelihood (FHL eq. 6) is::

    L(r, alpha, a, b | x, t_x, T) =
          B(a, b + x) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
        + [x > 0] B(a + 1, b + x - 1) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + t_x)^(r + x))

Because ``B(a, b + x) / B(a + 1, b + x - 1) = (b + x - 1) / a`` the log-likelihood can
be written as a single smooth expression::

    ll = r ln(alpha) + C(x) - (r + x) ln(alpha + T) + [x > 0] softplus(v)
    C(x) = ln G(r + x) - ln G(r) + ln B(a, b + x) - ln B(a, b)
    v    = ln(a / (b + x - 1)) + (r + x) (ln(alpha + T) - ln(alpha + t_x))

with ``softplus(v) = ln(1 + e^v)``. ``C`` depends on the customer only through the
integer ``x``, so it (and its digamma derivatives) is evaluated once per distinct
``x`` and gathered; the per-customer work is two logarithms and a softplus. ``v`` is the
log-ratio of the second branch ("dropped out right after the purchase at t_x") to the
first ("still alive at T"), so ``q = sigmoid(v)`` (``q = 0`` for ``x = 0``) is the
posterior probability that the customer is gone, ``1 - P(alive)``. Using
``d softplus(v) = q dv`` the analytic gradient is::

    d ll / d r     = ln(alpha) + psi(r + x) - psi(r) - ln(alpha + T) + q (ln(alpha + T) - ln(alpha + t_x))
    d ll / d alpha = r / alpha - (r + x) / (alpha + T) + q (r + x) (1 / (alpha + T) - 1 / (alpha + t_x))
    d ll / d a     = psi(a + b) - psi(a + b + x) + q / a
    d ll / d b     = psi(b + x) - psi(a + b + x) - psi(b) + psi(a + b) - q / (b + x - 1)

and, with ``s = q (1 - q)`` and ``d q = s dv``, the Hessian is just as cheap (see
``_BGNBDObjective``). The optimiser works on ``log`` of the parameters (so they stay
positive; the chain rule multiplies each derivative by the parameter) and minimises the
*mean* negative log-likelihood: L-BFGS-B with the analytic gradient, then a Newton
trust-region polish (``trust-exact``) with the analytic Hessian, which converges
quadratically and makes the optimum exact well beyond the published digits.

**Gamma-Gamma** (Fader, Hardie & Lee 2005 "RFM and CLV"; Fader & Hardie 2013, "The
Gamma-Gamma Model of Monetary Value"). Individual transaction values are
``z ~ Gamma(p, rate=nu)`` with ``nu ~ Gamma(q, rate=gamma)`` across customers. The mean
``m`` of a customer's ``x`` repeat transactions is ``Gamma(p x, rate=x nu)``, and
integrating ``nu`` out gives::

    ll = ln G(p x + q) - ln G(p x) - ln G(q) + q ln(gamma) + p x ln(x) + (p x - 1) ln(m)
         - (p x + q) ln(gamma + x m)

    d ll / d p     = x (psi(p x + q) - psi(p x) + ln(x) + ln(m) - ln(gamma + x m))
    d ll / d q     = psi(p x + q) - psi(q) + ln(gamma) - ln(gamma + x m)
    d ll / d gamma = q / gamma - (p x + q) / (gamma + x m)

It is fitted on customers with ``x > 0`` only. The ``ln(x)`` and ``ln(m)`` terms do not
depend on the parameters; they are kept so the log-likelihood is the density of ``m``
and matches the figure reported by the ``lifetimes`` package.

Published CDNOW figures (2,357-customer sample, 39-week calibration 1997-01-01 ..
1997-09-30, weeks): BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (LL = -9582.4);
Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

__all__ = [
    "BGNBDParams",
    "GammaGammaParams",
    "RFMSummary",
    "bgnbd_log_likelihood",
    "expected_purchases",
    "expected_spend",
    "fit_bgnbd",
    "fit_file",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "lifetime_value",
    "probability_alive",
    "summarise_transactions",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Unit = Literal["week", "day"]
DateArrayLike = ArrayLike | Sequence[dt.date]  # datetime64 arrays, ISO strings, date/datetime objects

_DAYS_PER_UNIT: dict[str, float] = {"week": 7.0, "day": 1.0}
_DAYS_PER_YEAR = 365.25
# Log-parameter box for the optimisers: parameters stay within [1e-13, 1e13].
_LOG_BOUND = 30.0
# Above this many rows the L-BFGS-B stage runs on a systematic subsample of about _SUBSAMPLE_SIZE rows and only
# the Newton polish sees all the data.
_SUBSAMPLE_ABOVE = 200_000
_SUBSAMPLE_SIZE = 50_000


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class RFMSummary:
    """Per-customer calibration summary, one row per customer, sorted by customer id.

    Attributes:
        customer: the customer ids (same kind as the input ids).
        frequency: ``x``, the number of repeat purchase days (distinct purchase days - 1).
        recency: ``t_x``, last purchase day - first purchase day, in ``unit``.
        T: calibration end - first purchase day, in ``unit``.
        monetary: mean spend of the repeat purchase days (first purchase excluded); 0 when ``x == 0``.
        unit: ``"week"`` or ``"day"``.
    """

    customer: NDArray[Any]
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray
    unit: str = "week"

    def __len__(self) -> int:
        return int(self.frequency.shape[0])


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters: ``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool = True

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (``gamma`` is called ``v`` in the ``lifetimes`` package)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool = True

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}


# --------------------------------------------------------------------------- summaries


def _to_days(dates: DateArrayLike) -> IntArray:
    """Convert dates (datetime64, ``datetime.date``/``datetime``, ISO strings) to int64 days since 1970-01-01."""
    arr = np.asarray(dates)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]").astype(np.int64)
    if arr.dtype.kind in "iufb":
        raise TypeError("dates must be datetime64, datetime.date or ISO date strings, not numbers")
    if arr.dtype.kind == "O":
        # datetime.datetime objects carry a time of day: go through microseconds, then floor to the day.
        return np.asarray(arr, dtype="datetime64[us]").astype("datetime64[D]").astype(np.int64)
    return arr.astype("datetime64[D]").astype(np.int64)


def _to_day(value: Any) -> int:
    """A ``date``, ``datetime``, ``datetime64``, ``'YYYY-MM-DD'`` or ``'YYYYMMDD'`` value -> days since 1970-01-01."""
    if isinstance(value, str) and len(value.strip()) == 8 and value.strip().isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if isinstance(value, dt.datetime):
        value = value.date()
    return int(np.datetime64(value, "D").astype(np.int64))


def _empty_summary(ids: NDArray[Any], unit: str) -> RFMSummary:
    return RFMSummary(
        customer=ids[:0],
        frequency=np.zeros(0, np.int64),
        recency=np.zeros(0),
        T=np.zeros(0),
        monetary=np.zeros(0),
        unit=unit,
    )


def summarise_transactions(
    customer_ids: ArrayLike,
    dates: DateArrayLike,
    amounts: ArrayLike,
    calibration_end: Any,
    unit: Unit = "week",
) -> RFMSummary:
    """Build the per-customer (frequency, recency, T, monetary) summary from transaction rows.

    Definitions (those of Fader, Hardie & Lee, which reproduce the published CDNOW summaries):

    * only rows dated on or before ``calibration_end`` count; customers with no such row are left out;
    * all rows of one customer on the same day are one purchase, their amounts added;
    * ``frequency = distinct purchase days - 1`` (repeat purchases);
    * ``recency = last purchase day - first purchase day``;
    * ``T = calibration_end - first purchase day``;
    * ``monetary`` = mean amount of the repeat purchase days (the first day is excluded), 0 when frequency is 0;
    * times are in days divided by 7 (``unit="week"``) or in days (``unit="day"``).

    Implementation: each row gets the integer key ``customer_code * span + day``; one sort of the keys (skipped when
    the rows are already in customer/date order) groups the rows into purchase days, ``np.add.reduceat`` sums the
    amounts of each day, and a second ``reduceat`` over the (already sorted) purchase days gives the per-customer
    figures. Integer customer ids need no factorisation; other ids are factorised with ``np.unique``.
    """
    if unit not in _DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'week' or 'day', not {unit!r}")
    ids = np.asarray(customer_ids)
    days = _to_days(dates)
    amt = np.asarray(amounts, dtype=np.float64)
    if ids.ndim != 1 or days.ndim != 1 or amt.ndim != 1:
        raise ValueError("customer_ids, dates and amounts must be one-dimensional")
    if not (ids.shape[0] == days.shape[0] == amt.shape[0]):
        raise ValueError("customer_ids, dates and amounts must have the same length")
    end = _to_day(calibration_end)

    keep = days <= end
    if not keep.all():
        ids, days, amt = ids[keep], days[keep], amt[keep]
    if ids.shape[0] == 0:
        return _empty_summary(ids, unit)

    d0 = int(days.min())
    span = int(days.max()) - d0 + 1
    uniq: NDArray[Any] | None = None
    id_offset = 0
    if ids.dtype.kind in "iu" and (int(ids.max()) - int(ids.min()) + 1) * span < 2**62:
        id_offset = int(ids.min())
        code = ids.astype(np.int64) - id_offset
    else:
        uniq, code = np.unique(ids, return_inverse=True)
        code = code.astype(np.int64).reshape(-1)
    key = code * span + (days - d0)

    n_rows = key.shape[0]
    if n_rows > 1 and not bool(np.all(key[1:] >= key[:-1])):
        bits = max(1, (n_rows - 1).bit_length())
        if int(key.max()) < 2 ** (62 - bits):
            # Pack (key, row number) into one int64 and sort values: a plain sort is much faster than argsort,
            # and the row number in the low bits gives the permutation (and a stable order) back.
            packed = np.left_shift(key, bits)
            packed |= np.arange(n_rows, dtype=np.int64)
            packed.sort()
            order = packed & ((1 << bits) - 1)
            key = np.right_shift(packed, bits)
        else:
            order = np.argsort(key, kind="stable")
            key = key[order]
        amt = amt[order]

    # Purchase days: runs of equal keys.
    new_day = np.empty(key.shape[0], dtype=bool)
    new_day[0] = True
    np.not_equal(key[1:], key[:-1], out=new_day[1:])
    day_start = np.flatnonzero(new_day)
    day_key = key[day_start]
    day_amount = np.add.reduceat(amt, day_start)
    day_cust = day_key // span
    day_num = day_key - day_cust * span  # days since d0

    # Customers: runs of equal customer codes among the (sorted) purchase days.
    new_cust = np.empty(day_cust.shape[0], dtype=bool)
    new_cust[0] = True
    np.not_equal(day_cust[1:], day_cust[:-1], out=new_cust[1:])
    cust_start = np.flatnonzero(new_cust)
    n_days = np.diff(np.append(cust_start, day_cust.shape[0]))
    first = day_num[cust_start]
    last = day_num[cust_start + n_days - 1]
    repeat_amount = day_amount.copy()
    repeat_amount[cust_start] = 0.0
    repeat_total = np.add.reduceat(repeat_amount, cust_start)

    frequency = (n_days - 1).astype(np.int64)
    monetary = np.zeros(frequency.shape[0])
    has_repeat = frequency > 0
    monetary[has_repeat] = repeat_total[has_repeat] / frequency[has_repeat]

    scale = _DAYS_PER_UNIT[unit]
    codes = day_cust[cust_start]
    customer = uniq[codes] if uniq is not None else (codes + id_offset).astype(ids.dtype)
    return RFMSummary(
        customer=customer,
        frequency=frequency,
        recency=(last - first) / scale,
        T=(end - d0 - first) / scale,
        monetary=monetary,
        unit=unit,
    )


# --------------------------------------------------------------------------- BG/NBD fit


def _softplus_sigmoid(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``(ln(1 + e^v), 1 / (1 + e^-v))`` without overflow (and with fast ufuncs only)."""
    e = np.exp(-np.abs(v))
    l1pe = np.log(1.0 + e)
    softplus = np.maximum(v, 0.0) + l1pe
    sigmoid = np.exp(np.minimum(v, 0.0) - l1pe)
    return softplus, sigmoid


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product without BLAS: OpenBLAS threads that spin after each call cost more than they save here."""
    return float(np.einsum("i,i->", u, v))


def _wsum(w: FloatArray | None, values: FloatArray) -> float:
    return float(values.sum()) if w is None else _dot(w, values)


class _LogSpaceObjective:
    """Mean negative log-likelihood in ``phi = ln(theta)`` built on ``evaluate(theta, hessian)`` of a subclass.

    With ``theta = exp(phi)``: ``d/d phi_i = theta_i d/d theta_i`` and
    ``d2/d phi_i d phi_j = theta_i theta_j d2/d theta_i d theta_j + [i == j] theta_i d/d theta_i``.
    Non-finite values (parameters far out during a line search) are reported as ``+inf``.
    """

    W: float  # total weight (number of customers): the objective is a mean, so tolerances do not scale with n
    n_params: int

    def evaluate(self, theta: FloatArray, hessian: bool = False) -> tuple[float, FloatArray, FloatArray | None]:
        raise NotImplementedError

    def loglik_grad(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Total log-likelihood and its gradient in the natural parameters."""
        ll, grad, _ = self.evaluate(theta)
        return ll, grad

    def __call__(self, log_theta: FloatArray) -> tuple[float, FloatArray]:
        """Mean negative log-likelihood and gradient in ``ln`` parameters (for L-BFGS-B)."""
        theta = np.exp(log_theta)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            ll, grad, _ = self.evaluate(theta)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return math.inf, np.zeros(self.n_params)
        return -ll / self.W, -(grad * theta) / self.W

    def log_space_hessian(self, log_theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Mean negative log-likelihood, gradient and Hessian in ``ln`` parameters (for Newton steps)."""
        theta = np.exp(log_theta)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            ll, grad, hess = self.evaluate(theta, hessian=True)
        assert hess is not None
        h_phi = np.outer(theta, theta) * hess + np.diag(theta * grad)
        return -ll / self.W, -(grad * theta) / self.W, -h_phi / self.W


class _BGNBDObjective(_LogSpaceObjective):
    """BG/NBD log-likelihood with analytic gradient and Hessian; mean negative version in log-parameter space.

    Customers are split once into zero-repeaters (``x == 0``: ``ll = r ln(alpha / (alpha + T))``) and
    repeaters; terms depending only on the integer ``x`` are evaluated on ``1..max(x)`` and combined with the
    (weighted) count of customers at each ``x``. All per-customer temporaries live in buffers allocated once:
    with a million customers, fresh allocations (and the page faults that come with them) would otherwise cost
    more than the arithmetic.

    Second derivatives (``s = q (1 - q)``, ``v_alpha = (r + x) (1 / (alpha + T) - 1 / (alpha + t_x))``,
    ``v_a = 1 / a``, ``v_b = -1 / (b + x - 1)``, ``v_r = ln(alpha + T) - ln(alpha + t_x)``) follow from
    ``d softplus(v) = q dv`` and ``d q = s dv``; e.g. ``d2 ll / da db = psi'(a + b) - psi'(a + b + x) + s v_a v_b``.
    """

    def __init__(self, x: IntArray, t_x: FloatArray, T: FloatArray, w: FloatArray | None) -> None:
        zero = x == 0
        pos = ~zero
        self.T0 = np.ascontiguousarray(T[zero])
        self.w0 = None if w is None else np.ascontiguousarray(w[zero])
        self.W0 = float(self.T0.shape[0]) if self.w0 is None else float(self.w0.sum())
        self.x1 = np.ascontiguousarray(x[pos])
        self.xf1 = self.x1.astype(np.float64)
        self.tx1 = np.ascontiguousarray(t_x[pos])
        self.T1 = np.ascontiguousarray(T[pos])
        self.w1 = None if w is None else np.ascontiguousarray(w[pos])
        self.W1 = float(self.x1.shape[0]) if self.w1 is None else float(self.w1.sum())
        self.W = self.W0 + self.W1
        self.xmax = int(self.x1.max()) if self.x1.size else 1
        # Weighted number of customers at each x = 1..xmax.
        self.count_x = np.bincount(self.x1, weights=self.w1, minlength=self.xmax + 1)[1:].astype(np.float64)
        self.k = np.arange(1, self.xmax + 1, dtype=np.float64)
        self.wx1 = self.xf1 if self.w1 is None else self.w1 * self.xf1
        self._b0 = np.empty(self.T0.shape[0])
        self._b1 = [np.empty(self.x1.shape[0]) for _ in range(10)]
        self.n_params = 4
        self.n_eval = 0

    def _by_x(self, values: FloatArray) -> FloatArray:
        """Sum of ``values`` over the repeaters at each x = 1..xmax."""
        return np.bincount(self.x1, weights=values, minlength=self.xmax + 1)[1:].astype(np.float64, copy=False)

    def evaluate(self, theta: FloatArray, hessian: bool = False) -> tuple[float, FloatArray, FloatArray | None]:
        """Total log-likelihood, its gradient and (optionally) its Hessian with respect to (r, alpha, a, b)."""
        r, alpha, a, b = (float(v) for v in theta)
        self.n_eval += 1
        ln_alpha = math.log(alpha)
        k, cnt = self.k, self.count_x
        w0, w1 = self.w0, self.w1
        h = np.zeros((4, 4)) if hessian else None

        # Zero-repeaters: ll = r (ln alpha - ln(alpha + T)); d/d alpha needs sum 1 / (alpha + T) = sum exp(-ln(...)).
        b0 = self._b0
        np.add(alpha, self.T0, out=b0)
        np.log(b0, out=b0)
        s_l0 = _wsum(w0, b0)
        np.negative(b0, out=b0)
        np.exp(b0, out=b0)
        s_i0 = _wsum(w0, b0)
        ll = r * (self.W0 * ln_alpha - s_l0)
        g_r = self.W0 * ln_alpha - s_l0
        g_alpha = r * (self.W0 / alpha - s_i0)
        g_a = 0.0
        g_b = 0.0
        if h is not None:
            h[0, 1] = self.W0 / alpha - s_i0
            h[1, 1] = r * (-self.W0 / alpha**2 + float(_dot(b0 if w0 is None else w0 * b0, b0)))
        if self.W1 == 0:
            if h is not None:
                h[1, 0] = h[0, 1]
            return ll, np.array([g_r, g_alpha, g_a, g_b]), h

        # Terms that depend on x only, evaluated once per distinct x (k = 1..xmax) and weighted by counts.
        c_x = special.gammaln(r + k) - special.gammaln(r) + special.betaln(a, b + k) - special.betaln(a, b)
        psi_ab = special.digamma(a + b)
        psi_abk = special.digamma(a + b + k)
        dc_r = special.digamma(r + k) - special.digamma(r)
        dc_a = psi_ab - psi_abk
        dc_b = special.digamma(b + k) - psi_abk - special.digamma(b) + psi_ab
        inv_b = 1.0 / (b + k - 1.0)
        log_a_over_b = np.empty(self.xmax + 1)
        log_a_over_b[0] = 0.0
        log_a_over_b[1:] = math.log(a) + np.log(inv_b)

        # Repeaters, per customer.
        lt, ltx, d, rx, v, e, q, tmp, s, va = self._b1
        np.add(alpha, self.T1, out=lt)
        np.log(lt, out=lt)  # ln(alpha + T)
        np.add(alpha, self.tx1, out=ltx)
        np.log(ltx, out=ltx)  # ln(alpha + t_x)
        np.subtract(lt, ltx, out=d)
        np.add(r, self.xf1, out=rx)
        log_a_over_b.take(self.x1, out=v)
        np.multiply(rx, d, out=tmp)
        np.add(v, tmp, out=v)  # v = ln(a / (b + x - 1)) + (r + x) d
        # softplus(v) = max(v, 0) + ln(1 + e^-|v|);  q = sigmoid(v) = exp(min(v, 0) - ln(1 + e^-|v|)).
        np.abs(v, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1.0, out=e)
        np.log(e, out=e)
        np.maximum(v, 0.0, out=tmp)
        s_softplus = _wsum(w1, tmp) + _wsum(w1, e)
        np.minimum(v, 0.0, out=q)
        np.subtract(q, e, out=q)
        np.exp(q, out=q)
        if h is not None:
            np.subtract(1.0, q, out=s)
            np.multiply(s, q, out=s)  # s = q (1 - q)
            if w1 is not None:
                np.multiply(s, w1, out=s)
        if w1 is not None:
            np.multiply(q, w1, out=q)  # from here on q (and s) carry the weights
        s_lt = _wsum(w1, lt)
        s_x_lt = float(_dot(self.wx1, lt))
        s_qd = float(_dot(q, d))
        q_by_x = self._by_x(q)
        np.negative(lt, out=lt)
        np.exp(lt, out=lt)  # lt now holds 1 / (alpha + T)
        np.negative(ltx, out=ltx)
        np.exp(ltx, out=ltx)  # ltx now holds 1 / (alpha + t_x)
        wrx = rx if w1 is None else rx * w1
        s_rx_it = float(_dot(wrx, lt))
        np.subtract(lt, ltx, out=va)
        np.multiply(va, rx, out=va)  # v_alpha = (r + x) (1 / (alpha + T) - 1 / (alpha + t_x))
        s_q_va = float(_dot(q, va))

        ll += self.W1 * r * ln_alpha + float(_dot(cnt, c_x)) - r * s_lt - s_x_lt + s_softplus
        g_r += self.W1 * ln_alpha + float(_dot(cnt, dc_r)) - s_lt + s_qd
        g_alpha += self.W1 * r / alpha - s_rx_it + s_q_va
        g_a += float(_dot(cnt, dc_a)) + float(q_by_x.sum()) / a
        g_b += float(_dot(cnt, dc_b)) - float(_dot(q_by_x, inv_b))

        if h is not None:
            tg_ab = special.polygamma(1, a + b)
            tg_abk = special.polygamma(1, a + b + k)
            s_by_x = self._by_x(s)
            np.multiply(s, d, out=tmp)  # s v_r
            h_rr = float(_dot(tmp, d))
            h_r_alpha = float(_dot(tmp, va))
            sd_by_x = self._by_x(tmp)
            np.multiply(s, va, out=tmp)  # s v_alpha
            h_alpha_alpha = float(_dot(tmp, va))
            sva_by_x = self._by_x(tmp)
            s_q_dit = float(_dot(q, lt)) - float(_dot(q, ltx))
            s_it = _wsum(w1, lt)
            np.multiply(lt, lt, out=tmp)  # 1 / (alpha + T)^2
            s_rx_it2 = float(_dot(wrx, tmp))
            np.multiply(ltx, ltx, out=e)  # 1 / (alpha + t_x)^2
            np.subtract(e, tmp, out=e)
            np.multiply(e, rx, out=e)
            s_q_dva = float(_dot(q, e))  # sum q d v_alpha / d alpha
            s_tot, q_tot = float(s_by_x.sum()), float(q_by_x.sum())

            h[0, 0] = float(_dot(cnt, special.polygamma(1, r + k) - special.polygamma(1, r))) + h_rr
            h[0, 1] += self.W1 / alpha - s_it + h_r_alpha + s_q_dit
            h[0, 2] = float(sd_by_x.sum()) / a
            h[0, 3] = -float(_dot(sd_by_x, inv_b))
            h[1, 1] += -self.W1 * r / alpha**2 + s_rx_it2 + h_alpha_alpha + s_q_dva
            h[1, 2] = float(sva_by_x.sum()) / a
            h[1, 3] = -float(_dot(sva_by_x, inv_b))
            h[2, 2] = float(_dot(cnt, tg_ab - tg_abk)) + (s_tot - q_tot) / a**2
            h[2, 3] = float(_dot(cnt, tg_ab - tg_abk)) - float(_dot(s_by_x, inv_b)) / a
            h[3, 3] = float(
                np.dot(cnt, special.polygamma(1, b + k) - tg_abk - special.polygamma(1, b) + tg_ab)
            ) + float(_dot(s_by_x + q_by_x, inv_b**2))
            h = np.triu(h) + np.triu(h, 1).T
        return ll, np.array([g_r, g_alpha, g_a, g_b]), h


def _as_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray | None]:
    """Validate and convert (frequency, recency, T[, weights]); cheap reductions only (no big temporaries)."""
    freq = np.asarray(frequency)
    t_x = np.asarray(recency, dtype=np.float64)
    t = np.asarray(T, dtype=np.float64)
    if freq.ndim != 1 or freq.shape != t_x.shape or freq.shape != t.shape:
        raise ValueError("frequency, recency and T must be one-dimensional arrays of the same length")
    if freq.size == 0:
        raise ValueError("no customers to fit")
    if freq.dtype.kind in "iub":
        x = freq.astype(np.int64, copy=False)
        ok = int(x.min()) >= 0
    else:
        xf = freq.astype(np.float64, copy=False)
        x = np.rint(xf).astype(np.int64)
        ok = bool(np.isfinite(xf).all()) and int(x.min()) >= 0 and float(np.abs(xf - x).max()) <= 1e-9
    if not ok:
        raise ValueError("frequency must hold non-negative integers")
    # min/max propagate NaN, so these comparisons also reject NaN; T must be finite, recency within [0, T].
    if not (float(t.min()) >= 0.0 and float(t.max()) < math.inf):
        raise ValueError("T must be finite and non-negative")
    if not (float(t_x.min()) >= 0.0 and float((t * (1 + 1e-12) + 1e-12 - t_x).min()) >= 0.0):
        raise ValueError("recency must satisfy 0 <= recency <= T (and be finite)")
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != freq.shape or not (float(w.min()) >= 0.0 and float(w.max()) < math.inf):
            raise ValueError("weights must be non-negative, finite and the same length as frequency")
    return x, t_x, t, w


def _aggregate_rfm(
    x: IntArray, t_x: FloatArray, T: FloatArray, w: FloatArray | None
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Collapse identical ``(x, t_x, T)`` triples into one row whose weight is the sum of their weights."""
    order = np.lexsort((T, t_x, x))
    xs, txs, ts = x[order], t_x[order], T[order]
    new = np.empty(xs.shape[0], dtype=bool)
    new[0] = True
    new[1:] = (xs[1:] != xs[:-1]) | (txs[1:] != txs[:-1]) | (ts[1:] != ts[:-1])
    starts = np.flatnonzero(new)
    if w is None:
        weights = np.diff(np.append(starts, xs.shape[0])).astype(np.float64)
    else:
        weights = np.add.reduceat(w[order], starts)
    return xs[starts], txs[starts], ts[starts], weights


def _bgnbd_start(x: IntArray, T: FloatArray) -> FloatArray:
    """Rough start: r = 1, alpha from the mean purchase rate, a = b = 1."""
    rate = (float(x.mean()) + 0.1) / max(float(T.mean()), 1e-9)
    return np.array([1.0, 1.0 / rate, 1.0, 1.0])


def _minimise(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], start: FloatArray, ftol: float, maxiter: int = 2000
) -> optimize.OptimizeResult:
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * start.shape[0]
    return optimize.minimize(
        fun,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": ftol, "gtol": 1e-10, "maxiter": maxiter, "maxcor": 20},
    )


def _newton_polish(
    objective: _LogSpaceObjective, log_start: FloatArray, gtol: float = 1e-8, maxiter: int = 50
) -> optimize.OptimizeResult:
    """Newton trust-region (``scipy.optimize.minimize(method="trust-exact")``) with the analytic Hessian.

    Each evaluation computes value, gradient and Hessian in one pass over the customers and caches them by
    point, since ``trust-exact`` asks for the Hessian at a trial point before its value. Converges
    quadratically from a nearby start.
    """
    cache: dict[bytes, tuple[float, FloatArray, FloatArray]] = {}

    def evaluate(phi: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        key = phi.tobytes()
        if key not in cache:
            f, g, h = objective.log_space_hessian(phi)
            if not (math.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
                f, g, h = math.inf, np.zeros_like(phi), np.eye(phi.shape[0])
            cache[key] = (f, g, h)
        return cache[key]

    def fun(phi: FloatArray) -> tuple[float, FloatArray]:
        f, g, _ = evaluate(phi)
        return f, g

    def hess(phi: FloatArray) -> FloatArray:
        return evaluate(phi)[2]

    return optimize.minimize(
        fun, log_start, jac=True, hess=hess, method="trust-exact", options={"gtol": gtol, "maxiter": maxiter}
    )


def _polish_or_keep(objective: _LogSpaceObjective, log_start: FloatArray) -> tuple[FloatArray, float, FloatArray]:
    """Run the Newton polish; trust-exact only accepts improving steps, so its point is never worse than the start."""
    polished = _newton_polish(objective, log_start)
    if math.isfinite(polished.fun):
        return polished.x, float(polished.fun), polished.jac
    f, g = objective(log_start)
    return log_start, f, g


def _is_converged(f: float, g: FloatArray, objective: _LogSpaceObjective | None = None,
                  log_theta: FloatArray | None = None) -> bool:
    """At a minimum: the gradient (of the mean negative log-likelihood, in log parameters) is below 1e-7, or, where
    rounding keeps it above that on a flat likelihood, the Newton decrement ``g' H^-1 g / 2`` (what another Newton
    step could still gain) is below 1e-14 of the objective with a positive definite Hessian."""
    if not math.isfinite(f):
        return False
    if np.max(np.abs(g)) < 1e-7:
        return True
    if objective is None or log_theta is None:
        return False
    _f, gradient, hessian = objective.log_space_hessian(log_theta)
    try:
        factor = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return False
    step = np.linalg.solve(factor, gradient)
    return bool(0.5 * float(step @ step) < 1e-14 * max(1.0, abs(f)))


def _optimise(
    objective: _LogSpaceObjective, start: FloatArray, ftol: float, from_subsample: bool
) -> tuple[FloatArray, float, bool]:
    """L-BFGS-B (skipped when ``start`` already comes from a subsample fit), then the Newton polish.

    If a polish from a subsample start does not converge (a flat, badly identified likelihood), L-BFGS-B runs on
    all rows after all and the polish is repeated. Returns ``(ln theta, mean negative ll, converged)``.
    """
    log_start = np.log(start) if from_subsample else _minimise(objective, start, ftol).x
    log_theta, f, g = _polish_or_keep(objective, log_start)
    if from_subsample and not _is_converged(f, g, objective, log_theta):
        log_theta, f, g = _polish_or_keep(objective, _minimise(objective, np.exp(log_theta), ftol).x)
    return log_theta, f, _is_converged(f, g, objective, log_theta)


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    ftol: float = 1e-12,
    weights: ArrayLike | None = None,
    aggregate: bool = False,
    initial: BGNBDParams | Sequence[float] | None = None,
) -> BGNBDParams:
    """Maximum-likelihood fit of the BG/NBD model (Fader, Hardie & Lee 2005).

    Args:
        frequency: repeat purchases ``x`` per customer (non-negative integers).
        recency: ``t_x`` per customer (0 when ``x == 0``).
        T: customer age ``T`` per customer, in the same unit as ``recency``.
        ftol: relative tolerance on the objective for the L-BFGS-B stage.
        weights: optional customer weights (e.g. counts of identical rows).
        aggregate: collapse identical ``(x, t_x, T)`` triples first (sorted with ``np.lexsort``, counted as
            weights). Worth it only when many customers share their triple (times in whole days over a short
            window); with a million distinct customers the sort costs more than it saves.
        initial: optional start point ``(r, alpha, a, b)``.

    Method: the mean negative log-likelihood (closed form, gradient and Hessian in the module docstring) is
    minimised over ``ln(r), ln(alpha), ln(a), ln(b)``:

    1. L-BFGS-B with the analytic gradient, from a rough start (or ``initial``). Above 200,000 rows this stage
       runs on a systematic 1-in-k subsample of about 50,000 rows instead, which is enough to land close to the
       optimum.
    2. A Newton trust-region polish (``trust-exact``) with the analytic Hessian on all rows, which converges
       quadratically (usually 1-3 iterations) to a gradient below 1e-8 (the last Newton step taken from a
       gradient of size g leaves an error of order g^2, so the parameters are exact to far more digits than the
       published three). On large data it replaces most of the L-BFGS-B iterations.
    """
    x, t_x, t, w = _as_rfm(frequency, recency, T, weights)
    if not np.any(x > 0):
        raise ValueError("BG/NBD needs at least one customer with a repeat purchase (frequency > 0)")
    if aggregate:
        x, t_x, t, w = _aggregate_rfm(x, t_x, t, w)

    objective = _BGNBDObjective(x, t_x, t, w)
    n = x.shape[0]
    step = max(1, n // _SUBSAMPLE_SIZE)
    from_subsample = initial is None and n > _SUBSAMPLE_ABOVE and bool(np.any(x[::step] > 0))
    if from_subsample:
        sub = fit_bgnbd(x[::step], t_x[::step], t[::step], ftol=ftol, weights=None if w is None else w[::step])
        start = np.array([sub.r, sub.alpha, sub.a, sub.b])
    elif initial is None:
        start = _bgnbd_start(x, t)
    elif isinstance(initial, BGNBDParams):
        start = np.array([initial.r, initial.alpha, initial.a, initial.b])
    else:
        start = np.asarray(initial, dtype=np.float64)
    log_theta, f_final, converged = _optimise(objective, start, ftol, from_subsample)
    r, alpha, a, b = (float(v) for v in np.exp(log_theta))
    return BGNBDParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=-f_final * objective.W, converged=converged)


def bgnbd_log_likelihood(
    params: BGNBDParams | Sequence[float], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood ``ln L(r, alpha, a, b | x, t_x, T)`` (FHL 2005 eq. 6), vectorised."""
    r, alpha, a, b = _bg_tuple(params)
    x, t_x, t, _ = _as_rfm(frequency, recency, T)
    xf = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log(alpha + t)
        c = special.gammaln(r + xf) - special.gammaln(r) + special.betaln(a, b + xf) - special.betaln(a, b)
        v = math.log(a) - np.log(np.maximum(b + xf - 1.0, 1e-300)) + (r + xf) * (lt - np.log(alpha + t_x))
        sp, _ = _softplus_sigmoid(v)
    return r * math.log(alpha) + c - (r + xf) * lt + np.where(x > 0, sp, 0.0)


# --------------------------------------------------------------------------- Gamma-Gamma fit


class _GammaGammaObjective(_LogSpaceObjective):
    """Gamma-Gamma log-likelihood with analytic gradient and Hessian (repeat customers only).

    ``ln G(p x + q) - ln G(p x)`` and its polygamma derivatives are evaluated once per distinct ``x``; per
    customer only ``L = ln(gamma + x m)`` and ``I = exp(-L) = 1 / (gamma + x m)`` are computed, into a
    preallocated buffer. Second derivatives::

        d2/dp2 = x^2 (psi'(p x + q) - psi'(p x))     d2/dp dq = x psi'(p x + q)    d2/dp dgamma = -x I
        d2/dq2 = psi'(p x + q) - psi'(q)             d2/dq dgamma = 1 / gamma - I
        d2/dgamma2 = -q / gamma^2 + (p x + q) I^2
    """

    def __init__(self, x: IntArray, m: FloatArray) -> None:
        self.x = np.ascontiguousarray(x)
        self.xf = self.x.astype(np.float64)
        self.xm = self.xf * m
        self.W = float(x.shape[0])
        self.n_params = 3
        self.xmax = int(x.max())
        self.count_x = np.bincount(x, minlength=self.xmax + 1)[1:].astype(np.float64)
        self.k = np.arange(1, self.xmax + 1, dtype=np.float64)
        ln_m = np.log(m)
        self.s_x_ln_m = _dot(self.xf, ln_m)
        self.s_ln_m = float(ln_m.sum())
        self.s_x_ln_x = float(np.dot(self.count_x, self.k * np.log(self.k)))
        self._buf = np.empty(self.x.shape[0])
        self._buf2 = np.empty(self.x.shape[0])

    def evaluate(self, theta: FloatArray, hessian: bool = False) -> tuple[float, FloatArray, FloatArray | None]:
        """Total log-likelihood, gradient and (optionally) Hessian with respect to (p, q, gamma)."""
        p, q, g = (float(v) for v in theta)
        k, cnt, n = self.k, self.count_x, self.W
        pkq = p * k + q
        lg_terms = special.gammaln(pkq) - special.gammaln(p * k)
        psi_pkq = special.digamma(pkq)
        psi_pk = special.digamma(p * k)

        buf = self._buf
        np.add(g, self.xm, out=buf)
        np.log(buf, out=buf)  # ln(gamma + x m)
        s_lgm = float(buf.sum())
        s_x_lgm = _dot(self.xf, buf)
        np.negative(buf, out=buf)
        np.exp(buf, out=buf)  # 1 / (gamma + x m)
        s_igm = float(buf.sum())
        s_x_igm = _dot(self.xf, buf)
        ln_g = math.log(g)

        ll = (
            float(np.dot(cnt, lg_terms))
            - n * special.gammaln(q)
            + n * q * ln_g
            + p * self.s_x_ln_x
            + p * self.s_x_ln_m
            - self.s_ln_m
            - p * s_x_lgm
            - q * s_lgm
        )
        g_p = float(np.dot(cnt * k, psi_pkq - psi_pk)) + self.s_x_ln_x + self.s_x_ln_m - s_x_lgm
        g_q = float(np.dot(cnt, psi_pkq)) - n * special.digamma(q) + n * ln_g - s_lgm
        g_g = n * q / g - p * s_x_igm - q * s_igm
        grad = np.array([g_p, g_q, g_g])
        if not hessian:
            return float(ll), grad, None

        tg_pkq = special.polygamma(1, pkq)
        np.multiply(buf, buf, out=self._buf2)  # I^2
        s_i2 = float(self._buf2.sum())
        s_x_i2 = _dot(self.xf, self._buf2)
        h = np.empty((3, 3))
        h[0, 0] = float(np.dot(cnt * k * k, tg_pkq - special.polygamma(1, p * k)))
        h[0, 1] = h[1, 0] = float(np.dot(cnt * k, tg_pkq))
        h[0, 2] = h[2, 0] = -s_x_igm
        h[1, 1] = float(np.dot(cnt, tg_pkq)) - n * special.polygamma(1, q)
        h[1, 2] = h[2, 1] = n / g - s_igm
        h[2, 2] = -n * q / g**2 + p * s_x_i2 + q * s_i2
        return float(ll), grad, h


def _repeat_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[IntArray, FloatArray]:
    xf = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    if xf.ndim != 1 or xf.shape != m.shape:
        raise ValueError("frequency and monetary must be one-dimensional arrays of the same length")
    x = np.rint(xf).astype(np.int64)
    if np.any(x < 0) or np.any(np.abs(xf - x) > 1e-9):
        raise ValueError("frequency must hold non-negative integers")
    repeat = x > 0
    if not np.any(repeat):
        raise ValueError("Gamma-Gamma needs customers with repeat purchases (frequency > 0); there are none")
    x, m = x[repeat], m[repeat]
    bad = ~(np.isfinite(m) & (m > 0))
    if np.any(bad):
        raise ValueError(
            f"{int(bad.sum())} repeat customers have a non-positive or non-finite monetary value; "
            "the Gamma-Gamma model needs monetary > 0 (filter them out first)"
        )
    return x, m


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    ftol: float = 1e-12,
    initial: GammaGammaParams | Sequence[float] | None = None,
) -> GammaGammaParams:
    """Maximum-likelihood fit of the Gamma-Gamma spend model on the customers with ``frequency > 0``.

    ``monetary`` is the mean value of each customer's repeat transactions. Raises ``ValueError`` when no customer
    has a repeat purchase or when a repeat customer's monetary value is not positive. The optimisation is
    L-BFGS-B over ``ln(p), ln(q), ln(gamma)`` with the analytic gradient (module docstring), followed by a Newton
    trust-region polish with the analytic Hessian (p, q and gamma are strongly correlated, which leaves L-BFGS-B
    stalling a little short of the optimum); terms that depend only on the integer ``x`` are computed once per
    distinct ``x``. As for BG/NBD, above 200,000 customers the L-BFGS-B stage runs on a systematic subsample of
    about 50,000 and only the Newton polish sees everyone.
    """
    x, m = _repeat_spend(frequency, monetary)
    objective = _GammaGammaObjective(x, m)
    n = x.shape[0]
    from_subsample = initial is None and n > _SUBSAMPLE_ABOVE
    if from_subsample:
        step = n // _SUBSAMPLE_SIZE
        sub = fit_gamma_gamma(x[::step], m[::step], ftol=ftol)
        start = np.array([sub.p, sub.q, sub.gamma])
    elif initial is None:
        start = np.array([1.0, 1.0, float(np.mean(m))])
    elif isinstance(initial, GammaGammaParams):
        start = np.array([initial.p, initial.q, initial.gamma])
    else:
        start = np.asarray(initial, dtype=np.float64)
    log_theta, f_final, converged = _optimise(objective, start, ftol, from_subsample)
    p, q, g = (float(v) for v in np.exp(log_theta))
    return GammaGammaParams(p=p, q=q, gamma=g, log_likelihood=-f_final * objective.W, converged=converged)


def gamma_gamma_log_likelihood(
    params: GammaGammaParams | Sequence[float], frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log density of the mean spend ``m`` given ``x`` (repeat customers only)."""
    p, q, g = _gg_tuple(params)
    x, m = _repeat_spend(frequency, monetary)
    xf = x.astype(np.float64)
    return (
        special.gammaln(p * xf + q)
        - special.gammaln(p * xf)
        - special.gammaln(q)
        + q * math.log(g)
        + p * xf * np.log(xf)
        + (p * xf - 1.0) * np.log(m)
        - (p * xf + q) * np.log(g + xf * m)
    )


# --------------------------------------------------------------------------- predictions


def _bg_tuple(params: BGNBDParams | Sequence[float]) -> tuple[float, float, float, float]:
    if isinstance(params, BGNBDParams):
        return params.r, params.alpha, params.a, params.b
    r, alpha, a, b = (float(v) for v in params)
    return r, alpha, a, b


def _gg_tuple(params: GammaGammaParams | Sequence[float]) -> tuple[float, float, float]:
    if isinstance(params, GammaGammaParams):
        return params.p, params.q, params.gamma
    p, q, g = (float(v) for v in params)
    return p, q, g


def _log_odds_dead(
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
    r, alpha, a, b = _bg_tuple(params)
    x = np.asarray(frequency, dtype=np.float64)
    v = _log_odds_dead(r, alpha, a, b, x, np.asarray(recency, dtype=np.float64), np.asarray(T, dtype=np.float64))
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
    r, alpha, a, b = _bg_tuple(params)
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
    p, q, g = _gg_tuple(gg_params)
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
    if unit not in _DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'week' or 'day', not {unit!r}")
    if horizon_periods <= 0:
        raise ValueError("horizon_periods must be positive")
    if discount_rate_annual <= -1:
        raise ValueError("discount_rate_annual must be greater than -1")
    periods_per_year = _DAYS_PER_YEAR / _DAYS_PER_UNIT[unit]
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


# --------------------------------------------------------------------------- files

_CHUNK_ROWS = 500_000
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
# Widths of the text columns; a value that fills its width may have been cut and is treated as malformed.
_ID_WIDTH = 96
_TEXT_WIDTH = 40
# "1234.5", "-12", "1,234.50", "¥88", "￥-3.5", "$ 1,000", "88元", "1.5e3"; a comma is only a thousands separator.
_AMOUNT_RE = re.compile(
    r"([+-]?)\s*(?:[¥￥$€£]|RMB|CNY|USD|EUR)?\s*([+-]?)"
    r"(\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*元?",
    re.IGNORECASE,
)
# Year first: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105 (a time after a space or "T" is ignored).
_DATE_RES = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True, eq=False)
class TransactionFile:
    """The usable rows of a transaction file, with what was left out.

    Attributes:
        customer: customer ids (int64 when the ids are plain numbers without ambiguous zero padding, else strings).
        day: purchase day, days since 1970-01-01 (a time of day is dropped: the local day as written).
        amount: the amount of each row.
        rows: data rows in the file (header and blank lines not counted).
        skipped: rows left out because the customer id, the date or the amount is missing or malformed.
        first_skipped: where and why the first skipped row was left out ("" when none was).
    """

    customer: NDArray[Any]
    day: IntArray
    amount: FloatArray
    rows: int
    skipped: int
    first_skipped: str


def _date_value(text: str, date_format: str | None = None) -> int | None:
    """One date string -> days since 1970-01-01, or ``None`` when it is not a valid date."""
    text = text.strip()
    if date_format is not None:
        try:
            return dt.datetime.strptime(text, date_format).date().toordinal() - _EPOCH_ORDINAL
        except ValueError:
            return None
    date_part = text.replace("T", " ", 1).split(" ", 1)[0] if text else ""
    for pattern in _DATE_RES:
        match = pattern.fullmatch(date_part)
        if match is not None:
            groups = [g for g in match.groups() if g and g.isdigit()]
            try:
                return dt.date(*(int(g) for g in groups)).toordinal() - _EPOCH_ORDINAL
            except ValueError:
                return None
    return None


def _amount_value(text: str) -> float | None:
    """One amount string -> float, or ``None`` when it is not a finite number."""
    match = _AMOUNT_RE.fullmatch(text.strip())
    if match is None:
        return None
    value = float(match.group(3).replace(",", ""))
    if not math.isfinite(value):
        return None
    return -value if "-" in match.group(1) + match.group(2) else value


def _by_unique(
    text: NDArray[np.str_], parse: Callable[[str], float | int | None]
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Apply a scalar parser once per distinct string; return the values (NaN where invalid) and the valid mask."""
    uniq, inverse = np.unique(text, return_inverse=True)
    parsed = [parse(str(s)) for s in uniq]
    values = np.array([math.nan if v is None else float(v) for v in parsed], dtype=np.float64)[inverse.reshape(-1)]
    return values, ~np.isnan(values)


def _parse_amounts(text: NDArray[np.str_]) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Amount strings -> (values, valid mask). Plain numbers take a vectorised path; other forms go through
    ``_amount_value`` once per distinct string."""
    try:
        values = text.astype(np.float64)  # surrounding white space is allowed here
    except ValueError:
        return _by_unique(np.strings.strip(text), _amount_value)
    valid = np.isfinite(values)
    return np.where(valid, values, 0.0), valid


def _days_from_yyyymmdd(values: NDArray[np.int64]) -> tuple[IntArray, NDArray[np.bool_]]:
    """Vectorised YYYYMMDD integer -> (days since 1970-01-01, valid mask)."""
    year = values // 10000
    month = values // 100 % 100
    day = values % 100
    valid = (month >= 1) & (month <= 12) & (day >= 1)
    month = np.where(valid, month, 1)
    month_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1).astype("timedelta64[M]")
    month_len = (month_start + np.timedelta64(1, "M")).astype("datetime64[D]") - month_start.astype("datetime64[D]")
    valid &= day <= month_len.astype(np.int64)
    days = month_start.astype("datetime64[D]").astype(np.int64) + (day - 1)
    return np.where(valid, days, 0), valid


def _parse_dates(text: NDArray[np.str_], date_format: str | None) -> tuple[IntArray, NDArray[np.bool_]]:
    """Date strings -> (days since 1970-01-01, valid mask).

    Without ``date_format``: year-first dates (see ``_DATE_RES``), a time after a space or ``T`` ignored. All-digit
    YYYYMMDD columns and ISO YYYY-MM-DD columns take vectorised paths; anything else is parsed once per distinct
    date string. With ``date_format`` each distinct string is parsed with ``strptime``.
    """
    text = np.strings.strip(text)
    if text.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    if date_format is not None:
        fmt = date_format
        days, valid = _by_unique(text, lambda s: _date_value(s, fmt))
        return np.where(valid, days, 0).astype(np.int64), valid
    lengths = np.char.str_len(text)
    if bool(np.all(lengths == 8)) and bool(np.all(np.char.isdigit(text))):
        return _days_from_yyyymmdd(text.astype(np.int64))
    date_part = text
    if bool(np.any(lengths > 10)):
        date_part = np.char.partition(np.char.replace(text, "T", " ", count=1), " ")[:, 0]
    if bool(np.all(np.char.str_len(date_part) == 10)):
        try:
            parsed = np.asarray(date_part, dtype="datetime64[D]")
        except ValueError:
            pass
        else:
            valid = ~np.isnat(parsed)
            return np.where(valid, parsed.astype(np.int64), 0), valid
    days, valid = _by_unique(date_part, _date_value)
    return np.where(valid, days, 0).astype(np.int64), valid


def _calibration_day(value: Any) -> int:
    if isinstance(value, str):
        day = _date_value(value)
        if day is None:
            raise ValueError(f"calibration end {value!r} is not a date (use YYYY-MM-DD)")
        return day
    return _to_day(value)


def _sniff_delimiter(sample: str) -> str | None:
    """``None`` means runs of whitespace; otherwise the single-character delimiter csv.Sniffer finds."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:20]
    if not lines:
        raise ValueError("the file is empty")
    probe = "\n".join(lines)
    if not any(c in probe for c in ",;\t|"):
        return None
    try:
        return csv.Sniffer().sniff(probe, delimiters=",;\t|").delimiter
    except csv.Error:
        # Rows of uneven width defeat the sniffer: take the separator used most in the first line.
        counts = {c: lines[0].count(c) for c in ",;\t|"}
        best = max(counts, key=lambda c: counts[c])
        return best if counts[best] else None


def _split_line(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter), [])


def _looks_like_data(fields: list[str], date_idx: int, amount_idx: int, date_format: str | None) -> bool:
    if max(date_idx, amount_idx) >= len(fields):
        return False
    _, amount_ok = _parse_amounts(np.array([fields[amount_idx]]))
    _, date_ok = _parse_dates(np.array([fields[date_idx]]), date_format)
    return bool(amount_ok[0] and date_ok[0])


def _resolve_column(spec: int | str, header: list[str] | None) -> int:
    if isinstance(spec, int):
        if spec < 0:
            raise ValueError(f"column {spec} must be 0 or more (columns are numbered from 0)")
        return spec
    if header is None:
        raise ValueError(f"column {spec!r} given by name but the file has no header line")
    names = [h.replace("\ufeff", "").strip() for h in header]
    if spec.strip() in names:
        return names.index(spec.strip())
    lowered = [n.lower() for n in names]
    if spec.strip().lower() in lowered:
        return lowered.index(spec.strip().lower())
    raise ValueError(f"column {spec!r} not found in the header {names}")


def _id_column(ids: NDArray[np.str_]) -> NDArray[Any]:
    """Turn decimal-string ids into int64 when that is one-to-one (no padding ambiguity), else keep strings."""
    if ids.size == 0 or not all(s.isdigit() for s in ids[:1]):
        return ids
    try:
        as_int = ids.astype(np.int64)
    except (ValueError, OverflowError):
        return ids
    lengths = np.char.str_len(ids)
    if lengths.min() == lengths.max() or not np.any(np.char.startswith(ids, "0") & (lengths > 1)):
        return as_int
    return ids


# A chunk of rows: line numbers, the three columns as text, and which rows lack one of the columns.
_Chunk = tuple[IntArray, NDArray[np.str_], NDArray[np.str_], NDArray[np.str_], NDArray[np.bool_]]


def _chunk_from_fields(numbers: ArrayLike, rows: Sequence[Sequence[str]], cols: tuple[int, int, int]) -> _Chunk:
    need = max(cols) + 1
    missing = np.array([len(r) < need for r in rows], dtype=bool)
    c = [r[cols[0]] if len(r) >= need else "" for r in rows]
    d = [r[cols[1]] if len(r) >= need else "" for r in rows]
    m = [r[cols[2]] if len(r) >= need else "" for r in rows]
    return (
        np.asarray(numbers, dtype=np.int64),
        np.asarray(c, dtype=f"U{_ID_WIDTH}"),
        np.asarray(d, dtype=f"U{_TEXT_WIDTH}"),
        np.asarray(m, dtype=f"U{_TEXT_WIDTH}"),
        missing,
    )


def _text_chunks(
    path: str | os.PathLike[str],
    encoding: str,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None,
) -> Iterable[_Chunk]:
    """Read a delimited/whitespace text file in chunks of ``_CHUNK_ROWS`` lines with ``np.loadtxt``.

    A chunk that ``np.loadtxt`` cannot split (a row with too few fields) is split again line by line with the csv
    module, and the short rows are marked as missing a column.
    """
    with open(path, encoding=encoding, newline=None) as fh:
        sample = fh.read(65536)
        delimiter = _sniff_delimiter(sample)
        fh.seek(0)
        first_line, first_number = "", 0
        for first_number, line in enumerate(fh, start=1):  # noqa: B007 - the number is used after the loop
            if line.strip():
                first_line = line
                break
        first = _split_line(first_line, delimiter)
        named = any(isinstance(c, str) for c in (customer_col, date_col, amount_col))
        # Columns given by name need a header; by index, a first line whose date/amount do not parse is one.
        has_header = named or not _looks_like_data(first, int(date_col), int(amount_col), date_format)
        header = first if has_header else None
        cols = (
            _resolve_column(customer_col, header),
            _resolve_column(date_col, header),
            _resolve_column(amount_col, header),
        )
        if header is not None and max(cols) >= len(header):
            raise ValueError(f"column {max(cols)} is beyond the {len(header)} columns of the header line")
        dtype = np.dtype([("c", f"U{_ID_WIDTH}"), ("d", f"U{_TEXT_WIDTH}"), ("m", f"U{_TEXT_WIDTH}")])

        def parse(numbers: IntArray, lines: list[str]) -> _Chunk:
            try:
                table = np.loadtxt(
                    lines, dtype=dtype, delimiter=delimiter, usecols=cols, ndmin=1, quotechar='"', comments=None
                )
            except ValueError:
                return _chunk_from_fields(numbers, [_split_line(ln, delimiter) for ln in lines], cols)
            return numbers, table["c"], table["d"], table["m"], np.zeros(len(lines), bool)

        number = first_number
        if not has_header:
            yield parse(np.array([first_number], dtype=np.int64), [first_line])
        while True:
            chunk = list(islice(fh, _CHUNK_ROWS))
            if not chunk:
                break
            numbers = np.arange(number + 1, number + 1 + len(chunk), dtype=np.int64)
            number += len(chunk)
            blank = np.array([ln.isspace() for ln in chunk], dtype=bool)
            if blank.any():
                chunk = [ln for ln in chunk if not ln.isspace()]
                numbers = numbers[~blank]
            if chunk:
                yield parse(numbers, chunk)


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, dates and date-times in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _spreadsheet_chunks(
    path: str | os.PathLike[str],
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None,
) -> Iterable[_Chunk]:
    """Read the first sheet of a spreadsheet with python-calamine; rows are numbered as in the spreadsheet."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(os.fspath(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # noqa: BLE001 - calamine raises several error types for unreadable files
        raise ValueError(f"cannot read {os.fspath(path)} as a spreadsheet: {error}") from None
    try:
        rows = enumerate(sheet.iter_rows(), start=1)
        header: list[str] | None = None
        cols: tuple[int, int, int] | None = None
        numbers: list[int] = []
        fields: list[list[str]] = []
        for number, values in rows:
            texts = [_cell_text(v) for v in values]
            if not any(t.strip() for t in texts):
                continue
            if cols is None:
                named = any(isinstance(c, str) for c in (customer_col, date_col, amount_col))
                if named or not _looks_like_data(texts, int(date_col), int(amount_col), date_format):
                    header = texts
                cols = (
                    _resolve_column(customer_col, header),
                    _resolve_column(date_col, header),
                    _resolve_column(amount_col, header),
                )
                if header is not None:
                    continue
            numbers.append(number)
            fields.append(texts)
            if len(numbers) >= _CHUNK_ROWS:
                yield _chunk_from_fields(numbers, fields, cols)
                numbers, fields = [], []
        if numbers and cols is not None:
            yield _chunk_from_fields(numbers, fields, cols)
    finally:
        workbook.close()


def _decoded_chunks(
    path: str | os.PathLike[str],
    encoding: str,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None,
) -> list[_Chunk]:
    """All chunks of a text file; ``encoding="auto"`` tries UTF-8 (BOM dropped), then GB18030 (a superset of GBK)."""
    name = encoding.strip().lower().replace("_", "-")
    if name in {"gbk", "gb2312", "cp936"}:
        name = "gb18030"
    elif name in {"utf8", "utf-8"}:
        name = "utf-8-sig"
    candidates = ["utf-8-sig", "gb18030"] if name == "auto" else [name]
    for codec in candidates:
        try:
            return list(_text_chunks(path, codec, customer_col, date_col, amount_col, date_format))
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
    raise ValueError(
        f"{os.fspath(path)} is not in the {' or '.join(candidates)} encoding"
        + ("; pass the file's encoding (e.g. --encoding latin-1)" if name == "auto" else "")
    )


def _narrow(text: NDArray[np.str_], lengths: NDArray[Any] | None = None) -> NDArray[np.str_]:
    """The same strings in the narrowest ``U`` dtype that holds them."""
    if text.size == 0:
        return text
    if lengths is None:
        lengths = np.strings.str_len(text)
    return text.astype(f"U{max(1, int(lengths.max()))}")


def read_transaction_file(
    path: str | os.PathLike[str],
    *,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None = None,
    encoding: str = "auto",
) -> TransactionFile:
    """Read the customer, date and amount columns of a transaction file; malformed rows are skipped and counted.

    Text files are comma/semicolon/tab/pipe-separated (sniffed) or whitespace-separated (like ``CDNOW_master.txt``),
    with or without a header line, in UTF-8 (with or without BOM) or GBK/GB18030 (``encoding="auto"``). Spreadsheets
    (``.xlsx``, ``.xls``, ``.ods`` ...) are read from their first sheet. Columns are given by 0-based index or by
    header name. Dates are year first (``2024-01-05``, ``2024/1/5``, ``20240105``, ``2024年1月5日``), a time of day
    after them is ignored, or follow ``date_format`` (a ``strptime`` format). Amounts may carry a currency sign
    (``¥88``) and thousands separators (``1,234.50``). A row whose customer id is empty, whose date is not a valid
    date or whose amount is not a finite number is skipped; ``skipped`` counts them.
    """
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if os.path.splitext(os.fspath(path))[1].lower() in SPREADSHEET_SUFFIXES:
        chunks = list(_spreadsheet_chunks(path, customer_col, date_col, amount_col, date_format))
    else:
        chunks = _decoded_chunks(path, encoding, customer_col, date_col, amount_col, date_format)

    id_parts: list[NDArray[np.str_]] = []
    day_parts: list[IntArray] = []
    amount_parts: list[FloatArray] = []
    rows = skipped = 0
    first_skipped = ""
    for numbers, c, d, m, missing in chunks:
        c_len = np.strings.str_len(c)
        id_ok = c_len < _ID_WIDTH  # an id filling the whole width may have been cut short
        # Narrow the text columns to their longest value first: string operations cost in proportion to the width.
        ids = np.strings.strip(_narrow(c, c_len))
        d = _narrow(d)
        m = _narrow(m)
        days, date_ok = _parse_dates(d, date_format)
        amounts, amount_ok = _parse_amounts(m)
        id_ok &= ids != ""
        ok = ~missing & id_ok & date_ok & amount_ok
        rows += int(ok.shape[0])
        if not bool(ok.all()):
            skipped += int((~ok).sum())
            if not first_skipped:
                i = int(np.flatnonzero(~ok)[0])
                if missing[i]:
                    why = "it has too few columns"
                elif not id_ok[i]:
                    why = "no customer id" if not ids[i] else "customer id too long"
                elif not date_ok[i]:
                    why = f"date {str(d[i]).strip()!r} is not a date"
                else:
                    why = f"amount {str(m[i]).strip()!r} is not a number"
                first_skipped = f"line {int(numbers[i])}: {why}"
            ids, days, amounts = ids[ok], days[ok], amounts[ok]
        id_parts.append(ids)
        day_parts.append(days)
        amount_parts.append(amounts)

    if rows == 0:
        raise ValueError(f"no transaction rows in {os.fspath(path)!r}")
    if rows == skipped:
        raise ValueError(f"no usable transaction rows in {os.fspath(path)!r} (first problem: {first_skipped})")
    return TransactionFile(
        customer=_id_column(np.concatenate(id_parts)),
        day=np.concatenate(day_parts),
        amount=np.concatenate(amount_parts),
        rows=rows,
        skipped=skipped,
        first_skipped=first_skipped,
    )


def fit_file(
    path: str | os.PathLike[str],
    *,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    calibration_end: Any,
    unit: Unit = "week",
    date_format: str | None = None,
    encoding: str = "auto",
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Summarise a transaction file and fit BG/NBD and Gamma-Gamma, without any database.

    The file is read by ``read_transaction_file`` (formats, encodings and malformed rows are described there). Rows
    dated after ``calibration_end`` are ignored, so a customer whose first purchase is after it is not in the fit.
    Repeat customers whose mean repeat spend is not positive are left out of the Gamma-Gamma fit (that model
    needs positive values).

    ``notify`` receives one-line messages about what was left out (skipped malformed rows, rows after the
    calibration end, customers left out of Gamma-Gamma). Without it, skipped rows and customers left out of
    Gamma-Gamma are issued as ``UserWarning`` and the (expected) rows after the calibration end are not mentioned.

    Returns ``{"customers": N, "bgnbd": {r, alpha, a, b}, "gamma_gamma": {p, q, gamma}, "log_likelihood": ll}``
    where ``log_likelihood`` is the BG/NBD one.
    """
    def warn(message: str) -> None:
        if notify is None:
            warnings.warn(message, UserWarning, stacklevel=3)
        else:
            notify(message)

    end = _calibration_day(calibration_end)
    tx = read_transaction_file(
        path, customer_col=customer_col, date_col=date_col, amount_col=amount_col, date_format=date_format,
        encoding=encoding,
    )
    if tx.skipped:
        warn(
            f"skipped {tx.skipped:,} of {tx.rows:,} rows with a missing or malformed customer id, date or amount "
            f"(first at {tx.first_skipped})"
        )
    later = tx.day > end
    n_later = int(later.sum())
    if n_later == later.shape[0]:
        first = _iso(int(tx.day.min()))
        raise ValueError(f"no transactions on or before the calibration end {_iso(end)} (the first is on {first})")
    if n_later and notify is not None:
        late_customers = np.setdiff1d(np.unique(tx.customer[later]), tx.customer[~later]).shape[0]
        notify(
            f"ignored {n_later:,} rows dated after the calibration end {_iso(end)}"
            + (f" ({late_customers:,} customers bought only after it and are not in the fit)" if late_customers else "")
        )
    summary = summarise_transactions(
        tx.customer, tx.day.astype("datetime64[D]"), tx.amount, np.datetime64(end, "D"), unit=unit
    )
    bg = fit_bgnbd(summary.frequency, summary.recency, summary.T)
    if _ran_off(bg.as_dict()):
        warn(f"the data ({len(summary):,} customers) does not identify BG/NBD: parameters ran off to "
             f"{_ran_off(bg.as_dict())}; they are not reliable")
    repeat = summary.frequency > 0
    usable = repeat & (summary.monetary > 0)
    if not usable.any():
        raise ValueError("Gamma-Gamma needs customers with a repeat purchase of positive value; there are none")
    left_out = int(repeat.sum() - usable.sum())
    if left_out:
        warn(f"left {left_out:,} repeat customers whose mean repeat spend is not positive out of Gamma-Gamma")
    gg = fit_gamma_gamma(summary.frequency[usable], summary.monetary[usable])
    if _ran_off(gg.as_dict()):
        warn(f"the data ({int(usable.sum()):,} repeat customers) does not identify Gamma-Gamma: parameters ran off "
             f"to {_ran_off(gg.as_dict())}; they are not reliable")
    return {
        "customers": len(summary),
        "bgnbd": bg.as_dict(),
        "gamma_gamma": gg.as_dict(),
        "log_likelihood": bg.log_likelihood,
    }


def _ran_off(params: dict[str, float]) -> str:
    """The parameters that ran towards 0 or infinity (a likelihood without a finite maximum), as ``"r=3.2e+06"``."""
    return ", ".join(f"{k}={v:.3g}" for k, v in params.items() if not 1e-6 < v < 1e6)


def _iso(day: int) -> str:
    return str(np.datetime64(day, "D"))
