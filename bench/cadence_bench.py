"""Benchmark ``kehu cadence`` (``kehu bench cadence``) on a synthetic PostgreSQL database.

Run: ``.venv/bin/python bench/cadence_bench.py --customers 1000000 [--runs 3] [--reload]``

1. Generates the data set-based in a dedicated database (``kehu_bench_cadence``; never the development or test
   ones): ``--customers`` customers by ``INSERT ... SELECT generate_series`` (5% lost, 5% without an owner, 2%
   management class "key", 10% "potential"; 60 account managers in six stores), their primary tiers of the default
   pyramid (A 5%, B 15%, C 30%, D the rest) and a year of contacts (1.5 a customer on average, channels weighted
   like the demo's), and the demo's default cadence rules (eight: the top three tiers, the key and potential
   classes). Kept between runs (``var/bench/cadence.loaded.json``) unless ``--reload``.
2. Runs ``cadence_run`` — what ``kehu cadence`` and the beat job call — each time in a fresh child process: a first
   run (no cadence task exists: every due task is created, with its timeline row) and a rerun for the same day
   (idempotent: creates nothing), ``--runs`` times each (the cadence tasks and their timeline rows are deleted
   before each first run). Prints wall times (median and all), tasks created and marked overdue, and the peak
   resident memory of the child (``VmHWM``).
3. With ``--floor``, times the bare writes of a first run (as many tasks and timeline rows INSERTed ... SELECTed from
   the customers, keys checked, rolled back): what no query plan can go below on this server.
4. Times ``cadence_coverage_by_owner`` for every owner (the staff KPIs' selector), median of ``--runs``.

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# its own database (``KEHU_BENCH_CADENCE_DB``; helpers sharing a server give each their own)
DB_NAME = os.environ.get("KEHU_BENCH_CADENCE_DB", "kehu_bench_cadence")
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
AS_OF = dt.date(2026, 6, 30)
CONTACTS_PER_CUSTOMER = 1.5


def peak_memory_mib() -> float:
    """Peak resident set size of this process in MiB (``VmHWM``; ``ru_maxrss`` where there is no /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> None:
    os.environ["KEHU_DATABASE_URL"] = PG_BENCH_URL
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ.setdefault("KEHU_PROCESS_KIND", "job")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DB_NAME}")


