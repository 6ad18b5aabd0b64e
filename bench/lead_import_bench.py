"""Benchmark of the lead import (``kehu import leads``) with its duplicate matching against customers and open leads.

Run: ``.venv/bin/python bench/lead_import_bench.py [--customers 1000000] [--open-leads 100000] [--leads 100000]
[--runs 3] [--pg-database kehu_bench_lead_import]``

On PostgreSQL (database ``--pg-database``, default ``kehu_bench_lead_import``; never the development or test
databases), holding ``--customers`` customers (half with an e-mail, every 20th an organisation with a unified social
credit code) and ``--open-leads`` open leads, written set-based (``INSERT … SELECT`` over ``generate_series``) once:
the database is kept and reused by later runs (only missing rows are added).

A generated CSV of ``--leads`` prospects (姓名, 手机, 邮箱, 公司, 统一社会信用代码, 来源) of which about a
quarter are already known: 10 % a customer's mobile, 5 % a customer's e-mail (no mobile), 5 % an organisation
customer's credit code, 5 % an open lead's mobile, and 1 % repeat an earlier row of the file. Each run imports it
through the real command (``python -m kehu.cli import leads FILE --mode skip-bad --user bench_bm_0``: parsing,
validation, the matching of every chunk against customers and open leads, the leads and their timeline rows
written), then the leads it created are deleted. Rows per second from the job's own start and end times (median of
``--runs``), the rows created, and the rows matched as duplicates by kind (from the job's row errors).

``--profile``: one more import in this process under cProfile (the 25 costliest functions by cumulative time).
Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))

HEADERS = ["姓名", "手机", "邮箱", "公司", "统一社会信用代码", "来源"]
ORGANISATION_EVERY = 20
BATCH = 200_000


def customer_mobile(index: int) -> str:
    return f"+86139{index:08d}"


def customer_email(index: int) -> str:
    return f"c{index}@example.com" if index % 2 == 0 else ""


def lead_mobile(index: int) -> str:
    return f"+86158{index:08d}"


def credit_code(index: int) -> str:
    """A valid unified social credit code, a pure function of ``index``."""
    from stdnum.cn import uscc

    from kehu.demo.drawing import organisation_code_check

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "MA"
    value = index
    for _position in range(6):
        body += alphabet[value % len(alphabet)]
        value //= len(alphabet)
    first17 = f"91310101{body}{organisation_code_check(body)}"
    return first17 + uscc.calc_check_digit(first17)


def ensure_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True,
                         connect_timeout=3) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def child_env(database: str) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if key != "KEHU_DB_STATEMENT_TIMEOUT_MS"}
    return {**inherited, "KEHU_DATABASE_URL": f"{PG_SERVER}/{database}", "KEHU_DEBUG": "1",
            "KEHU_VAR_DIR": str(ROOT / "var"), "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


def load(customers: int, open_leads: int) -> None:
    import generate
    from common import insert_series
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from kehu.customers.models import Customer, OrganisationProfile
    from kehu.org.models import Branch, User
    from kehu.org.services import staff_create
    from kehu.sales.models import Lead

    call_command("migrate", verbosity=0, interactive=False)
    codes = generate.ensure_bench_branches()
    branches = list(Branch.objects.filter(code__in=codes).order_by("code"))
    for number, branch in enumerate(branches):
        if not User.objects.filter(username=f"bench_bm_{number}").exists():
            staff_create(username=f"bench_bm_{number}", password="Kehu-bench-pass-1", roles=["branch_manager"],
                         branches=[branch])
    slots = " UNION ALL ".join(f"SELECT {slot} AS slot, {branch.pk} AS branch_id"
                               for slot, branch in enumerate(branches))
    joins = f"JOIN ({slots}) t ON t.slot = g %% {len(branches)}"
    stored = Customer.objects.count()
    if stored < customers:
        started = time.perf_counter()
        for first in range(stored, customers, BATCH):  # batches: each statement well within the timeout
            insert_series(Customer, Customer(code="", name="", branch=branches[0]), min(BATCH, customers - first), {
                "code": f"'LC' || lpad((g + {first})::text, 9, '0')",
                "name": f"'客户' || (g + {first})",
                "mobile": f"'+86139' || lpad((g + {first})::text, 8, '0')",
                "email": f"CASE WHEN (g + {first}) %% 2 = 0 THEN 'c' || (g + {first}) || '@example.com' ELSE '' END",
                "branch_id": "t.branch_id"}, joins)
        ids = dict(Customer.objects.filter(code__startswith="LC").values_list("code", "pk").iterator(chunk_size=50_000))
        profiles = [OrganisationProfile(customer_id=ids[f"LC{index:09d}"], credit_code=credit_code(index))
                    for index in range(stored, customers) if index % ORGANISATION_EVERY == 0]
        OrganisationProfile.objects.bulk_create(profiles, batch_size=10_000)
        print(f"loaded {customers - stored:,} customers ({len(profiles):,} organisations) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    stored = Lead.objects.filter(mobile__startswith="+86158").count()
    if stored < open_leads:
        started = time.perf_counter()
        insert_series(Lead, Lead(name="", branch=branches[0], source="phone", created_at=timezone.now()),
                      open_leads - stored, {
                          "name": f"'线索' || (g + {stored})",
                          "mobile": f"'+86158' || lpad((g + {stored})::text, 8, '0')",
                          "status": "CASE WHEN g %% 3 = 0 THEN 'new' WHEN g %% 3 = 1 THEN 'contacted' "
                                    "ELSE 'qualified' END",
                          "pooled_at": "now()", "worked_at": "now()", "branch_id": "t.branch_id"}, joins)
        print(f"loaded {open_leads - stored:,} open leads in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE customers_organisationprofile")
        cursor.execute("VACUUM ANALYZE sales_lead")


def lead_file(count: int, customers: int, open_leads: int) -> tuple[Path, dict[str, int]]:
    """The CSV of ``count`` prospects (cached: generation is deterministic) and how many of each kind it holds."""
    path = BENCH_DIR / f"leads-{count}-against-{customers}-{open_leads}.csv"
    rng = random.Random(23)
    kinds = {"customer mobile": 0, "customer e-mail": 0, "customer credit code": 0, "open lead mobile": 0,
             "earlier row": 0, "new": 0}
    rows = []
    organisations = max(1, customers // ORGANISATION_EVERY)
    for index in range(count):
        slot = index % 100
        name, company, mobile, email, code = f"新客{index}", "", f"+86177{index:08d}", "", ""
        if index % 3 == 0:
            email = f"p{index}@example.org"
        if index % 2 == 0:
            company = f"贸易公司{index % 7000}"
        if slot < 10 and customers:
            kind, mobile = "customer mobile", customer_mobile(rng.randrange(customers))
        elif slot < 15 and customers > 1:
            kind, mobile, email = "customer e-mail", "", customer_email(2 * rng.randrange(customers // 2))
        elif slot < 20 and customers:
            kind, code = "customer credit code", credit_code(ORGANISATION_EVERY * rng.randrange(organisations))
        elif slot < 25 and open_leads:
            kind, mobile = "open lead mobile", lead_mobile(rng.randrange(open_leads))
        elif slot == 25 and index > 100:
            kind, mobile, email = "earlier row", f"+86177{index - 50:08d}", ""
        else:
            kind = "new"
        kinds[kind] += 1
        rows.append([name, mobile, email, company, code, ""])
    if not path.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            writer.writerows(rows)
        partial.rename(path)
    return path, kinds


def clear_imported(before: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sales_leadevent WHERE lead_id > %s", [before])
        cursor.execute("DELETE FROM sales_lead WHERE id > %s", [before])


def import_once(database: str, path: Path) -> dict[str, Any]:
    from kehu.imports.models import ImportJob, ImportRowError

    previous = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kehu.cli", "import", "leads", str(path), "--mode", "skip-bad",
                             "--user", "bench_bm_0", "--language", "en", "--no-progress"], env=child_env(database),
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the command's processor time (not the database server's): steadier than its wall time on a shared machine
    cpu = used.ru_utime - usage.ru_utime + used.ru_stime - usage.ru_stime
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-2000:])
    job = ImportJob.objects.filter(id__gt=previous).order_by("-id").first()
    assert job is not None
    errors = ImportRowError.objects.filter(job=job, is_warning=False)
    matched = {"customer": errors.filter(reason__contains="customer #").values("row").distinct().count(),
               "open lead": errors.filter(reason__contains="lead #").values("row").distinct().count(),
               "earlier row": errors.filter(reason__contains="Duplicate of row").values("row").distinct().count()}
    return {"seconds": (job.finished_at - job.started_at).total_seconds(), "wall": wall, "cpu": cpu,
            "rows": job.rows_done, "created": job.created, "failed": job.failed, "matched": matched,
            "summary": job.summary_line()}


def profile(path: Path) -> None:
    import cProfile
    import pstats

    from kehu.imports import services
    from kehu.org.models import User

    job = services.import_job_create(target="leads", file_path=path, mode="skip-bad", language="en",
                                     user=User.objects.get(username="bench_bm_0"))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    services.import_run(job=job)
    profiler.disable()
    print(f"profiled import: {time.perf_counter() - started:.1f} s")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--open-leads", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=100_000, help="rows of the imported file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-database", default=os.environ.get("KEHU_BENCH_PG_DATABASE", "kehu_bench_lead_import"),
                        help="kept between runs: only missing customers and leads are added")
    parser.add_argument("--profile", action="store_true", help="one more import under cProfile")
    options = parser.parse_args(argv)
    ensure_database(options.pg_database)
    os.environ.update({key: value for key, value in child_env(options.pg_database).items()
                       if key in {"KEHU_DATABASE_URL", "KEHU_DEBUG", "KEHU_VAR_DIR", "DJANGO_SETTINGS_MODULE"}})
    os.environ["KEHU_DB_STATEMENT_TIMEOUT_MS"] = "0"  # this process's loading (the import's command has its own)
    import django

    django.setup()
    from kehu.customers.models import Customer
    from kehu.sales.models import Lead

    load(options.customers, options.open_leads)
    path, kinds = lead_file(options.leads, options.customers, options.open_leads)
    stored_customers = Customer.objects.count()
    stored_leads = Lead.objects.count()
    before = Lead.objects.order_by("-id").values_list("id", flat=True).first() or 0
    load_average = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"PostgreSQL {options.pg_database}: import of {options.leads:,} leads against {stored_customers:,} "
          f"customers and {stored_leads:,} leads; {os.cpu_count()} cores, load average {load_average}")
    print(f"the file: {', '.join(f'{count:,} {kind}' for kind, count in kinds.items())}", flush=True)
    runs = []
    for _run in range(options.runs):
        clear_imported(before)
        run = import_once(options.pg_database, path)
        runs.append(run)
        print(f"  run: {run['seconds']:.1f} s = {run['rows'] / run['seconds']:,.0f} rows/s (command wall "
              f"{run['wall']:.1f} s, its processor time {run['cpu']:.1f} s); {run['created']:,} created, "
              f"{run['failed']:,} not imported: "
              f"{', '.join(f'{count:,} matching {kind}' for kind, count in run['matched'].items())}", flush=True)
    if runs:
        median = statistics.median(run["rows"] / run["seconds"] for run in runs)
        cpu = statistics.median(run["cpu"] for run in runs)
        print(f"lead import: median {median:,.0f} rows/s over {len(runs)} runs "
              f"({[round(run['seconds'], 1) for run in runs]} s; the command's processor time, median, {cpu:.1f} s); "
              f"{runs[-1]['summary']}")
    if options.profile:
        clear_imported(before)
        profile(path)
    clear_imported(before)
    print(f"load average at the end {' / '.join(f'{value:.1f}' for value in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
