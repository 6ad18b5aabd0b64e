"""The optimiser shared by the BG/NBD and Gamma-Gamma fits: a mean negative log-likelihood in log-parameter space,
minimised by L-BFGS-B with the analytic gradient, then polished by Newton trust-region steps with the analytic Hessian.

scipy is imported inside the functions that use it, so importing the scoring app does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .summary import FloatArray

if TYPE_CHECKING:
    from scipy import optimize

# Log-parameter box for the optimisers: parameters stay within [1e-13, 1e13].
LOG_BOUND = 30.0


def dot_without_blas(u: FloatArray, v: FloatArray) -> float:
    """Inner product without BLAS: OpenBLAS threads that spin after each call cost more than they save here."""
    return float(np.einsum("i,i->", u, v))


def weighted_sum(w: FloatArray | None, values: FloatArray) -> float:
    return float(values.sum()) if w is None else dot_without_blas(w, values)


class LogSpaceObjective:
    """Mean negative log-likelihood in ``phi = ln(theta)`` built on ``evaluate(theta, hessian)`` of a subclass.

    With ``theta = exp(phi)``: ``d/d phi_i = theta_i d/d theta_i`` and
    ``d2/d phi_i d phi_j = theta_i theta_j d2/d theta_i d theta_j + [i == j] theta_i d/d theta_i``.
    Non-finite values (parameters far out during a line search) are reported as ``+inf``.
    """

    W: float  # total weight (number of customers): the objective is a mean, so tolerances do not scale with n
    n_params: int

    def evaluate(self, theta: FloatArray, hessian: bool = False) -> tuple[float, FloatArray, FloatArray | None]:
        raise NotImplementedError

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


def lbfgs_minimise(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], start: FloatArray, ftol: float, maxiter: int = 2000
) -> optimize.OptimizeResult:
    from scipy import optimize

    bounds = [(-LOG_BOUND, LOG_BOUND)] * start.shape[0]
    return optimize.minimize(
        fun,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": ftol, "gtol": 1e-10, "maxiter": maxiter, "maxcor": 20},
    )


def newton_polish(
    objective: LogSpaceObjective, log_start: FloatArray, gtol: float = 1e-8, maxiter: int = 50
) -> optimize.OptimizeResult:
    """Newton trust-region (``scipy.optimize.minimize(method="trust-exact")``) with the analytic Hessian.

    Each evaluation computes value, gradient and Hessian in one pass over the customers and caches them by
    point, since ``trust-exact`` asks for the Hessian at a trial point before its value. Converges
    quadratically from a nearby start.
    """
    from scipy import optimize

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


def newton_polish_or_keep(objective: LogSpaceObjective, log_start: FloatArray) -> tuple[FloatArray, float, FloatArray]:
    """Run the Newton polish; trust-exact only accepts improving steps, so its point is never worse than the start."""
    polished = newton_polish(objective, log_start)
    if math.isfinite(polished.fun):
        return polished.x, float(polished.fun), polished.jac
    f, g = objective(log_start)
    return log_start, f, g


def is_converged(f: float, g: FloatArray, objective: LogSpaceObjective | None = None,
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


def lbfgs_then_newton(
    objective: LogSpaceObjective, start: FloatArray, ftol: float, from_subsample: bool
) -> tuple[FloatArray, float, bool]:
    """L-BFGS-B (skipped when ``start`` already comes from a subsample fit), then the Newton polish.

    If a polish from a subsample start does not converge (a flat, badly identified likelihood), L-BFGS-B runs on
    all rows after all and the polish is repeated. Returns ``(ln theta, mean negative ll, converged)``.
    """
    log_start = np.log(start) if from_subsample else lbfgs_minimise(objective, start, ftol).x
    log_theta, f, g = newton_polish_or_keep(objective, log_start)
    if from_subsample and not is_converged(f, g, objective, log_theta):
        log_theta, f, g = newton_polish_or_keep(objective, lbfgs_minimise(objective, np.exp(log_theta), ftol).x)
    return log_theta, f, is_converged(f, g, objective, log_theta)