def _filler(table: str, given: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT expressions for an INSERT into ``table``: ``given`` expressions, and a neutral value
    for every other NOT NULL column without a default (read from the catalogue, so new columns do not break it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                       "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'", [table])
        required = cursor.fetchall()
    neutral = {"character varying": "''", "text": "''", "integer": "0", "smallint": "0", "bigint": "0",
               "boolean": "false", "jsonb": "'{}'::jsonb", "timestamp with time zone": "now()", "date": "CURRENT_DATE",
               "numeric": "0", "double precision": "0"}
    columns = dict(given)
    for name, data_type in required:
        columns.setdefault(name, neutral.get(data_type, "''"))
    return ", ".join(columns), ", ".join(columns.values())


def generate(customers: int, seed: int) -> None:
    """Organisation through the services; customers, tiers and contacts set-based; the demo's cadence rules."""
    from django.db import connection, transaction

    from kehu.org.services import branch_create, staff_create
    from kehu.relations.cadences.demo import load_cadence_demo

    group = branch_create(code="BENCH", name="基准集团", kind="group")
    stores, managers = [], []
    for region_number in range(3):
        region = branch_create(code=f"R{region_number}", name=f"大区{region_number}", kind="region", parent=group)
        for store_number in range(2):
            stores.append(branch_create(code=f"S{region_number}{store_number}",
                                        name=f"门店{region_number}{store_number}", parent=region).pk)
    for number in range(60):
        managers.append(staff_create(username=f"bench_am{number}", password="Bench-pass-123",
                                     roles=["account_manager"], branches=[stores[number % 6]]).pk)
    stores_sql = f"(ARRAY[{', '.join(map(str, stores))}])"
    managers_sql = f"(ARRAY[{', '.join(map(str, managers))}])"
    started = time.perf_counter()

    def analyze(*tables: str) -> None:  # fresh statistics, so that the deferred key checks use the indexes
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")

    analyze("org_user", "org_branch")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        columns, values = _filler("customers_customer", {
            "id": "g", "code": "'B' || lpad(g::text, 9, '0')", "kind": "'person'", "name": "'客户' || g",
            "lifecycle_status": "CASE WHEN g %% 20 = 7 THEN 'lost' ELSE 'current' END",
            "lifecycle_stage": "'stable'",
            "management_class": "CASE WHEN g %% 50 = 0 THEN 'key' WHEN g %% 10 = 3 THEN 'potential' ELSE 'regular' END",
            "relationship_stage": "'development'",
            "branch_id": f"{stores_sql}[1 + g %% 6]",
            "owner_id": f"CASE WHEN g %% 20 = 11 THEN NULL ELSE {managers_sql}[1 + (g / 7) %% 60] END",
            "created_at": "now()", "updated_at": "now()", "version": "1", "custom_attributes": "'{}'::jsonb",
        })
        cursor.execute(f"INSERT INTO customers_customer ({columns}) SELECT {values} "
                       "FROM generate_series(1, %s) AS g", [customers])
        cursor.execute("SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)", [customers])
    analyze("customers_customer")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_customertier (customer_id, tier, label) SELECT g, t, '' FROM ("
            "SELECT g, CASE WHEN r < 0.05 THEN 'A' WHEN r < 0.20 THEN 'B' WHEN r < 0.50 THEN 'C' ELSE 'D' END AS t "
            "FROM (SELECT g, random() AS r FROM generate_series(1, %s) AS g) x) y", [customers])
        contacts = int(customers * CONTACTS_PER_CUSTOMER)
        columns, values = _filler("relations_contactrecord", {
            "customer_id": "c", "branch_id": f"{stores_sql}[1 + c %% 6]", "channel": (
                "CASE WHEN r < 0.45 THEN 'phone' WHEN r < 0.60 THEN 'sms' WHEN r < 0.74 THEN 'visit' "
                "WHEN r < 0.82 THEN 'email' WHEN r < 0.88 THEN 'meeting' WHEN r < 0.92 THEN 'letter' "
                "WHEN r < 0.96 THEN 'event' ELSE 'gift' END"),
            "direction": "'outbound'", "summary": "'电话回访'",
            "occurred_at": "%s::timestamptz - (random() * 365 * 86400) * interval '1 second'",
            "created_at": "now()",
        })
        cursor.execute(
            f"INSERT INTO relations_contactrecord ({columns}) SELECT {values} FROM ("
            "SELECT 1 + floor(random() * %s)::bigint AS c, random() AS r FROM generate_series(1, %s)) x",
            [f"{AS_OF.isoformat()} 23:00+08", customers, contacts])
        load_cadence_demo(customers=[], users={}, seed=seed)
    with connection.cursor() as cursor:
        for table in ("customers_customer", "customers_customertier", "relations_contactrecord"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"generated {customers:,} customers, {int(customers * CONTACTS_PER_CUSTOMER):,} contacts "
          f"in {time.perf_counter() - started:.1f} s", flush=True)


def prepare(args: argparse.Namespace) -> None:
    key = {"customers": args.customers, "seed": args.seed, "version": 1}
    marker = BENCH_DIR / "cadence.loaded.json"
    if marker.exists() and json.loads(marker.read_text()) == key and not args.reload:
        print(f"database {DB_NAME} already holds {args.customers:,} customers", flush=True)
        setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return
    marker.unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    recreate_database()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args.customers, args.seed)
    marker.write_text(json.dumps(key))


