"""Benchmark of the staff KPIs (``GET /api/staff-kpis``) over a larger book.

Run: ``.venv/bin/python bench/staff_kpis_bench.py [--customers 100000] [--staff 100] [--transactions 300000]
[--requests 50] [--only sqlite|postgresql]``

For SQLite (a file under ``var/bench/``) and PostgreSQL (database ``kehu_bench_staff_kpis`` on 127.0.0.1, skipped
when not reachable), each in a process of its own: ``--staff`` account managers in 10 stores, ``--customers``
customers owned by them with their audit history (a creation row by the owner dated over the past year, as the
demo credits it, and a changed-profile row for a tenth of them), a contact per customer over the year and
``--transactions`` purchases over 13 months. Then ``--requests`` requests of ``GET /api/staff-kpis?month=…`` (last
month) as an administrator (every staff member) and as a branch manager (one store), in process through the whole
middleware stack; p50/p99 in milliseconds. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT / "src"))

from common import percentile, recreate_postgres_database  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "kehu_bench_staff_kpis"
SQLITE_FILE = ROOT / "var" / "bench" / "staff_kpis.sqlite3"


def milliseconds(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):7.2f} ms, p99 {1000 * percentile(values, 0.99):7.2f} ms "
            f"({len(values)} requests)")


def ensure_postgres_database() -> bool:
    return recreate_postgres_database(PG_SERVER, PG_DATABASE)


def fill(customers: int, staff: int, transactions: int) -> tuple[object, object]:
    from django.core.management import call_command
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from kehu.customers.models import Customer, PersonProfile
    from kehu.org.services import branch_create, staff_create
    from kehu.purchases.services import transaction_bulk_create
    from kehu.relations.models import ContactRecord
    from kehu.relations.services import contact_bulk_create

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    group = branch_create(code="KG", name="考核集团", kind="group")
    stores = [branch_create(code=f"KS{index}", name=f"考核门店{index}", parent=group) for index in range(10)]
    admin = staff_create(username="kpi_admin", password="Kehu-bench-pass-1", roles=["administrator"],
                         branches=[group])
    manager = staff_create(username="kpi_manager", password="Kehu-bench-pass-1", roles=["branch_manager"],
                           branches=[stores[0]])
    members = [staff_create(username=f"kpi_am{index:03d}", password="Kehu-bench-pass-1", roles=["account_manager"],
                            branches=[stores[index % 10]]) for index in range(staff)]
    rng = random.Random(5)
    now = timezone.now()
    rows = []
    for index in range(customers):
        owner = members[index % staff]
        customer = Customer(code=f"KC{index:07d}", name=f"考核客户{index}", branch=stores[index % 10], owner=owner)
        customer._history_date = now - dt.timedelta(seconds=rng.randrange(365 * 86400))  # type: ignore[attr-defined]
        customer._history_user = owner  # type: ignore[attr-defined]
        rows.append(customer)
    made = bulk_create_with_history(rows, Customer, batch_size=5000)
    profiles = []
    for customer in made[:: 10]:
        profile = PersonProfile(customer=customer)
        profile._history_date = now - dt.timedelta(seconds=rng.randrange(365 * 86400))  # type: ignore[attr-defined]
        profile._history_user = customer.owner  # type: ignore[attr-defined]
        profiles.append(profile)
    bulk_create_with_history(profiles, PersonProfile, batch_size=5000)
    for start in range(0, customers, 20000):
        contact_bulk_create(records=[ContactRecord(
            customer=customer, branch_id=customer.branch_id, staff_id=customer.owner_id, channel="phone",
            occurred_at=now - dt.timedelta(seconds=rng.randrange(365 * 86400)), summary="回访")
            for customer in made[start:start + 20000]])
    for start in range(0, transactions, 50000):
        transaction_bulk_create(rows=[{
            "customer_id": made[rng.randrange(customers)].pk,
            "occurred_at": now - dt.timedelta(seconds=rng.randrange(395 * 86400)),
            "amount": Decimal(rng.randrange(100, 100000)) / 100} for _ in range(min(50000, transactions - start))])
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"  written: {customers:,} customers of {staff} account managers, {transactions:,} purchases, "
          f"{customers:,} contacts in {time.perf_counter() - started:.0f} s", flush=True)
    return admin, manager


def measure(requests: int, customers: int, staff: int, transactions: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kehu.org.services import api_token_create
    from kehu.relations.kpis.selectors import add_months, current_month

    print(f"== {connection.vendor}", flush=True)
    admin, manager = fill(customers, staff, transactions)
    month = add_months(current_month(), -1).strftime("%Y-%m")
    for label, user in (("administrator (every account manager)", admin), ("branch manager (one store)", manager)):
        _token, key = api_token_create(user=user, name="kpi bench")  # type: ignore[arg-type]
        client = Client(headers={"Authorization": f"Bearer {key}"})
        response = client.get("/api/staff-kpis", {"month": month, "limit": 200})
        assert response.status_code == 200, response.content[:300]
        rows = response.json()["count"]
        spent = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get("/api/staff-kpis", {"month": month, "limit": 200})
            spent.append(time.perf_counter() - started)
        print(f"  {label}, {rows} rows: {milliseconds(spent)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--transactions", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--run", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)  # the child process
    options = parser.parse_args(argv)
    if options.run:
        measure(options.requests, options.customers, options.staff, options.transactions)
        return 0
    status = 0
    for vendor in ("sqlite", "postgresql"):
        if options.only and vendor != options.only:
            continue
        if vendor == "sqlite":
            SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{SQLITE_FILE}"
        else:
            if not ensure_postgres_database():
                continue
            url = f"{PG_SERVER}/{PG_DATABASE}"
        env = {**os.environ, "KEHU_DATABASE_URL": url, "KEHU_DEBUG": "0", "KEHU_TESTING": "",
               "KEHU_SECRET_KEY": secrets.token_urlsafe(40), "KEHU_ALLOWED_HOSTS": "testserver",
               "KEHU_VAR_DIR": str(ROOT / "var"), "DJANGO_SETTINGS_MODULE": "kehu.settings",
               "KEHU_PROCESS_KIND": "job"}
        arguments = [sys.executable, __file__, "--run", vendor, "--customers", str(options.customers),
                     "--staff", str(options.staff), "--transactions", str(options.transactions),
                     "--requests", str(options.requests)]
        status |= subprocess.run(arguments, env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
