"""Benchmark of the customer import (``kehu import customers``) beside raw loading and django-import-export.

Run: ``.venv/bin/python bench/import_bench.py [--customers 1000000] [--peer-rows 100000] [--xlsx-rows 1000000]
[--runs 3] [--db postgres sqlite]``

Per database (PostgreSQL ``kehu_bench_imports``, SQLite ``var/bench_imports.sqlite3``; never the development or test
databases), with a generated CSV of ``--customers`` realistic customers (``bench/generate.py``: Chinese names,
valid ID numbers and credit codes, mobiles, addresses, 15% organisations, tags):

1. raw load of the same file into a bare table of text columns, no validation, no indexes: PostgreSQL ``COPY …
   FROM STDIN (FORMAT csv)`` fed the file's bytes, SQLite ``executemany`` of the parsed rows;
2. Kehu's import through the real command (``python -m kehu.cli import customers FILE --mode skip-bad --key code``)
   into empty customer tables: full validation (ID check digits, credit codes, phones, e-mail, branches, choices),
   pinyin search keys, person/organisation profiles, history records, lifecycle records, tags. Rows per second from
   the job's own start and end times, peak resident memory of the command's process;
3. the same file imported again: every row unchanged;
4. the peer: django-import-export 4 (``use_bulk``, ``skip_diff``, ``clean_model_instances`` for model validation)
   importing the first ``--peer-rows`` rows of the file (customer rows only: no profiles, no pinyin keys, no history),
   beside Kehu importing the same slice.

And, without a database: reading a ``--xlsx-rows`` XLSX of 8 and of 18 columns (mobiles typed as numbers, as Excel
users make them) with Kehu's reader (python-calamine, in slices of rows), every row to Python, each run in a process of
its own: seconds and the peak memory of that process.

Medians of ``--runs`` runs (the peer and the re-import run once each). Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
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
SQLITE_PATH = ROOT / "var" / "bench_imports.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = os.environ.get("KEHU_BENCH_PG_DATABASE", "kehu_bench_imports")  # another name beside other checkouts
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))


def database_url(db: str) -> str:
    return f"{PG_SERVER}/{PG_DATABASE}" if db == "postgres" else f"sqlite:///{SQLITE_PATH}"


def child_env(db: str) -> dict[str, str]:
    return {**os.environ, "KEHU_DATABASE_URL": database_url(db), "KEHU_DEBUG": "1", "KEHU_VAR_DIR": str(ROOT / "var"),
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


def customer_file(count: int) -> Path:
    """The generated CSV of ``count`` customers (cached: generation is deterministic)."""
    path = BENCH_DIR / f"customers-{count}.csv"
    if not path.exists():
        import generate

        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        generate.write_csv(partial, generate.CUSTOMER_HEADERS, generate.customer_rows(count))
        partial.rename(path)
    return path


def slice_file(source: Path, rows: int) -> Path:
    path = BENCH_DIR / f"{source.stem}-first{rows}.csv"
    if not path.exists():
        with source.open("rb") as reader, path.open("wb") as writer:
            for number, line in enumerate(reader):
                if number > rows:
                    break
                writer.write(line)
    return path


# ----------------------------------------------------------------------------------------------- in a child process


def _setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    import generate

    generate.ensure_bench_branches()


def _reset_customers() -> None:
    from django.db import connection

    tables = ["customers_customer_tags", "customers_lifecyclechange", "customers_historicalcustomer",
              "customers_historicalpersonprofile", "customers_historicalorganisationprofile",
              "customers_personprofile", "customers_organisationprofile", "imports_importrowerror",
              "purchases_transaction", "customers_contact", "customers_activity", "customers_ownershiptransfer",
              "customers_customer"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")


def _raw_load(path: Path, runs: int) -> float:
    """Seconds to load the file into a bare table of text columns (median of runs)."""
    import csv

    import generate
    from django.db import connection

    columns = ", ".join(f"c{index} text" for index in range(len(generate.CUSTOMER_HEADERS)))
    timings = []
    for _run in range(runs):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_bare")
            cursor.execute(f"CREATE TABLE bench_bare ({columns})")
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, cursor.copy(
                "COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy, path.open("rb") as handle:
                first = handle.read(1 << 20)
                copy.write(first[3:] if first.startswith(b"\xef\xbb\xbf") else first)
                while block := handle.read(1 << 20):
                    copy.write(block)
        else:
            from django.db import transaction

            placeholders = ", ".join(["%s"] * len(generate.CUSTOMER_HEADERS))
            with transaction.atomic(), connection.cursor() as cursor, path.open(encoding="utf-8-sig",
                                                                                  newline="") as handle:
                rows = csv.reader(handle)
                next(rows)
                batch: list[list[str]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 5000:
                        cursor.executemany(f"INSERT INTO bench_bare VALUES ({placeholders})", batch)
                        batch = []
                if batch:
                    cursor.executemany(f"INSERT INTO bench_bare VALUES ({placeholders})", batch)
        timings.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare")
    return statistics.median(timings)


def _kehu_cli(db: str, path: Path) -> dict[str, Any]:
    """Import through the real command; rows/s from the job's own times, peak memory of the command."""
    from kehu.imports.models import ImportJob

    before = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kehu.cli", "import", "customers", str(path), "--mode",
                             "skip-bad", "--key", "code", "--no-progress"], env=child_env(db), capture_output=True,
                            text=True)
    wall = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the command's processor time (its forked reader included; not the database server's): on a machine others
    # share, a steadier measure than its wall time
    cpu = used.ru_utime - usage.ru_utime + used.ru_stime - usage.ru_stime
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    job = ImportJob.objects.filter(id__gt=before).order_by("-id").first()
    assert job is not None
    seconds = (job.finished_at - job.started_at).total_seconds()
    return {"seconds": seconds, "wall": wall, "cpu": cpu, "rows": job.rows_done, "summary": job.summary_line(),
            "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _peer(path: Path) -> dict[str, Any]:
    """django-import-export 4 importing the slice with bulk writes and model validation."""
    import tablib
    from import_export import fields, resources, widgets

    from kehu.customers.models import Customer
    from kehu.org.models import Branch

    class CustomerResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="客户编号")
        name = fields.Field(attribute="name", column_name="客户名称")
        mobile = fields.Field(attribute="mobile", column_name="手机号码")
        phone = fields.Field(attribute="phone", column_name="其他电话")
        email = fields.Field(attribute="email", column_name="电子邮箱")
        province = fields.Field(attribute="province", column_name="省份")
        city = fields.Field(attribute="city", column_name="城市")
        district = fields.Field(attribute="district", column_name="区县")
        address = fields.Field(attribute="address", column_name="详细地址")
        branch = fields.Field(attribute="branch", column_name="所属门店",
                              widget=widgets.ForeignKeyWidget(Branch, "code"))

        class Meta:
            model = Customer
            import_id_fields = ("code",)
            fields = ("code", "name", "mobile", "phone", "email", "province", "city", "district", "address", "branch")
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            clean_model_instances = True

    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
    started = time.perf_counter()
    result = CustomerResource().import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
    seconds = time.perf_counter() - started
    totals = dict(result.totals)
    return {"seconds": seconds, "rows": len(dataset), "totals": {key: value for key, value in totals.items() if value},
            "stored": Customer.objects.count()}


