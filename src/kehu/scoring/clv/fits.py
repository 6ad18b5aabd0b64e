"""Maximum-likelihood fits of BG/NBD (purchase counts) and Gamma-Gamma (spend), and their log-likelihoods.

The closed forms, gradients and Hessians are in the docstring of :mod:`kehu.scoring.clv`. scipy is imported inside the
functions that use it, so importing the scoring app does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .optimise import LogSpaceObjective, dot_without_blas, lbfgs_then_newton, weighted_sum
from .summary import FloatArray, IntArray

# Above this many rows the L-BFGS-B stage runs on a systematic subsample of about SUBSAMPLE_SIZE rows and only
# the Newton polish sees all the data.
SUBSAMPLE_ABOVE = 200_000
SUBSAMPLE_SIZE = 50_000


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


def bgnbd_tuple(params: BGNBDParams | Sequence[float]) -> tuple[float, float, float, float]:
    if isinstance(params, BGNBDParams):
        return params.r, params.alpha, params.a, params.b
    r, alpha, a, b = (float(v) for v in params)
    return r, alpha, a, b


def gamma_gamma_tuple(params: GammaGammaParams | Sequence[float]) -> tuple[float, float, float]:
    if isinstance(params, GammaGammaParams):
        return params.p, params.q, params.gamma
    p, q, g = (float(v) for v in params)
    return p, q, g


def softplus_sigmoid(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``(ln(1 + e^v), 1 / (1 + e^-v))`` without overflow (and with fast ufuncs only)."""
    e = np.exp(-np.abs(v))
    l1pe = np.log(1.0 + e)
    softplus = np.maximum(v, 0.0) + l1pe
    sigmoid = np.exp(np.minimum(v, 0.0) - l1pe)
    return softplus, sigmoid


# --------------------------------------------------------------------------- BG/NBD


