"""Run every benchmark script (``make bench``): sizes that finish in well under 20 minutes together, or ``--full``.

Usage: ``.venv/bin/python bench/run_all.py [--full] [--only import search …]``

Each script runs in its own process with the arguments below (scripts not listed run with their own defaults), its
output streamed as it comes; a summary of exit statuses and durations ends the run. Figures are printed by the
scripts, nothing is asserted. ``--full`` uses the sizes of the issue's targets (a million customers), which takes
an hour or more.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# script name (without _bench.py) → (default arguments, --full arguments)
SIZES: dict[str, tuple[list[str], list[str]]] = {
    "agent": (["--customers", "100000", "--tickets", "500000", "--requests", "300"],
              ["--full", "--requests", "1000"]),
    "import": (["--customers", "100000", "--peer-rows", "20000", "--xlsx-rows", "200000", "--runs", "3"],
               ["--customers", "1000000", "--peer-rows", "100000", "--xlsx-rows", "1000000", "--runs", "3"]),
    "search": (["--customers", "100000", "--lookups", "1000", "--searches", "200"],
               ["--customers", "1000000", "--lookups", "2000", "--searches", "500"]),
    "clv_fit": (["--customers", "200000", "--rows", "2000000", "--repeats", "3"], []),
    "score": (["--customers", "100000", "--transactions", "1000000"],
              ["--customers", "1000000", "--transactions", "10000000"]),
    "timeline": (["--events", "10000", "--others", "100000", "--requests", "200"],
                 ["--events", "10000", "--others", "1000000", "--requests", "500"]),
    "staff_kpis": (["--customers", "100000", "--staff", "100", "--transactions", "300000", "--requests", "50"],
                   ["--customers", "1000000", "--staff", "1000", "--transactions", "3000000", "--requests", "50"]),
    "evaluate": (["--customers", "50000", "--key-share", "0.2"], ["--customers", "1000000", "--key-share", "0.05"]),
    "cadence": (["--customers", "20000", "--runs", "3"], ["--customers", "1000000", "--runs", "3"]),
    "leads": (["--customers", "100000", "--leads", "200000", "--probes", "300"],
              ["--customers", "1000000", "--leads", "1000000", "--probes", "1000"]),
    "opportunities": (["--open", "20000", "--closed", "5000", "--leads", "100000", "--requests", "20"],
                      ["--open", "100000", "--closed", "20000", "--leads", "1000000", "--requests", "50"]),
    "lead_import": (["--customers", "100000", "--open-leads", "20000", "--leads", "20000", "--runs", "3",
                     "--pg-database", "kehu_bench_lead_import_small"],
                    ["--customers", "1000000", "--open-leads", "100000", "--leads", "100000", "--runs", "3"]),
    "mailin": (["--customers", "100000", "--messages", "300"], ["--customers", "1000000", "--messages", "1000"]),
    "kb_search": (["--articles", "10000", "--queries", "200"], ["--articles", "10000", "--queries", "500"]),
    "sla": (["--tickets", "100000", "--runs", "3"], ["--tickets", "1000000", "--runs", "3"]),
    "points": (["--customers", "5000", "--transactions", "200000", "--clients", "8", "--ops", "1600"],
               ["--customers", "1000000", "--transactions", "10000000", "--clients", "8", "--ops", "8000"]),
    "reconcile": (["--entries", "2000000", "--accounts", "40000", "--runs", "3"],
                  ["--entries", "50000000", "--accounts", "1000000", "--runs", "3"]),
}
ORDER = ["import", "search", "clv_fit", "score", "timeline", "staff_kpis", "evaluate", "cadence", "leads",
         "lead_import", "opportunities", "mailin", "kb_search", "sla", "agent", "points", "reconcile"]


def scripts() -> list[str]:
    found = sorted(path.name.removesuffix("_bench.py") for path in BENCH.glob("*_bench.py"))
    return [name for name in ORDER if name in found] + [name for name in found if name not in ORDER]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the million-row sizes")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (import, search, score …)")
    options = parser.parse_args(argv)
    summary = []
    for name in scripts():
        if options.only and name not in options.only:
            continue
        default, full = SIZES.get(name, ([], []))
        arguments = full if options.full else default
        command = [sys.executable, str(BENCH / f"{name}_bench.py"), *arguments]
        print(f"\n######## {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        status = subprocess.run(command).returncode
        summary.append((name, status, time.perf_counter() - started))
    print("\n######## summary")
    for name, status, seconds in summary:
        print(f"{name:10s} {'ok' if status == 0 else f'exit {status}':8s} {seconds / 60:6.1f} min")
    return 0 if all(status == 0 for _name, status, _seconds in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
