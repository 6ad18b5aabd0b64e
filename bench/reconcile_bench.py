"""Benchmark ``kehu loyalty reconcile`` over a large points ledger (issue 16, item 11: 50,000,000 entries).

Run: ``.venv/bin/python bench/reconcile_bench.py --entries 50000000 --accounts 1000000 --runs 3``
(SQLite: ``--sqlite --entries 2000000 --accounts 40000``; a database left by an earlier run, without writing it
again: ``--reuse``).

The fill is set-based and writes the ledger directly (no purchases, no accrual): customers, memberships and points
accounts each one ``INSERT … SELECT`` over a number series; the entries in chunks of 5,000,000 rows (on PostgreSQL
with the entries' secondary indexes dropped during the fill and built again after it, and foreign-key triggers off
for the bench's own session: the rows are consistent by construction); then every balance set to the sum of its
entries in one grouped ``UPDATE``, and one account's balance moved by one point: the planted difference.

Each run is the real command in process (``call_command("loyalty", "reconcile")``, its exit status and output
captured): it must exit 1 and name the planted account. Medians over ``--runs``. The PostgreSQL database
(``kehu_loyal_reconcile`` unless ``KEHU_BENCH_RECONCILE_DB``) is left in place for ``--reuse`` and for the bare
command: ``KEHU_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kehu_loyal_reconcile .venv/bin/kehu loyalty
reconcile``. Figures are printed, nothing is asserted but the planted difference.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = os.environ.get("KEHU_BENCH_RECONCILE_DB", "kehu_loyal_reconcile")
SQLITE_PATH = ROOT / "var" / "bench_reconcile.sqlite3"
CHUNK = 5_000_000


def setup(sqlite: bool, reuse: bool) -> None:
    from common import recreate_postgres_database

    if sqlite:
        if not reuse:
            SQLITE_PATH.parent.mkdir(exist_ok=True)
            SQLITE_PATH.unlink(missing_ok=True)
        os.environ["KEHU_DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        if not reuse and not recreate_postgres_database(SERVER, DB_NAME):
            raise SystemExit(2)
        os.environ["KEHU_DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ.setdefault("KEHU_PROCESS_KIND", "job")  # a command: no web statement timeout
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def fill(entries: int, accounts: int) -> None:
    from common import insert_series
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.loyalty.models import Membership, PointsAccount, PointsEntry
    from kehu.loyalty.services import programme_default
    from kehu.org.services import branch_create

    call_command("migrate", verbosity=0, interactive=False)
    postgres = connection.vendor == "postgresql"
    branch = branch_create(code="RC1", name="对账门店")
    programme = programme_default()
    now = timezone.now()
    padded = "lpad(g::text, 8, '0')" if postgres else "printf('%%08d', g)"
    cursor = connection.cursor()
    if postgres:
        cursor.execute("SET session_replication_role = replica")  # the bench's own superuser session only
        cursor.execute("SET maintenance_work_mem = '512MB'")
    started = time.perf_counter()
    with transaction.atomic():
        insert_series(Customer, Customer(code="x", name="x", branch=branch, lifecycle_status="current",
                                         created_at=now, updated_at=now), accounts,
                      {"code": f"'RC' || {padded}", "name": f"'对账会员' || {padded}"})
        first_customer = Customer.objects.filter(code__startswith="RC").order_by("id").values_list("id", flat=True)[0]
        insert_series(Membership, Membership(customer_id=first_customer, programme=programme, joined_at=now),
                      accounts, {"customer_id": f"{first_customer} + g"})
        first_membership = Membership.objects.order_by("id").values_list("id", flat=True)[0]
        insert_series(PointsAccount, PointsAccount(membership_id=first_membership, customer_id=first_customer,
                                                   updated_at=now), accounts,
                      {"membership_id": f"{first_membership} + g", "customer_id": f"{first_customer} + g"})
        first_account = PointsAccount.objects.order_by("id").values_list("id", flat=True)[0]
    print(f"  {accounts:,} customers, memberships and points accounts in {time.perf_counter() - started:.1f} s",
          flush=True)
    table = PointsEntry._meta.db_table
    definitions: list[tuple[str, str]] = []
    if postgres:  # the secondary indexes (not the primary key) are built again after the fill
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                       "(SELECT conname FROM pg_constraint)", [table])
        definitions = cursor.fetchall()
        for name, _definition in definitions:
            cursor.execute(f'DROP INDEX "{name}"')
    # account of row g: g mod accounts (every account gets entries/accounts rows); every tenth entry of an account
    # a redemption of 1–50 points, the others earnings of 10–199 points (never below zero), over the past year
    def expressions(offset: int) -> dict[str, str]:
        n = f"(g + {offset})"  # the entry's number over the whole fill
        position = f"({n} / {accounts})"  # its place among its account's entries
        minutes = f"(({n} * 7919) %% 525600)"
        created = (f"%s::timestamptz - make_interval(mins => {minutes}::int)" if postgres
                   else f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '-' || {minutes} || ' minutes')")
        literal = f"'{now.isoformat()}'" if postgres else f"'{now.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
        return {"account_id": f"{first_account} + {n} %% {accounts}",
                "customer_id": f"{first_customer} + {n} %% {accounts}",
                "kind": f"CASE WHEN {position} %% 10 = 9 THEN 'redeem' ELSE 'earn' END",
                "points": f"CASE WHEN {position} %% 10 = 9 THEN -(1 + {n} %% 50) ELSE 10 + ({n} * 7919) %% 190 END",
                "created_at": created.replace("%s", literal)}

    started = time.perf_counter()
    for offset in range(0, entries, CHUNK):
        count = min(CHUNK, entries - offset)
        with transaction.atomic():
            insert_series(PointsEntry, PointsEntry(account_id=first_account, customer_id=first_customer,
                                                   kind="earn", points=0, balance_after=0, created_at=now),
                          count, expressions(offset))
        print(f"  {offset + count:,} entries written ({time.perf_counter() - started:.0f} s)", flush=True)
    if postgres:
        started = time.perf_counter()
        for _name, definition in definitions:
            cursor.execute(definition)
        print(f"  {len(definitions)} indexes of the entries built again in {time.perf_counter() - started:.0f} s",
              flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        accounts_table = PointsAccount._meta.db_table
        cursor.execute(f"UPDATE {accounts_table} SET balance = t.total FROM "  # noqa: S608
                       f"(SELECT account_id, SUM(points) AS total FROM {table} GROUP BY account_id) t "
                       f"WHERE t.account_id = {accounts_table}.id")
    print(f"  balances set to the sums of their entries in {time.perf_counter() - started:.0f} s", flush=True)
    if postgres:
        started = time.perf_counter()
        cursor.execute("RESET session_replication_role")
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(f"VACUUM ANALYZE {PointsAccount._meta.db_table}")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)
    plant()


def plant() -> int:
    """Move one account's balance by one point (the difference the runs must find); its id."""
    from django.db import connection

    from kehu.loyalty.models import PointsAccount

    ids = list(PointsAccount.objects.order_by("id").values_list("id", flat=True)[:1])
    middle = ids[0] + PointsAccount.objects.count() // 2
    with connection.cursor() as cursor:
        cursor.execute("UPDATE loyalty_pointsaccount SET balance = balance + 1 WHERE id = %s", [middle])
    return middle


