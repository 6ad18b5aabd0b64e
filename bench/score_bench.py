"""Benchmark a full scoring run (``kehu bench score``) on a synthetic database, next to its reference points.

Run: ``.venv/bin/python bench/score_bench.py --customers 1000000 --transactions 10000000 --db sqlite|postgres``

1. Generates (fixed seed) customers and their transactions over two years: first purchases spread over the two
   years, repeat purchases from a BG/NBD-like process (gamma-distributed purchase rates, beta-distributed dropout),
   several lines on some purchase days, gamma-distributed (skewed) amounts and per-customer margin rates, 4% of the
   customers without any purchase, 2% management class "key". The data are written to Parquet once (``var/bench/``)
   and loaded into a dedicated database: ``kehu_bench`` on PostgreSQL (COPY), ``var/bench.sqlite3`` on SQLite
   (executemany). Never the development or test databases.
2. Runs the full scoring run (``scoring_run_execute``: summary query, RFM, every default tier scheme, BG/NBD and
   Gamma-Gamma fits, CLV, write-back, tier changes and alerts), each in a fresh child process: first with no
   earlier results (every tier is new: the summary with every customer's tier under each scheme, and a million
   primary tiers, are written), then
   ``--repeats - 1`` times again for the same as-of date (each replaces the previous: all is read and computed
   again, only differences are written) and, with ``--second-month``, one month later (the steady state of a
   monthly schedule). Prints wall times, the step timings and the peak resident memory of the process that ran it
   (``VmHWM``, see ``peak_memory_mib``).
3. Beside it, in the same process: (a) the same per-customer aggregate in DuckDB over the Parquet file (the floor
   for the SQL step); (b) the same BG/NBD + Gamma-Gamma fit on the run's own summary with ``lifetimes`` 0.11.3
   and, if installed, PyMC-Marketing's MAP fit (flat priors), with their parameters next to ours.

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = ROOT / "var" / "bench.sqlite3"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = os.environ.get("KEHU_BENCH_PG_DATABASE", "kehu_bench")  # another name beside other checkouts
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
AS_OF = dt.date(2025, 12, 31)
SPAN_DAYS = 730
UTC_OFFSET_HOURS = 8  # Asia/Shanghai, the project's time zone (no daylight saving)


def peak_memory_mib() -> float:
    """Peak resident set size of this process in MiB.

    ``VmHWM`` from ``/proc/self/status`` where there is one: ``getrusage``'s ``ru_maxrss`` survives ``exec``, so in a
    child process started by this (large) benchmark process it would report the parent's size at the fork.
    Elsewhere ``resource.getrusage`` (Linux reports kilobytes).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- synthetic data