class BGNBDObjective(LogSpaceObjective):
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

    def _by_x(self, values: FloatArray) -> FloatArray:
        """Sum of ``values`` over the repeaters at each x = 1..xmax."""
        return np.bincount(self.x1, weights=values, minlength=self.xmax + 1)[1:].astype(np.float64, copy=False)

    def evaluate(self, theta: FloatArray, hessian: bool = False) -> tuple[float, FloatArray, FloatArray | None]:
        """Total log-likelihood, its gradient and (optionally) its Hessian with respect to (r, alpha, a, b)."""
        from scipy import special

        r, alpha, a, b = (float(v) for v in theta)
        ln_alpha = math.log(alpha)
        k, cnt = self.k, self.count_x
        w0, w1 = self.w0, self.w1
        h = np.zeros((4, 4)) if hessian else None

        # Zero-repeaters: ll = r (ln alpha - ln(alpha + T)); d/d alpha needs sum 1 / (alpha + T) = sum exp(-ln(...)).
        b0 = self._b0
        np.add(alpha, self.T0, out=b0)
        np.log(b0, out=b0)
        s_l0 = weighted_sum(w0, b0)
        np.negative(b0, out=b0)
        np.exp(b0, out=b0)
        s_i0 = weighted_sum(w0, b0)
        ll = r * (self.W0 * ln_alpha - s_l0)
        g_r = self.W0 * ln_alpha - s_l0
        g_alpha = r * (self.W0 / alpha - s_i0)
        g_a = 0.0
        g_b = 0.0
        if h is not None:
            h[0, 1] = self.W0 / alpha - s_i0
            h[1, 1] = r * (-self.W0 / alpha**2 + float(dot_without_blas(b0 if w0 is None else w0 * b0, b0)))
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
        s_softplus = weighted_sum(w1, tmp) + weighted_sum(w1, e)
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
        s_lt = weighted_sum(w1, lt)
        s_x_lt = float(dot_without_blas(self.wx1, lt))
        s_qd = float(dot_without_blas(q, d))
        q_by_x = self._by_x(q)
        np.negative(lt, out=lt)
        np.exp(lt, out=lt)  # lt now holds 1 / (alpha + T)
        np.negative(ltx, out=ltx)
        np.exp(ltx, out=ltx)  # ltx now holds 1 / (alpha + t_x)
        wrx = rx if w1 is None else rx * w1
        s_rx_it = float(dot_without_blas(wrx, lt))
        np.subtract(lt, ltx, out=va)
        np.multiply(va, rx, out=va)  # v_alpha = (r + x) (1 / (alpha + T) - 1 / (alpha + t_x))
        s_q_va = float(dot_without_blas(q, va))

        ll += self.W1 * r * ln_alpha + float(dot_without_blas(cnt, c_x)) - r * s_lt - s_x_lt + s_softplus
        g_r += self.W1 * ln_alpha + float(dot_without_blas(cnt, dc_r)) - s_lt + s_qd
        g_alpha += self.W1 * r / alpha - s_rx_it + s_q_va
        g_a += float(dot_without_blas(cnt, dc_a)) + float(q_by_x.sum()) / a
        g_b += float(dot_without_blas(cnt, dc_b)) - float(dot_without_blas(q_by_x, inv_b))

        if h is not None:
            tg_ab = special.polygamma(1, a + b)
            tg_abk = special.polygamma(1, a + b + k)
            s_by_x = self._by_x(s)
            np.multiply(s, d, out=tmp)  # s v_r
            h_rr = float(dot_without_blas(tmp, d))
            h_r_alpha = float(dot_without_blas(tmp, va))
            sd_by_x = self._by_x(tmp)
            np.multiply(s, va, out=tmp)  # s v_alpha
            h_alpha_alpha = float(dot_without_blas(tmp, va))
            sva_by_x = self._by_x(tmp)
            s_q_dit = float(dot_without_blas(q, lt)) - float(dot_without_blas(q, ltx))
            s_it = weighted_sum(w1, lt)
            np.multiply(lt, lt, out=tmp)  # 1 / (alpha + T)^2
            s_rx_it2 = float(dot_without_blas(wrx, tmp))
            np.multiply(ltx, ltx, out=e)  # 1 / (alpha + t_x)^2
            np.subtract(e, tmp, out=e)
            np.multiply(e, rx, out=e)
            s_q_dva = float(dot_without_blas(q, e))  # sum q d v_alpha / d alpha
            s_tot, q_tot = float(s_by_x.sum()), float(q_by_x.sum())

            h[0, 0] = float(dot_without_blas(cnt, special.polygamma(1, r + k) - special.polygamma(1, r))) + h_rr
            h[0, 1] += self.W1 / alpha - s_it + h_r_alpha + s_q_dit
            h[0, 2] = float(sd_by_x.sum()) / a
            h[0, 3] = -float(dot_without_blas(sd_by_x, inv_b))
            h[1, 1] += -self.W1 * r / alpha**2 + s_rx_it2 + h_alpha_alpha + s_q_dva
            h[1, 2] = float(sva_by_x.sum()) / a
            h[1, 3] = -float(dot_without_blas(sva_by_x, inv_b))
            h[2, 2] = float(dot_without_blas(cnt, tg_ab - tg_abk)) + (s_tot - q_tot) / a**2
            h[2, 3] = float(dot_without_blas(cnt, tg_ab - tg_abk)) - float(dot_without_blas(s_by_x, inv_b)) / a
            h[3, 3] = float(
                np.dot(cnt, special.polygamma(1, b + k) - tg_abk - special.polygamma(1, b) + tg_ab)
            ) + float(dot_without_blas(s_by_x + q_by_x, inv_b**2))
            h = np.triu(h) + np.triu(h, 1).T
        return ll, np.array([g_r, g_alpha, g_a, g_b]), h


