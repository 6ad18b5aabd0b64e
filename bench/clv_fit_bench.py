"""Benchmark the BG/NBD and Gamma-Gamma fits on a synthetic 1,000,000-customer summary.

Run: ``.venv/bin/python bench/clv_fit_bench.py [--customers N] [--seed S] [--repeats R]``

The summary is simulated (fixed seed) from the BG/NBD and Gamma-Gamma generative stories with CDNOW-like
parameters. Each customer's age ``T`` is a whole number of days between 26 and 78 weeks, as it would be when
computed from dated transactions; recency is reported both continuous and floored to whole days (the realistic
case, in which many customers share their ``(x, t_x, T)`` triple). Each fit is timed ``--repeats`` times and the
median is printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kehu.scoring.clv import fit_bgnbd, fit_gamma_gamma

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


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    data = simulate(args.customers, args.seed)
    n_repeat = int((data["x"] > 0).sum())
    print(f"simulated {args.customers:,} customers ({n_repeat:,} repeaters) in {time.perf_counter() - start:.2f} s")
    triples = np.unique(np.column_stack([data["x"], data["t_x_days"], data["T"]]), axis=0).shape[0]
    print(f"distinct (x, t_x, T) triples with whole-day recency: {triples:,}")

    cases = [
        ("BG/NBD, continuous recency", lambda: fit_bgnbd(data["x"], data["t_x"], data["T"])),
        ("BG/NBD, whole-day recency", lambda: fit_bgnbd(data["x"], data["t_x_days"], data["T"])),
        (
            "BG/NBD, whole-day recency, aggregate=True",
            lambda: fit_bgnbd(data["x"], data["t_x_days"], data["T"], aggregate=True),
        ),
    ]
    print(f"true BG/NBD: {TRUE_BG}")
    for label, fn in cases:
        seconds, bg = median_time(fn, args.repeats)
        print(
            f"{label:44s} median {seconds:6.3f} s  r={bg.r:.4f} alpha={bg.alpha:.4f} a={bg.a:.4f} b={bg.b:.4f} "
            f"ll={bg.log_likelihood:.2f} converged={bg.converged}"
        )

    print(f"true Gamma-Gamma: {TRUE_GG}")
    seconds, gg = median_time(lambda: fit_gamma_gamma(data["x"], data["m"]), args.repeats)
    print(
        f"{'Gamma-Gamma':44s} median {seconds:6.3f} s  p={gg.p:.4f} q={gg.q:.4f} gamma={gg.gamma:.4f} "
        f"ll={gg.log_likelihood:.2f} converged={gg.converged}"
    )


if __name__ == "__main__":
    main()