def _breakdown(path: Path) -> dict[str, float]:
    """One import in this process with its phases timed: where the time goes (seconds)."""
    from collections import defaultdict

    from django.db import transaction

    from kehu.core.bulkio import rows as bulk
    from kehu.customers.upsert import CustomerBulkWriter
    from kehu.imports import services
    from kehu.imports.targets.customers import CustomerTarget

    timings: dict[str, float] = defaultdict(float)
    originals: list[tuple[Any, str, Any]] = []

    def timed(name: str, owner: Any, attribute: str) -> None:
        function = getattr(owner, attribute)
        originals.append((owner, attribute, function))

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name] += time.perf_counter() - started

        setattr(owner, attribute, wrapper)

    timed("read, parse and validate rows", CustomerTarget, "prepare")
    timed("look up stored customers", CustomerTarget, "_stored_by_key")
    timed("look for likely duplicates", CustomerTarget, "_warn_likely_duplicates")
    timed("inserts (COPY / executemany)", bulk, "insert_rows")
    timed("customers' bulk writer (with inserts)", CustomerBulkWriter, "create")
    timed("database step of the chunks (with lookups and inserts)", CustomerTarget, "_match_chunk")
    timed("transaction ends (commits with deferred foreign-key checks)", transaction.Atomic, "__exit__")
    try:
        job = services.import_job_create(target="customers", file_path=path, mode="skip-bad", key="code")
        started = time.perf_counter()
        services.import_run(job=job)
        timings["total"] = time.perf_counter() - started
    finally:
        for owner, attribute, function in originals:
            setattr(owner, attribute, function)
    return dict(timings)


