"""Customer-lifetime-value numerics: BG/NBD purchase counts and Gamma-Gamma spend.

Everything here is database-free and vectorised with numpy/scipy; there is no
Python loop over customers or transactions anywhere. The package's modules:

* ``summary``: the per-customer (frequency, recency, T, monetary) summary of transaction rows;
* ``optimise``: the log-parameter objective and the L-BFGS-B + Newton optimiser both fits use;
* ``fits``: the BG/NBD and Gamma-Gamma likelihoods and their fits;
* ``prediction``: P(alive), expected purchases and spend, discounted lifetime value;
* ``files``: reading a transaction file and fitting both models on it (``kehu clv fit``).

The public names are imported here: callers use ``kehu.scoring.clv.fit_bgnbd`` and the like.

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
``fits.BGNBDObjective``). The optimiser works on ``log`` of the parameters (so they stay
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

from .files import TransactionFile, fit_file, read_transaction_file
from .fits import (
    BGNBDParams,
    GammaGammaParams,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from .prediction import expected_purchases, expected_spend, lifetime_value, probability_alive
from .summary import RFMSummary, summarise_transactions

__all__ = [
    "BGNBDParams",
    "GammaGammaParams",
    "RFMSummary",
    "TransactionFile",
    "bgnbd_log_likelihood",
    "expected_purchases",
    "expected_spend",
    "fit_bgnbd",
    "fit_file",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "lifetime_value",
    "probability_alive",
    "read_transaction_file",
    "summarise_transactions",
]
