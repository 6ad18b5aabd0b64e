"""``kehu clv fit``: fit BG/NBD and Gamma-Gamma on a transaction file, without any database or Django settings."""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import clv


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kehu clv", description="Customer lifetime value models.")
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("fit", help="fit BG/NBD and Gamma-Gamma by maximum likelihood on a transaction file")
    fit.add_argument("file", help="CSV (or whitespace-separated) file with one row per transaction")
    fit.add_argument("--customer", required=True, help="customer id column (name, or 1-based position)")
    fit.add_argument("--date", required=True, help="date column (YYYY-MM-DD or YYYYMMDD)")
    fit.add_argument("--amount", required=True, help="amount column")
    fit.add_argument("--calibration-end", required=True, help="last day of the calibration period, YYYY-MM-DD")
    fit.add_argument("--unit", choices=["week", "day"], default="week", help="time unit of recency and T")
    fit.add_argument("--date-format", default=None, help="strptime format when dates are in another form")
    fit.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _column(spec: str) -> int | str:
    return int(spec) if spec.isdigit() else spec


def main(argv: list[str]) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        result = clv.fit_file(
            options.file, customer_col=_column(options.customer), date_col=_column(options.date),
            amount_col=_column(options.amount), calibration_end=options.calibration_end, unit=options.unit,
            date_format=options.date_format,
        )
    except FileNotFoundError:
        print(f"kehu clv fit: cannot read {options.file}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, IndexError) as error:
        print(f"kehu clv fit: {error}", file=sys.stderr)
        return 2
    if options.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    bg, gg = result["bgnbd"], result["gamma_gamma"]
    print(f"customers        {result['customers']}")
    print(f"BG/NBD           r={bg['r']:.4f}  alpha={bg['alpha']:.4f}  a={bg['a']:.4f}  b={bg['b']:.4f}")
    print(f"Gamma-Gamma      p={gg['p']:.4f}  q={gg['q']:.4f}  gamma={gg['gamma']:.4f}")
    print(f"log-likelihood   {result['log_likelihood']:.4f}")
    print(f"time             {time.perf_counter() - started:.2f} s")
    return 0