def run_once() -> tuple[float, int, str]:
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    try:
        call_command("loyalty", "reconcile", stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return time.perf_counter() - started, status, out.getvalue() + err.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="SQLite (var/bench_reconcile.sqlite3)")
    parser.add_argument("--reuse", action="store_true", help="measure the database an earlier run left")
    options = parser.parse_args(argv)
    if not 0 < options.accounts <= options.entries:
        parser.error("--accounts must be from 1 to --entries")
    setup(options.sqlite, options.reuse)
    from django.db import connection

    from kehu.loyalty.models import PointsAccount

    database = f"SQLite {SQLITE_PATH}" if options.sqlite else f"PostgreSQL database {DB_NAME}"
    if not options.reuse:
        started = time.perf_counter()
        fill(options.entries, options.accounts)
        print(f"fill: {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM loyalty_pointsentry")
        entries = cursor.fetchone()[0]
    accounts = PointsAccount.objects.count()
    load = os.getloadavg()
    print(f"reconcile over {entries:,} entries / {accounts:,} accounts, {database}, {os.cpu_count()} cores, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
    seconds = []
    for run in range(options.runs):
        elapsed, status, output = run_once()
        seconds.append(elapsed)
        first = output.strip().splitlines()[0] if output.strip() else ""
        print(f"  run {run + 1}: {elapsed:.2f} s, exit {status}: {first}", flush=True)
        if status != 1:
            print("  the planted difference was not found", file=sys.stderr)
            return 1
    print(f"median of {len(seconds)}: {statistics.median(seconds):.2f} s "
          f"({', '.join(f'{s:.2f}' for s in seconds)}); {entries / statistics.median(seconds):,.0f} entries/s; "
          f"load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