KEHU_TABLES = ["customers_customer", "customers_personprofile", "customers_organisationprofile",
               "customers_historicalcustomer", "customers_historicalpersonprofile",
               "customers_historicalorganisationprofile", "customers_lifecyclechange", "customers_customer_tags",
               "customers_activity"]


def _write_floor() -> dict[str, Any]:
    """Seconds to write the rows a Kehu import stored (every table, taken from the database after the import) into
    empty copies of their tables, already built: with the tables' indexes and unique constraints, and without any.

    The floor of any import that stores these rows, whatever its validation costs. PostgreSQL: ``COPY`` of each
    table's own ``COPY TO`` output into ``CREATE TABLE … (LIKE … INCLUDING ALL)`` (no foreign keys: a lower floor
    than the import, which also pays their checks). SQLite: ``executemany`` of ``SELECT *`` into a table created
    from the original's SQL with its indexes, in one transaction.
    """
    import io

    from django.db import connection, transaction

    seconds = {"indexed": 0.0, "bare": 0.0}
    rows = 0
    for table in KEHU_TABLES:
        copy_name = f"bench_floor_{table}"
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            with connection.cursor() as cursor, cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for data in copy:
                    buffer.write(data)
            rows += buffer.getvalue().count(b"\n") if table == "customers_customer" else 0
            for kind, like in (("indexed", "INCLUDING ALL"), ("bare", "INCLUDING DEFAULTS")):
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {copy_name}")
                    cursor.execute(f"CREATE TABLE {copy_name} (LIKE {table} {like})")
                started = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor, cursor.copy(
                        f"COPY {copy_name} FROM STDIN") as copy:
                    view = buffer.getbuffer()
                    for start in range(0, len(view), 1 << 20):
                        copy.write(view[start:start + (1 << 20)])
                    del view
                seconds[kind] += time.perf_counter() - started
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE {copy_name}")
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")
            stored = cursor.fetchall()
            cursor.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table])
            schema = cursor.fetchall()
        if table == "customers_customer":
            rows = len(stored)
        for kind in ("indexed", "bare"):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {copy_name}")
                for sql_type, sql in schema:
                    if sql_type == "table" or kind == "indexed":
                        cursor.execute(sql.replace(f'"{table}"', f'"{copy_name}"', 1).replace(
                            'INDEX "', 'INDEX "bench_floor_', 1))
            started = time.perf_counter()
            if stored:
                placeholders = ", ".join(["%s"] * len(stored[0]))
                with transaction.atomic(), connection.cursor() as cursor:
                    for start in range(0, len(stored), 5000):
                        cursor.executemany(f"INSERT INTO {copy_name} VALUES ({placeholders})",
                                           stored[start:start + 5000])
            seconds[kind] += time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {copy_name}")
        del stored
    return {"rows": rows, **seconds}