def reset_tasks() -> None:
    """Delete the cadence tasks and their timeline rows (the next run is a first run)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_activity WHERE kind = 'task' AND subject_id IN "
                       "(SELECT id FROM work_task WHERE kind = 'cadence')")
        cursor.execute("DELETE FROM work_task WHERE kind = 'cadence'")
    with connection.cursor() as cursor:
        for table in ("work_task", "customers_activity"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def worker(as_of: dt.date) -> None:
    """One cadence run in this (fresh) process; its figures as JSON on the last line."""
    setup_django()
    from kehu.relations.cadences.services import cadence_run

    started = time.perf_counter()
    result = cadence_run(as_of=as_of)
    wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "peak_mib": peak_memory_mib(), "created": result.created,
                      "overdue": result.overdue, "rules": result.rules}))


def run_child(as_of: dt.date) -> dict[str, Any]:
    process = subprocess.run([sys.executable, __file__, "--worker", as_of.isoformat()], capture_output=True,
                             text=True, check=False)
    if process.returncode != 0:
        raise SystemExit(f"cadence run failed:\n{process.stdout}\n{process.stderr}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def floor(tasks: int) -> float:
    """The floor of a first run: the bare writes alone, ``tasks`` cadence-like tasks INSERTed ... SELECTed from the
    customers (no rule, no contact, no anti-join) with their timeline rows from RETURNING, in chunks of the run's
    size, every key checked as the run does; rolled back. Seconds."""
    from django.db import connection, transaction

    from kehu.relations.cadences.services import CHUNK

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT id FROM django_content_type LIMIT 1")
        content_type = cursor.fetchone()[0]
        done, start = 0, 0
        while done < tasks:
            cursor.execute(
                "WITH ins AS (INSERT INTO work_task (kind, title, notes, customer_id, branch_id, owner_id, due_date, "
                "priority, status, source_type_id, source_id, outcome, dedupe_key, version, created_at, updated_at) "
                "SELECT 'floor', 't', '', c.id, c.branch_id, c.owner_id, DATE '2026-06-30', 2, 'open', %s, 1, '', "
                "'floor:' || c.id, 1, now(), now() FROM customers_customer c WHERE c.id >= %s AND c.id < %s "
                "AND c.owner_id IS NOT NULL LIMIT %s RETURNING id, customer_id, branch_id) "
                "INSERT INTO customers_activity (customer_id, occurred_at, kind, branch_id, subject_type, subject_id, "
                "data) SELECT customer_id, now(), 'task', branch_id, 'work.task', id, '{}'::jsonb FROM ins",
                [content_type, start, start + CHUNK, tasks - done])
            done += cursor.rowcount
            start += CHUNK
        transaction.set_rollback(True)
    return time.perf_counter() - started


def report(label: str, runs: list[dict[str, Any]]) -> None:
    walls = [run["wall"] for run in runs]
    print(f"{label:28s} median {statistics.median(walls):7.2f} s  (runs: {', '.join(f'{w:.2f}' for w in walls)})  "
          f"created {runs[-1]['created']:,}, overdue {runs[-1]['overdue']:,}, "
          f"peak {max(run['peak_mib'] for run in runs):.0f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--reload", action="store_true", help="generate the database again")
    parser.add_argument("--full", action="store_true", help="1,000,000 customers")
    parser.add_argument("--floor", action="store_true",
                        help="also time the bare INSERT ... SELECT of as many tasks (the floor of a first run)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(dt.date.fromisoformat(args.worker))
        return
    if args.full:
        args.customers = 1_000_000
    prepare(args)
    print(f"kehu cadence over {args.customers:,} customers on PostgreSQL, as of {AS_OF}, {os.cpu_count()} cores",
          flush=True)
    first, rerun = [], []
    for _index in range(args.runs):
        reset_tasks()
        first.append(run_child(AS_OF))
        rerun.append(run_child(AS_OF))
    report("first run (creates tasks)", first)
    report("rerun, same day (idempotent)", rerun)
    if args.floor:
        walls = [floor(first[-1]["created"]) for _index in range(args.runs)]
        print(f"{'floor: bare writes':28s} median {statistics.median(walls):7.2f} s  "
              f"({first[-1]['created']:,} tasks and timeline rows, rolled back)", flush=True)
    from kehu.relations.cadences.selectors import cadence_coverage_by_owner

    walls = []
    for _index in range(args.runs):
        started = time.perf_counter()
        figures = cadence_coverage_by_owner(as_of=AS_OF)
        walls.append(time.perf_counter() - started)
    on = sum(value[0] for value in figures.values())
    total = sum(value[1] for value in figures.values())
    print(f"{'coverage by owner':28s} median {statistics.median(walls):7.2f} s  ({len(figures)} owners, "
          f"{on:,} of {total:,} customers on cadence)", flush=True)


if __name__ == "__main__":
    main()