def generate(n_customers: int, n_transactions: int, seed: int) -> dict[str, np.ndarray]:
    """Customers and transactions as numpy arrays; transactions in time order (as a real table fills up).

    Customer ``i`` (ids 1..n) makes a first purchase on a day uniform over the two years, then repeat purchases as
    a Poisson process with rate ``lambda_i ~ Gamma(0.9, ...)`` per day, dropping out after each repeat purchase
    with probability ``p_i ~ Beta(0.8, 4)``. Each purchase day has ``1 + Poisson(0.3)`` lines (same local day,
    different times). The number of lines is then trimmed or topped up (extra lines on existing purchase days) to
    exactly ``n_transactions``.
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    buyer = rng.random(n) >= 0.04
    buyers = np.flatnonzero(buyer)
    n_buyers = buyers.shape[0]
    birth = rng.integers(0, SPAN_DAYS, n_buyers)  # day of the first purchase, 0 = first day of the window
    lines_per_day = 1.3
    target_days = max(n_buyers, int(n_transactions / lines_per_day))
    lam_shape = 0.9
    dropout = rng.beta(0.8, 4.0, n_buyers)
    # expected repeat days ~ min(Poisson(lambda * age), Geometric(p)); calibrate the rate scale on the mean age
    mean_repeats = (target_days - n_buyers) / n_buyers
    scale = max(mean_repeats, 0.01) / (lam_shape * SPAN_DAYS / 2) * 2.2
    lam = rng.gamma(lam_shape, scale, n_buyers)
    age = SPAN_DAYS - birth
    arrivals = rng.poisson(lam * age)
    dropout_after = rng.geometric(np.clip(dropout, 1e-9, 1.0))
    repeats = np.minimum(np.minimum(arrivals, dropout_after), 400)
    # repeat purchase days: the first `repeats` of `arrivals` uniform points on (0, age]; drawn as sorted uniforms
    # scaled by a Beta to the position of the last one (order statistics), good enough for a benchmark
    total_repeat = int(repeats.sum())
    owner = np.repeat(np.arange(n_buyers), repeats)
    last_position = np.ones(n_buyers)
    has = repeats > 0
    last_position[has] = rng.beta(repeats[has], arrivals[has] - repeats[has] + 1)
    offsets = rng.random(total_repeat) * (age[owner] * last_position[owner])
    repeat_day = birth[owner] + np.minimum(np.ceil(offsets).astype(np.int64), age[owner] - 1)
    day_customer = np.concatenate([np.arange(n_buyers), owner])
    day_day = np.concatenate([birth, repeat_day])
    # lines per purchase day
    n_lines = 1 + rng.poisson(lines_per_day - 1.0, day_customer.shape[0])
    line_customer = np.repeat(day_customer, n_lines)
    line_day = np.repeat(day_day, n_lines)
    first_line = np.zeros(line_customer.shape[0], dtype=bool)
    first_line[np.concatenate([[0], np.cumsum(n_lines)[:-1]])[:n_buyers]] = True
    if line_customer.shape[0] > n_transactions:
        droppable = np.flatnonzero(~first_line)
        drop = rng.choice(droppable, line_customer.shape[0] - n_transactions, replace=False)
        keep = np.ones(line_customer.shape[0], dtype=bool)
        keep[drop] = False
        line_customer, line_day = line_customer[keep], line_day[keep]
    elif line_customer.shape[0] < n_transactions:
        extra = rng.integers(0, line_customer.shape[0], n_transactions - line_customer.shape[0])
        line_customer = np.concatenate([line_customer, line_customer[extra]])
        line_day = np.concatenate([line_day, line_day[extra]])
    # amounts: spend level per customer (Gamma-Gamma story), skewed line amounts, margin rate per customer
    nu = rng.gamma(3.7, 1.0 / 15.0, n_buyers)
    amount = np.round(rng.gamma(6.0, 1.0, line_customer.shape[0]) / nu[line_customer] * 10.0, 2)
    amount = np.maximum(amount, 0.01)
    margin_rate = rng.beta(5.0, 15.0, n_buyers)
    margin = np.round(amount * margin_rate[line_customer], 2)
    # local time of day between 06:00 and 23:59 (crosses UTC midnight: 06:00 Shanghai is 22:00 UTC the day before)
    seconds = rng.integers(6 * 3600, 24 * 3600, line_customer.shape[0])
    start = np.datetime64(AS_OF - dt.timedelta(days=SPAN_DAYS - 1), "s")
    local = start + line_day.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
    occurred_utc = local - np.timedelta64(UTC_OFFSET_HOURS, "h")
    order = np.argsort(occurred_utc, kind="stable")
    customer_ids = buyers[line_customer[order]] + 1
    n_stores = 6
    return {
        "customer_id": np.arange(1, n + 1, dtype=np.int64),
        "customer_branch": rng.integers(0, n_stores, n),
        "customer_owner": rng.integers(0, 60, n),
        "customer_key": rng.random(n) < 0.02,
        "tx_customer_id": customer_ids.astype(np.int64),
        "tx_occurred_at": occurred_utc[order],
        "tx_amount": amount[order],
        "tx_margin": margin[order],
        "tx_branch": rng.integers(0, n_stores, line_customer.shape[0]),
    }


# --------------------------------------------------------------------------- loading


def write_parquet(data: dict[str, np.ndarray], path: Path) -> None:
    """The transactions as Parquet (for DuckDB): customer_id, occurred_at (UTC), amount, margin."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "customer_id": pa.array(data["tx_customer_id"]),
        "occurred_at": pa.array(data["tx_occurred_at"].astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC")),
        "amount": pa.array(data["tx_amount"]),
        "margin": pa.array(data["tx_margin"]),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=1_000_000)