def worker(db: str, options: argparse.Namespace) -> dict[str, Any]:
    _setup()
    big = customer_file(options.customers)
    figures: dict[str, Any] = {"db": db, "rows": options.customers}
    figures["raw_seconds"] = _raw_load(big, options.runs)
    if options.peer_rows:
        small = slice_file(big, options.peer_rows)
        _reset_customers()
        figures["kehu_slice"] = _kehu_cli(db, small)
        _reset_customers()
        try:
            figures["peer"] = _peer(small)
        except ImportError as error:
            figures["peer"] = {"error": f"django-import-export is not installed ({error})"}
    if options.breakdown:
        _reset_customers()
        figures["breakdown"] = _breakdown(big)
    runs = []
    for _run in range(options.runs):
        _reset_customers()
        runs.append(_kehu_cli(db, big))
    figures["kehu"] = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    figures["kehu_runs"] = [round(run["seconds"], 1) for run in runs]
    figures["kehu_cpu"] = sorted(run["cpu"] for run in runs)[len(runs) // 2]
    figures["kehu_peak_mib"] = max(run["peak_mib"] for run in runs)
    figures["write_floor"] = _write_floor()
    figures["reimport"] = _kehu_cli(db, big)
    # the customers stay: bench/search_bench.py searches them (PostgreSQL)
    return figures


# --------------------------------------------------------------------------------------------------- orchestration


def ensure_postgres_database() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True,
                             connect_timeout=3) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone():
                connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    except Exception as error:  # noqa: BLE001 - PostgreSQL not reachable: bench SQLite only
        print(f"PostgreSQL not available ({error}); skipping it", file=sys.stderr)
        return False
    return True


def xlsx_file(rows: int, columns: int | None = None) -> Path:
    """The generated XLSX (cached): as xlsxwriter's constant_memory mode writes it (inline strings), mobiles as
    numbers."""
    import generate

    width = columns or len(generate.CUSTOMER_HEADERS)
    path = BENCH_DIR / f"customers-{rows}-{width}columns.xlsx"
    if not path.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.stem + ".partial.xlsx")
        generate.write_xlsx(partial, generate.CUSTOMER_HEADERS[:width],
                            (row[:width] for row in generate.customer_rows(rows)))
        partial.rename(path)
    return path


def xlsx_read(rows: int, runs: int, columns: int | None = None) -> dict[str, Any]:
    """Seconds to read a generated XLSX to Python rows with Kehu's reader (median of runs), each run in a process
    of its own so that its peak memory is the reading's alone."""
    path = xlsx_file(rows, columns)
    timings, peaks = [], []
    for _run in range(runs):
        result = subprocess.run([sys.executable, __file__, "--xlsx-worker", str(path)], env=child_env("sqlite"),
                                capture_output=True, text=True)
        lines = [line for line in result.stdout.splitlines() if line.startswith("FIGURES ")]
        if result.returncode != 0 or not lines:
            raise RuntimeError(result.stderr[-2000:])
        run = json.loads(lines[-1][8:])
        timings.append(run["seconds"])
        peaks.append(run["peak_mib"])
    return {"rows": run["rows"], "columns": run["columns"], "seconds": statistics.median(timings),
            "runs": [round(seconds, 1) for seconds in timings], "peak_mib": statistics.median(peaks),
            "mib": path.stat().st_size / 2**20, "how": run["how"]}