def checked_rfm(
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


def aggregate_rfm(
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


def bgnbd_start(x: IntArray, T: FloatArray) -> FloatArray:
    """Rough start: r = 1, alpha from the mean purchase rate, a = b = 1."""
    rate = (float(x.mean()) + 0.1) / max(float(T.mean()), 1e-9)
    return np.array([1.0, 1.0 / rate, 1.0, 1.0])


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
    x, t_x, t, w = checked_rfm(frequency, recency, T, weights)
    if not np.any(x > 0):
        raise ValueError("BG/NBD needs at least one customer with a repeat purchase (frequency > 0)")
    if aggregate:
        x, t_x, t, w = aggregate_rfm(x, t_x, t, w)

    objective = BGNBDObjective(x, t_x, t, w)
    n = x.shape[0]
    step = max(1, n // SUBSAMPLE_SIZE)
    from_subsample = initial is None and n > SUBSAMPLE_ABOVE and bool(np.any(x[::step] > 0))
    if from_subsample:
        sub = fit_bgnbd(x[::step], t_x[::step], t[::step], ftol=ftol, weights=None if w is None else w[::step])
        start = np.array([sub.r, sub.alpha, sub.a, sub.b])
    elif initial is None:
        start = bgnbd_start(x, t)
    elif isinstance(initial, BGNBDParams):
        start = np.array([initial.r, initial.alpha, initial.a, initial.b])
    else:
        start = np.asarray(initial, dtype=np.float64)
    log_theta, f_final, converged = lbfgs_then_newton(objective, start, ftol, from_subsample)
    r, alpha, a, b = (float(v) for v in np.exp(log_theta))
    return BGNBDParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=-f_final * objective.W, converged=converged)


def bgnbd_log_likelihood(
    params: BGNBDParams | Sequence[float], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood ``ln L(r, alpha, a, b | x, t_x, T)`` (FHL 2005 eq. 6), vectorised."""
    from scipy import special

    r, alpha, a, b = bgnbd_tuple(params)
    x, t_x, t, _ = checked_rfm(frequency, recency, T)
    xf = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log(alpha + t)
        c = special.gammaln(r + xf) - special.gammaln(r) + special.betaln(a, b + xf) - special.betaln(a, b)
        v = math.log(a) - np.log(np.maximum(b + xf - 1.0, 1e-300)) + (r + xf) * (lt - np.log(alpha + t_x))
        sp, _ = softplus_sigmoid(v)
    return r * math.log(alpha) + c - (r + xf) * lt + np.where(x > 0, sp, 0.0)


# --------------------------------------------------------------------------- Gamma-Gamma


class GammaGammaObjective(LogSpaceObjective):
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
        self.s_x_ln_m = dot_without_blas(self.xf, ln_m)
        self.s_ln_m = float(ln_m.sum())
        self.s_x_ln_x = float(np.dot(self.count_x, self.k * np.log(self.k)))
        self._buf = np.empty(self.x.shape[0])
        self._buf2 = np.empty(self.x.shape[0])

    def evaluate(self, theta: FloatArray, hessian: bool = False) -> tuple[float, FloatArray, FloatArray | None]:
        """Total log-likelihood, gradient and (optionally) Hessian with respect to (p, q, gamma)."""
        from scipy import special

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
        s_x_lgm = dot_without_blas(self.xf, buf)
        np.negative(buf, out=buf)
        np.exp(buf, out=buf)  # 1 / (gamma + x m)
        s_igm = float(buf.sum())
        s_x_igm = dot_without_blas(self.xf, buf)
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
        s_x_i2 = dot_without_blas(self.xf, self._buf2)
        h = np.empty((3, 3))
        h[0, 0] = float(np.dot(cnt * k * k, tg_pkq - special.polygamma(1, p * k)))
        h[0, 1] = h[1, 0] = float(np.dot(cnt * k, tg_pkq))
        h[0, 2] = h[2, 0] = -s_x_igm
        h[1, 1] = float(np.dot(cnt, tg_pkq)) - n * special.polygamma(1, q)
        h[1, 2] = h[2, 1] = n / g - s_igm
        h[2, 2] = -n * q / g**2 + p * s_x_i2 + q * s_i2
        return float(ll), grad, h


def checked_repeat_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[IntArray, FloatArray]:
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
    x, m = checked_repeat_spend(frequency, monetary)
    objective = GammaGammaObjective(x, m)
    n = x.shape[0]
    from_subsample = initial is None and n > SUBSAMPLE_ABOVE
    if from_subsample:
        step = n // SUBSAMPLE_SIZE
        sub = fit_gamma_gamma(x[::step], m[::step], ftol=ftol)
        start = np.array([sub.p, sub.q, sub.gamma])
    elif initial is None:
        start = np.array([1.0, 1.0, float(np.mean(m))])
    elif isinstance(initial, GammaGammaParams):
        start = np.array([initial.p, initial.q, initial.gamma])
    else:
        start = np.asarray(initial, dtype=np.float64)
    log_theta, f_final, converged = lbfgs_then_newton(objective, start, ftol, from_subsample)
    p, q, g = (float(v) for v in np.exp(log_theta))
    return GammaGammaParams(p=p, q=q, gamma=g, log_likelihood=-f_final * objective.W, converged=converged)


def gamma_gamma_log_likelihood(
    params: GammaGammaParams | Sequence[float], frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log density of the mean spend ``m`` given ``x`` (repeat customers only)."""
    from scipy import special

    p, q, g = gamma_gamma_tuple(params)
    x, m = checked_repeat_spend(frequency, monetary)
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
