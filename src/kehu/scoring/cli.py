"""``kehu clv fit``: fit BG/NBD and Gamma-Gamma on a transaction file, without any database or Django settings."""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import clv

_EPILOG = """\
Rows: one row per transaction; rows of one customer on the same day are one purchase (amounts added). Rows dated
after --calibration-end are ignored, and so are customers whose first purchase is after it.

Files: comma, semicolon, tab, pipe or whitespace separated text, with or without a header line, in UTF-8 (with or
without BOM) or GBK/GB18030 (detected; see --encoding); or the first sheet of an .xlsx/.xls/.ods spreadsheet.
Dates are year first: 2024-01-05, 2024/1/5, 20240105, 2024年1月5日; a time after the date (2024-01-05 13:22:11)
is ignored, the day is the one written. Amounts may have a currency sign and thousands separators (¥88, 1,234.50).

Malformed rows: a row with an empty customer id, a date that is not a valid date, an amount that is not a number,
or too few columns is skipped. The number of skipped rows and the line of the first one are reported on stderr
(--json output on stdout is unaffected); when no row is usable the command fails with exit status 2.

Exit status: 0 on success, 2 on a usage error or a file that cannot be read or fitted (one line on stderr).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kehu clv", description="Customer lifetime value models.")
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser(
        "fit",
        help="fit BG/NBD and Gamma-Gamma by maximum likelihood on a transaction file",
        description="Fit BG/NBD and Gamma-Gamma by maximum likelihood on a transaction file (no database).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fit.add_argument("file", help="transaction file: delimited or whitespace-separated text, or a spreadsheet")
    fit.add_argument("--customer", required=True, help="customer id column (header name, or 0-based position)")
    fit.add_argument("--date", required=True, help="date column (header name, or 0-based position)")
    fit.add_argument("--amount", required=True, help="amount column (header name, or 0-based position)")
    fit.add_argument("--calibration-end", required=True, help="last day of the calibration period, YYYY-MM-DD")
    fit.add_argument("--unit", choices=["week", "day"], default="week", help="time unit of recency and T")
    fit.add_argument("--date-format", default=None,
                     help="strptime format of the dates when they are not year first (e.g. %%d/%%m/%%Y)")
    fit.add_argument("--encoding", default="auto",
                     help="text encoding: auto (UTF-8, else GBK/GB18030; the default), utf-8, gbk, or any Python codec")
    fit.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _column(spec: str) -> int | str:
    return int(spec) if spec.isdigit() else spec


def main(argv: list[str]) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    started = time.perf_counter()

    def notify(message: str) -> None:
        print(f"kehu clv fit: {message}", file=sys.stderr)

    try:
        result = clv.fit_file(
            options.file, customer_col=_column(options.customer), date_col=_column(options.date),
            amount_col=_column(options.amount), calibration_end=options.calibration_end, unit=options.unit,
            date_format=options.date_format, encoding=options.encoding, notify=notify,
        )
    except FileNotFoundError:
        print(f"kehu clv fit: cannot read {options.file}: no such file", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"kehu clv fit: cannot read {options.file}: {error.strerror or error}", file=sys.stderr)
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