def setup_django(db: str) -> None:
    os.environ["KEHU_DATABASE_URL"] = PG_BENCH_URL if db == "postgres" else f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    # the run is a job, as under `kehu score`: no web request's statement timeout (a loaded machine passed 30 s)
    os.environ.setdefault("KEHU_PROCESS_KIND", "job")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def recreate_database(db: str) -> None:
    """Drop and create the dedicated benchmark database (never the development or test ones)."""
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)


def create_organisation() -> tuple[list[int], list[int]]:
    """Six stores in three regions and 60 account managers, through the services. Returns branch and user ids."""
    from kehu.org.services import branch_create, staff_create

    group = branch_create(code="BENCH", name="基准集团", kind="group")
    stores, managers = [], []
    for region_number in range(3):
        region = branch_create(code=f"R{region_number}", name=f"大区{region_number}", kind="region", parent=group)
        for store_number in range(2):
            stores.append(branch_create(code=f"S{region_number}{store_number}",
                                        name=f"门店{region_number}{store_number}", parent=region))
    for number in range(60):
        managers.append(staff_create(username=f"bench_am{number}", password="Bench-pass-123",
                                     roles=["account_manager"], branches=[stores[number % 6]]))
    return [s.pk for s in stores], [m.pk for m in managers]


TRANSACTION_COLUMNS = ["customer_id", "occurred_at", "amount", "margin", "quantity", "channel", "created_at",
                       "branch_id"]


def customer_table(data: dict[str, np.ndarray], stores: list[int], managers: list[int], suffix: str) -> Any:
    import pyarrow as pa

    n = data["customer_id"].shape[0]
    ids = data["customer_id"]
    codes = [f"B{i:09d}" for i in ids.tolist()]
    empty = pa.array([""] * n)
    now = "2026-01-01 00:00:00" + suffix
    branch = np.asarray(stores)[data["customer_branch"]]
    owner = np.asarray(managers)[data["customer_owner"]]
    columns = {
        "id": pa.array(ids), "code": pa.array(codes), "kind": pa.array(["person"] * n),
        "name": pa.array([f"客户{i}" for i in ids.tolist()]),
        "name_pinyin": pa.array([f"kehu{i}" for i in ids.tolist()]),
        "name_initials": pa.array(["kh"] * n), "mobile": empty, "mobile_last4": empty, "phone": empty,
        "email": empty, "province": empty, "city": empty, "district": empty, "address": empty,
        "lifecycle_status": pa.array(["current"] * n), "lifecycle_stage": pa.array(["growth"] * n),
        "management_class": pa.array(np.where(data["customer_key"], "key", "regular")),
        "marketing_type": empty, "brand_attitude": empty, "relationship_stage": pa.array(["development"] * n),
        "custom_attributes": pa.array(["{}"] * n), "notes": empty, "created_at": pa.array([now] * n),
        "updated_at": pa.array([now] * n), "version": pa.array(np.ones(n, dtype=np.int64)),
        "branch_id": pa.array(branch), "owner_id": pa.array(owner),
    }
    # columns added to the customer since this loader was written get their model default (text, number, flag),
    # so that a new NOT NULL column does not break the benchmark's COPY
    from kehu.customers.models import Customer

    for field in Customer._meta.concrete_fields:
        default = field.get_default()
        if field.column not in columns and not field.null and isinstance(default, (str, int, bool)):
            columns[field.column] = pa.array([default] * n)
    return pa.table(columns)