def xlsx_worker(path: Path) -> dict[str, Any]:
    """One reading of the file in this (fresh) process: every row to Python; its time and the process's peak."""
    import django

    django.setup()
    from kehu.imports.readers import open_table

    started = time.perf_counter()
    reader = open_table(path)
    how = "in slices" if reader._slices is not None else "whole"
    count = sum(1 for _row in reader.rows())
    reader.close()
    seconds = time.perf_counter() - started
    return {"rows": count, "columns": len(reader.headers), "seconds": seconds, "how": how,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def report(figures: dict[str, Any]) -> None:
    db, rows = figures["db"], figures["rows"]
    raw_rate = rows / figures["raw_seconds"]
    kehu = figures["kehu"]
    kehu_rate = kehu["rows"] / kehu["seconds"]
    print(f"\n== {db}: {rows:,} customers ==")
    print(f"raw load into a bare table (no validation, no indexes): {figures['raw_seconds']:.2f} s = "
          f"{raw_rate:,.0f} rows/s")
    print(f"kehu import (full validation, profiles, pinyin, history): {kehu['seconds']:.1f} s = "
          f"{kehu_rate:,.0f} rows/s "
          f"(runs {figures['kehu_runs']}; command wall {kehu['wall']:.1f} s) -> {100 * kehu_rate / raw_rate:.1f}% "
          f"of the raw load; peak memory {figures['kehu_peak_mib']:.0f} MiB; {kehu['summary']}")
    print(f"kehu import's processor time (the command's processes, not the database server's; median): "
          f"{figures['kehu_cpu']:.1f} s")
    floor = figures.get("write_floor")
    if floor:
        for kind, what in (("indexed", "with their indexes"), ("bare", "into bare copies of the tables, no index")):
            rate = floor["rows"] / floor[kind]
            print(f"floor: the rows that import stored, already built, written {what}: {floor[kind]:.1f} s = "
                  f"{rate:,.0f} customers/s ({100 * rate / raw_rate:.1f}% of the raw load; kehu import at "
                  f"{100 * kehu_rate / rate:.0f}% of this floor)")
    again = figures["reimport"]
    print(f"re-import of the same file: {again['seconds']:.1f} s = {again['rows'] / again['seconds']:,.0f} rows/s "
          f"(processor time {again['cpu']:.1f} s); {again['summary']}")
    breakdown = figures.get("breakdown") or {}
    if breakdown:
        total = breakdown.pop("total")
        parts = "; ".join(f"{name} {seconds:.1f} s" for name, seconds in breakdown.items())
        print(f"where the time goes (one import in process, {total:.1f} s): {parts}")
    peer = figures.get("peer")
    if peer and "error" not in peer:
        peer_rate = peer["rows"] / peer["seconds"]
        mine = figures["kehu_slice"]
        mine_rate = mine["rows"] / mine["seconds"]
        print(f"django-import-export 4 (use_bulk, validation) on the first {peer['rows']:,} rows: "
              f"{peer['seconds']:.1f} s "
              f"= {peer_rate:,.0f} rows/s ({peer['stored']:,} stored, {peer['totals']}); kehu on the same rows: "
              f"{mine['seconds']:.1f} s = {mine_rate:,.0f} rows/s -> {mine_rate / peer_rate:.1f}x")
    elif peer:
        print(f"peer: {peer['error']}")


def _django_for_files() -> None:
    """Django set up in the orchestrating process (the generator reuses the demo's code) on the bench database."""
    os.environ.update({key: value for key, value in child_env("sqlite").items()
                       if key in {"KEHU_DATABASE_URL", "KEHU_DEBUG", "KEHU_VAR_DIR"}})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--peer-rows", type=int, default=20_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"], choices=["postgres", "sqlite"])
    parser.add_argument("--worker", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--xlsx-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--xlsx-only", action="store_true", help="only the XLSX read")
    parser.add_argument("--breakdown", action="store_true", help="one more import with its phases timed")
    options = parser.parse_args(argv)
    if options.xlsx_worker:
        print("FIGURES " + json.dumps(xlsx_worker(options.xlsx_worker)))
        return 0
    if options.worker:
        figures = worker(options.worker, options)
        print("FIGURES " + json.dumps(figures, default=str))
        return 0
    _django_for_files()
    print(f"import benchmark: {options.customers:,} customers, peer slice {options.peer_rows:,}, "
          f"XLSX {options.xlsx_rows:,} rows, {options.runs} runs; {os.cpu_count()} CPU cores")
    if not options.xlsx_only:
        customer_file(options.customers)
    for db in [] if options.xlsx_only else options.db:
        if db == "postgres" and not ensure_postgres_database():
            continue
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([sys.executable, __file__, "--worker", db, "--customers", str(options.customers),
                                 "--peer-rows", str(options.peer_rows), "--runs", str(options.runs),
                                 *(["--breakdown"] if options.breakdown else [])],
                                env=child_env(db), capture_output=True, text=True)
        lines = [line for line in result.stdout.splitlines() if line.startswith("FIGURES ")]
        if result.returncode != 0 or not lines:
            print(f"{db}: failed\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
            continue
        report(json.loads(lines[-1][8:]))
    if options.xlsx_rows:
        print("\n== XLSX read (python-calamine; big sheets in slices, two parsed at once) ==")
        for columns in (8, None):
            figures = xlsx_read(options.xlsx_rows, options.runs, columns)
            print(f"{figures['rows']:,} rows × {figures['columns']} columns ({figures['mib']:.0f} MiB file, read "
                  f"{figures['how']}) in {figures['seconds']:.1f} s = {figures['rows'] / figures['seconds']:,.0f} "
                  f"rows/s (runs {figures['runs']}); peak memory of the reading process {figures['peak_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
