"""Benchmark the monthly relationship evaluation (``kehu evaluate``) on a synthetic database (``kehu bench evaluate``).

Run: ``.venv/bin/python bench/evaluate_bench.py --customers 100000 --key-share 0.2 --db sqlite|postgres``

1. Creates a dedicated database (``var/bench_evaluate.sqlite3`` or ``kehu_bench_evaluate`` on PostgreSQL; never the
   development or test databases), migrates it (which installs the standard template of seed 001) and writes, in
   bulk, customers (``--key-share`` of them key customers, with a share of wallet), 6 contacts a key customer over
   the year (half with a satisfaction) and 8 purchases a key customer over two years.
2. Times ``evaluation_run`` as of today for every key customer (first run: every evaluation is written) and again
   for the same day (idempotent: nothing is written), with the number of SQL statements and the peak resident
   memory of the process.

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = ROOT / "var" / "bench_evaluate.sqlite3"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# its own database (``KEHU_BENCH_EVALUATE_DB``; helpers sharing a server give each their own)
PG_DB = os.environ.get("KEHU_BENCH_EVALUATE_DB", "kehu_bench_evaluate")
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"


def peak_memory_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def prepare_database(kind: str) -> None:
    if kind == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["KEHU_DATABASE_URL"] = PG_URL
    else:
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        SQLITE_PATH.unlink(missing_ok=True)
        os.environ["KEHU_DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")


def fill(customers: int, key_share: float, seed: int) -> int:
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.org.models import Branch
    from kehu.purchases.models import Transaction
    from kehu.relations.models import ContactRecord

    rng = random.Random(seed)
    branch = Branch.objects.create(code="B1", name="一店", kind="store")
    branch.path = f"/{branch.pk}/"
    branch.save(update_fields=["path"])
    now = timezone.now()
    rows = []
    for index in range(customers):
        key = rng.random() < key_share
        rows.append(Customer(code=f"BE{index:08d}", name=f"客户{index}", branch=branch,
                             management_class="key" if key else "regular", lifecycle_status="current",
                             share_of_wallet=Decimal(rng.randint(5, 95)) if key else None))
    Customer.objects.bulk_create(rows, batch_size=5000)
    keys = list(Customer.objects.filter(management_class="key").values_list("pk", flat=True))
    contacts, purchases = [], []
    for pk in keys:
        for _index in range(6):
            contacts.append(ContactRecord(customer_id=pk, branch=branch, channel="phone", summary="回访",
                                          occurred_at=now - dt.timedelta(days=rng.randint(1, 365)),
                                          satisfaction=rng.choice([None, 3, 4, 5])))
        for _index in range(8):
            purchases.append(Transaction(customer_id=pk, branch=branch, amount=Decimal(rng.randint(50, 5000)),
                                         occurred_at=now - dt.timedelta(days=rng.randint(1, 730))))
    ContactRecord.objects.bulk_create(contacts, batch_size=5000)
    Transaction.objects.bulk_create(purchases, batch_size=5000)
    return len(keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--key-share", type=float, default=0.2)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    prepare_database(options.db)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.relations.evaluations.services import evaluation_run

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    keys = fill(options.customers, options.key_share, options.seed)
    print(f"data: {options.customers:,} customers, {keys:,} key customers ({keys * 6:,} contacts, "
          f"{keys * 8:,} purchases) on {options.db}, written in {time.perf_counter() - started:.1f} s")
    for label in ("first run", "same day again"):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            created, skipped = evaluation_run()
        seconds = time.perf_counter() - started
        print(f"{label}: {seconds:.2f} s, evaluations created {created:,}, already evaluated {skipped:,}, "
              f"{len(queries.captured_queries)} SQL statements, peak memory {peak_memory_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