def transaction_table(data: dict[str, np.ndarray], stores: list[int], start: int, stop: int, suffix: str) -> Any:
    """Rows ``start:stop`` of the transactions; times as text in UTC (``suffix`` "+00" for PostgreSQL, "" for
    SQLite, where Django keeps naive UTC text)."""
    import pyarrow as pa

    n = stop - start
    text_time = np.char.replace(np.datetime_as_string(data["tx_occurred_at"][start:stop], unit="s"), "T", " ")
    return pa.table({
        "customer_id": pa.array(data["tx_customer_id"][start:stop]),
        "occurred_at": pa.array(np.char.add(text_time, suffix) if suffix else text_time),
        "amount": pa.array(data["tx_amount"][start:stop]),
        "margin": pa.array(data["tx_margin"][start:stop]),
        "quantity": pa.array(np.ones(n)),
        "channel": pa.array(["store"] * n),
        "created_at": pa.array(["2026-01-01 00:00:00" + suffix] * n),
        "branch_id": pa.array(np.asarray(stores)[data["tx_branch"][start:stop]]),
    })


def load_postgres(data: dict[str, np.ndarray], stores: list[int], managers: list[int]) -> None:
    """COPY customers and transactions (CSV written by pyarrow), then ANALYZE."""
    import io

    import pyarrow.csv as pacsv
    from django.db import connection

    def copy(table_name: str, columns: list[str], table: Any) -> None:
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table_name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        ) as copier:
            view = buffer.getbuffer()
            for offset in range(0, len(view), 1 << 22):
                copier.write(view[offset:offset + (1 << 22)])

    with connection.cursor() as cursor:  # plain indexes are rebuilt after the load (constraints stay)
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('customers_customer', "
            "'purchases_transaction') AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    customers = customer_table(data, stores, managers, "+00")
    copy("customers_customer", customers.column_names, customers)
    total = data["tx_customer_id"].shape[0]
    for start in range(0, total, 1_000_000):
        copy("purchases_transaction", TRANSACTION_COLUMNS,
             transaction_table(data, stores, start, min(total, start + 1_000_000), "+00"))
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)",
                       [int(data["customer_id"].max()) + 1])
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE purchases_transaction")


