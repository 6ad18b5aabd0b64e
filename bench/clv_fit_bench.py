"""Benchmark the BG/NBD and Gamma-Gamma fits on a synthetic 1,000,000-customer summary.

Run: ``.venv/bin/python bench/clv_fit_bench.py [--customers N] [--seed S] [--repeats R]``

The summary is simulated (fixed seed) from the BG/NBD and Gamma-Gamma generative stories with CDNOW-like
parameters. Each customer's age ``T`` is a whole number of days between 26 and 78 weeks, as it would be when
computed from dated transactions; recency is reported both continuous and floored to whole days (the realistic
case, in which many customers share their ``(x, t_x, T)`` triple). Each fit is timed ``--repeats`` times and the
medians of wall-clock and process CPU time are printed (CPU time is steadier on a shared machine).

For comparison the script also times a plain fit: L-BFGS-B with the analytic gradient on all rows from the rough
start, no subsample start and no Newton polish (helpers of ``kehu.scoring.clv.fits`` and ``.optimise``). Finally it
times ``summarise_transactions`` on ``--rows`` synthetic transaction rows (0 skips it).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kehu.scoring import clv
from kehu.scoring.clv import fit_bgnbd, fit_gamma_gamma, summarise_transactions
from kehu.scoring.clv.fits import BGNBDObjective, bgnbd_start
from kehu.scoring.clv.optimise import lbfgs_minimise

TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def simulate(n: int, seed: int) -> dict[str, np.ndarray]:
    """Simulate ``n`` customers: frequency, recency (continuous and whole-day), T (weeks) and mean repeat spend.

    BG/NBD: ``lambda ~ Gamma(r, rate alpha)``, ``p ~ Beta(a, b)``. The number of repeat purchases a customer would
    make before dropping out is ``K ~ Geometric(p)`` (dropout is tested after each repeat purchase), the number of
    Poisson arrivals in ``(0, T]`` is ``N ~ Poisson(lambda T)``, so ``x = min(N, K)``. Given ``N`` the arrival times
    are ``N`` uniform order statistics on ``(0, T]``, so the time of the ``x``-th is ``T * Beta(x, N - x + 1)``.
    Gamma-Gamma: ``nu ~ Gamma(q, rate gamma)`` and the mean of ``x`` transactions is ``Gamma(p x, rate x nu)``.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE_BG["r"], 1.0 / TRUE_BG["alpha"], n)
    p = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    t_days = rng.integers(26 * 7, 78 * 7 + 1, n)
    big_t = t_days / 7.0
    arrivals = rng.poisson(lam * big_t)
    k = rng.geometric(np.clip(p, 1e-12, 1.0))
    x = np.minimum(arrivals, k)
    t_x = np.zeros(n)
    rep = x > 0
    t_x[rep] = big_t[rep] * rng.beta(x[rep], arrivals[rep] - x[rep] + 1)
    t_x_days = np.floor(t_x * 7.0) / 7.0
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], n)
    monetary = np.zeros(n)
    monetary[rep] = rng.gamma(TRUE_GG["p"] * x[rep], 1.0 / (x[rep] * nu[rep]))
    return {"x": x, "t_x": t_x, "t_x_days": t_x_days, "T": big_t, "m": monetary}


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median wall-clock seconds, median CPU seconds and the last result of ``repeats`` calls."""
    walls, cpus = [], []
    result = None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def plain_lbfgs(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> tuple[clv.BGNBDParams, int]:
    """Baseline: L-BFGS-B with the analytic gradient on all rows, from the rough start, nothing else."""
    objective = BGNBDObjective(x, t_x, big_t, None)
    res = lbfgs_minimise(objective, bgnbd_start(x, big_t), 1e-12)
    r, alpha, a, b = np.exp(res.x)
    params = clv.BGNBDParams(r, alpha, a, b, -float(res.fun) * objective.W, bool(res.success))
    return params, int(res.nfev)


def simulate_rows(n_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random transaction rows: 1,000,000 integer customer ids, dates over two years, gamma amounts; unsorted."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 1_000_000, n_rows)
    dates = np.datetime64("2022-01-01") + rng.integers(0, 730, n_rows).astype("timedelta64[D]")
    return ids, dates, rng.gamma(2.0, 20.0, n_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000_000, help="transaction rows for summarise (0: skip)")
    args = parser.parse_args()

    start = time.perf_counter()
    data = simulate(args.customers, args.seed)
    n_repeat = int((data["x"] > 0).sum())
    print(f"simulated {args.customers:,} customers ({n_repeat:,} repeaters) in {time.perf_counter() - start:.2f} s")
    triples = np.unique(np.column_stack([data["x"], data["t_x_days"], data["T"]]), axis=0).shape[0]
    print(f"distinct (x, t_x, T) triples with whole-day recency: {triples:,}")

    def show(label: str, wall: float, cpu: float, text: str) -> None:
        print(f"{label:46s} wall {wall:6.3f} s  cpu {cpu:6.3f} s  {text}")

    def bg_text(bg: clv.BGNBDParams) -> str:
        return (
            f"r={bg.r:.4f} alpha={bg.alpha:.4f} a={bg.a:.4f} b={bg.b:.4f} "
            f"ll={bg.log_likelihood:.3f} converged={bg.converged}"
        )

    print(f"true BG/NBD: {TRUE_BG}")
    cases = [
        ("BG/NBD fit_bgnbd, continuous recency", lambda: fit_bgnbd(data["x"], data["t_x"], data["T"])),
        ("BG/NBD fit_bgnbd, whole-day recency", lambda: fit_bgnbd(data["x"], data["t_x_days"], data["T"])),
        (
            "BG/NBD fit_bgnbd, whole-day, aggregate=True",
            lambda: fit_bgnbd(data["x"], data["t_x_days"], data["T"], aggregate=True),
        ),
    ]
    for label, fn in cases:
        wall, cpu, bg = median_time(fn, args.repeats)
        show(label, wall, cpu, bg_text(bg))
    wall, cpu, (bg, nfev) = median_time(lambda: plain_lbfgs(data["x"], data["t_x"], data["T"]), args.repeats)
    show("baseline: plain L-BFGS-B, continuous recency", wall, cpu, f"{bg_text(bg)} nfev={nfev}")

    print(f"true Gamma-Gamma: {TRUE_GG}")
    wall, cpu, gg = median_time(lambda: fit_gamma_gamma(data["x"], data["m"]), args.repeats)
    show(
        "Gamma-Gamma fit_gamma_gamma",
        wall,
        cpu,
        f"p={gg.p:.4f} q={gg.q:.4f} gamma={gg.gamma:.4f} ll={gg.log_likelihood:.3f} converged={gg.converged}",
    )

    if args.rows > 0:
        ids, dates, amounts = simulate_rows(args.rows, args.seed)
        wall, cpu, summary = median_time(
            lambda: summarise_transactions(ids, dates, amounts, "2023-06-30"), max(1, args.repeats - 2)
        )
        show(f"summarise_transactions, {args.rows:,} unsorted rows", wall, cpu, f"{len(summary):,} customers")


if __name__ == "__main__":
    main()