def load_sqlite(data: dict[str, np.ndarray], stores: list[int], managers: list[int]) -> None:
    """executemany in one transaction per table; the transaction indexes are rebuilt after the load."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    table = customer_table(data, stores, managers, "")
    placeholders = ", ".join("?" * len(table.column_names))
    raw.execute("BEGIN")
    raw.executemany(f"INSERT INTO customers_customer ({', '.join(table.column_names)}) VALUES ({placeholders})",
                    zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))
    raw.execute("COMMIT")
    indexes = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'purchases_transaction' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in indexes:
        raw.execute(f'DROP INDEX "{name}"')
    placeholders = ", ".join("?" * len(TRANSACTION_COLUMNS))
    total = data["tx_customer_id"].shape[0]
    raw.execute("BEGIN")
    for start in range(0, total, 1_000_000):
        chunk = transaction_table(data, stores, start, min(total, start + 1_000_000), "")
        rows = zip(*(chunk.column(c).to_pylist() for c in TRANSACTION_COLUMNS), strict=True)
        raw.executemany(
            f"INSERT INTO purchases_transaction ({', '.join(TRANSACTION_COLUMNS)}) VALUES ({placeholders})",
            (row for row in rows),
        )
    raw.execute("COMMIT")
    for _name, sql in indexes:
        raw.execute(sql)
    raw.execute("ANALYZE")


# --------------------------------------------------------------------------- preparing the database


def prepare(args: argparse.Namespace) -> Path:
    """Make sure the benchmark database holds this size and seed (generate and load when not) and the Parquet
    copy of the transactions exists; returns the Parquet path."""
    import json

    key = {"customers": args.customers, "transactions": args.transactions, "seed": args.seed}
    marker = BENCH_DIR / f"{args.db}.loaded.json"
    parquet = BENCH_DIR / f"transactions_{args.customers}_{args.transactions}_{args.seed}.parquet"
    loaded = marker.exists() and json.loads(marker.read_text()) == key
    if loaded and parquet.exists() and not args.reload:
        print(f"database {args.db} already holds {args.customers:,} customers / {args.transactions:,} transactions")
        setup_django(args.db)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the schema of this checkout (indexes may have changed)
        return parquet
    started = time.perf_counter()
    data = generate(args.customers, args.transactions, args.seed)
    print(f"generated {args.customers:,} customers and {args.transactions:,} transactions "
          f"in {time.perf_counter() - started:.1f} s")
    write_parquet(data, parquet)
    if not loaded or args.reload:
        marker.unlink(missing_ok=True)
        recreate_database(args.db)
        setup_django(args.db)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        stores, managers = create_organisation()
        started = time.perf_counter()
        (load_postgres if args.db == "postgres" else load_sqlite)(data, stores, managers)
        print(f"loaded into {args.db} in {time.perf_counter() - started:.1f} s")
        marker.write_text(json.dumps(key))
    else:
        setup_django(args.db)
    del data
    gc.collect()
    return parquet


def reset_scoring() -> None:
    """Forget every scoring result (the next run is a first run: every tier is new)."""
    from django.db import connection, transaction

    from kehu.customers.models import CustomerTier
    from kehu.scoring.models import Alert, CustomerSummary, ScoringRun, TierAssignment

    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Alert, TierAssignment, CustomerSummary):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        cursor.execute(f"DELETE FROM {ScoringRun.schemes.through._meta.db_table}")
        cursor.execute(f"DELETE FROM {ScoringRun._meta.db_table}")
        cursor.execute(f"DELETE FROM {CustomerTier._meta.db_table}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in (CustomerTier._meta.db_table, TierAssignment._meta.db_table, CustomerSummary._meta.db_table):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --------------------------------------------------------------------------- one scoring run (a child process)


def worker(db: str, as_of: dt.date) -> None:
    """Run one scoring run in this (fresh) process and print its figures as JSON on the last line."""
    import json

    setup_django(db)
    from kehu.scoring.services import scoring_run_execute

    started = time.perf_counter()
    run = scoring_run_execute(as_of=as_of)
    wall = time.perf_counter() - started
    print(json.dumps({
        "wall": wall, "peak_mib": peak_memory_mib(), "run": run.pk, "timings": run.figures.get("timings", {}),
        "written": run.figures.get("written", {}), "changes": run.changes, "alerts": run.alerts,
        "alert_reasons": run.figures.get("alerts", {}), "customers": run.customers,
        "clv": run.figures.get("clv", {}),
    }))


def run_child(db: str, as_of: dt.date) -> dict[str, Any]:
    import json
    import subprocess

    process = subprocess.run([sys.executable, __file__, "--db", db, "--worker", as_of.isoformat()],
                             capture_output=True, text=True, check=False)
    if process.returncode != 0:
        raise SystemExit(f"scoring run failed:\n{process.stdout}\n{process.stderr}")
    return json.loads(process.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- references


DUCKDB_SQL = """
WITH rows AS (
    SELECT customer_id, amount, margin, occurred_at,
           CAST(floor((epoch(occurred_at) + {offset}) / 86400) AS BIGINT) AS day
    FROM read_parquet('{path}') WHERE occurred_at < TIMESTAMPTZ '{end}'
), days AS (
    SELECT customer_id, day, sum(amount) AS amount, sum(margin) AS margin FROM rows GROUP BY customer_id, day
)
SELECT customer_id, min(day) AS first_day, max(day) AS last_day, count(*) AS days, sum(amount) AS total_amount,
       sum(margin) AS total_margin, arg_min(amount, day) AS first_day_amount,
       count(*) FILTER (WHERE day > {today} - 365) AS rfm_days,
       sum(amount) FILTER (WHERE day > {today} - 730 AND day <= {today} - 365) AS previous_amount,
       sum(amount) FILTER (WHERE day > {today} - 365) AS amount_365,
       sum(margin) FILTER (WHERE day > {today} - 365) AS margin_365
FROM days GROUP BY customer_id
"""


def duckdb_floor(parquet: Path, repeats: int) -> tuple[float, Any]:
    """The same per-customer aggregate in DuckDB over the Parquet file (all cores); median seconds and the table."""
    import duckdb

    today = (AS_OF - dt.date(1970, 1, 1)).days
    end = f"{AS_OF + dt.timedelta(days=1)} 00:00:00+08"
    sql = DUCKDB_SQL.format(path=parquet, offset=UTC_OFFSET_HOURS * 3600, today=today, end=end)
    connection = duckdb.connect()
    times, table = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        table = connection.execute(sql).fetchnumpy()
        times.append(time.perf_counter() - started)
    return statistics.median(times), table


def summary_arrays() -> dict[str, np.ndarray]:
    """The BG/NBD / Gamma-Gamma inputs (weeks) of the last run, straight from the summary table."""
    from kehu.scoring.models import CustomerSummary

    rows = CustomerSummary.objects.filter(purchase_days__gt=0).order_by("customer_id").values_list(
        "customer_id", "frequency", "recency", "age", "monetary", "purchase_days", "total_amount", "first_purchase")
    ids, frequency, recency, age, monetary, days, total, first = (np.array(c) for c in zip(*rows, strict=True))
    return {"customer_id": ids.astype(np.int64), "frequency": frequency.astype(np.int64),
            "recency": recency.astype(np.float64) / 7.0, "T": age.astype(np.float64) / 7.0,
            "monetary": monetary.astype(np.float64), "days": days.astype(np.int64), "total": total.astype(float),
            "first_day": np.array([(d - dt.date(1970, 1, 1)).days for d in first])}


def time_median(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def fits(summary: dict[str, np.ndarray], repeats: int, pymc: bool) -> list[tuple[str, float, dict, dict]]:
    """Our fits, lifetimes' and (if installed) PyMC-Marketing's MAP fit on the same summary."""
    import warnings

    from kehu.scoring import clv

    x, t_x, big_t, m = summary["frequency"], summary["recency"], summary["T"], summary["monetary"]
    spend = (x > 0) & (m > 0)
    results = []
    seconds, (bg, gg) = time_median(lambda: (clv.fit_bgnbd(x, t_x, big_t), clv.fit_gamma_gamma(x[spend], m[spend])),
                                    repeats)
    results.append(("kehu.scoring.clv", seconds, bg.as_dict(), gg.as_dict()))
    warnings.filterwarnings("ignore")
    try:
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        print("lifetimes is not installed (pip install lifetimes==0.11.3): skipped")
    else:
        def lifetimes_fit() -> tuple[Any, Any]:
            bg_fitter = BetaGeoFitter().fit(x, t_x, big_t)
            gg_fitter = GammaGammaFitter().fit(x[spend], m[spend])
            return bg_fitter.params_.to_dict(), gg_fitter.params_.to_dict()

        seconds, (bg_params, gg_params) = time_median(lifetimes_fit, max(1, min(repeats, 2)))
        gg_params = {"p": gg_params["p"], "q": gg_params["q"], "gamma": gg_params["v"]}
        results.append(("lifetimes 0.11.3", seconds, bg_params, gg_params))
    if pymc:
        try:
            import pandas as pd
            from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

            try:
                from pymc_extras.prior import Prior
            except ImportError:
                from pymc_marketing.prior import Prior
        except ImportError:
            print("PyMC-Marketing is not installed: skipped")
        else:
            def pymc_fit() -> tuple[dict, dict]:
                data = pd.DataFrame({"customer_id": np.arange(x.shape[0]), "frequency": x, "recency": t_x,
                                     "T": big_t})
                model = BetaGeoModel(model_config={k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")})
                bg_post = model.fit(data=data, method="map", progressbar=False).posterior
                spend_data = pd.DataFrame({"customer_id": np.arange(int(spend.sum())), "frequency": x[spend],
                                           "monetary_value": m[spend]})
                gg_model = GammaGammaModel(model_config={k: Prior("HalfFlat") for k in ("p", "q", "v")})
                gg_post = gg_model.fit(data=spend_data, method="map", progressbar=False).posterior
                value = {k: float(bg_post[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
                spend_value = {k: float(gg_post[k].values.ravel()[0]) for k in ("p", "q", "v")}
                return value, {"p": spend_value["p"], "q": spend_value["q"], "gamma": spend_value["v"]}

            seconds, (bg_params, gg_params) = time_median(pymc_fit, 1)
            import pymc_marketing

            results.append((f"PyMC-Marketing {pymc_marketing.__version__} MAP", seconds, bg_params, gg_params))
    return results


def same_digits(a: float, b: float, digits: int = 4) -> bool:
    return f"{a:.{digits - 1}e}" == f"{b:.{digits - 1}e}"


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--repeats", type=int, default=3, help="re-runs of the same date (median); also DuckDB")
    parser.add_argument("--reload", action="store_true", help="generate and load the database again")
    parser.add_argument("--second-month", action="store_true", help="also time a run one month later")
    parser.add_argument("--no-pymc", action="store_true", help="skip PyMC-Marketing")
    parser.add_argument("--worker", metavar="AS_OF", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.db, dt.date.fromisoformat(args.worker))
        return

    parquet = prepare(args)
    reset_scoring()
    print(f"\n== scoring runs on {args.db}: {args.customers:,} customers, {args.transactions:,} transactions ==")
    first = run_child(args.db, AS_OF)
    print(f"first run (every tier new)         {first['wall']:7.1f} s   peak {first['peak_mib']:7.0f} MiB")
    print(f"  steps: {first['timings']}")
    print(f"  written: customer tiers {first['written'].get('customer_tiers')}, assignments "
          f"{ {k: v['inserted'] for k, v in first['written'].get('assignments', {}).items()} }")
    reruns = [run_child(args.db, AS_OF) for _ in range(max(0, args.repeats - 1))]
    if reruns:
        wall = statistics.median(r["wall"] for r in reruns)
        peak = max(r["peak_mib"] for r in reruns)
        print(f"same date again (median of {len(reruns)})      {wall:7.1f} s   peak {peak:7.0f} MiB")
        print(f"  steps: {reruns[-1]['timings']}")
    print(f"  lifetime value: {first['clv'].get('status')}, fit {first['clv'].get('fit_seconds', 0):.1f} s")

    print("\n== (a) the same aggregate in DuckDB over Parquet ==")
    seconds, table = duckdb_floor(parquet, args.repeats)
    print(f"DuckDB {seconds:.2f} s (median of {args.repeats}), {table['customer_id'].shape[0]:,} customers")

    summary = summary_arrays()
    order = np.argsort(table["customer_id"])
    agree = (np.array_equal(table["customer_id"][order], summary["customer_id"])
             and np.array_equal(table["days"][order], summary["days"])
             and np.array_equal(table["first_day"][order], summary["first_day"])
             and bool(np.allclose(table["total_amount"][order].astype(float), summary["total"], atol=0.01)))
    print(f"DuckDB and the database agree on customers, purchase days, first days and totals: {agree}")

    print("\n== (b) BG/NBD + Gamma-Gamma on the run's summary ==")
    results = fits(summary, args.repeats, pymc=not args.no_pymc)
    ours = results[0]
    names = ["r", "alpha", "a", "b", "p", "q", "gamma"]
    print(f"{'':34s} {'seconds':>9s} " + " ".join(f"{n:>11s}" for n in names) + "  equal to 4 digits")
    for label, seconds, bg_params, gg_params in results:
        values = {**bg_params, **gg_params}
        equal = all(same_digits(values[n], {**ours[2], **ours[3]}[n]) for n in names)
        ratio = f"  ({seconds / ours[1]:.0f}× ours)" if label != ours[0] else ""
        print(f"{label:34s} {seconds:9.2f} " + " ".join(f"{values[n]:11.5g}" for n in names)
              + f"  {'yes' if equal else 'no'}{ratio}")
    if args.second_month:
        print("\n== the next month ==")
        later = run_child(args.db, AS_OF + dt.timedelta(days=31))
        print(f"one month later                     {later['wall']:7.1f} s   peak {later['peak_mib']:7.0f} MiB   "
              f"{later['changes']:,} tier changes, {later['alerts']:,} alerts")
        print(f"  steps: {later['timings']}")
        print(f"  alerts: {later['alert_reasons']}")
    print(f"\npeak memory of this benchmark process: {peak_memory_mib():.0f} MiB")


if __name__ == "__main__":
    main()
