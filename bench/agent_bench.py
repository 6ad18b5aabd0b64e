"""Benchmark of the agent's screen (来电弹屏): ``GET /service/agent/?phone=…`` (the HTMX round trip an agent's page
makes: the lookup, the masked identity, scores, open tickets, last contacts, consents, the access-log insert and the
rendered HTML) at ``--customers`` customers and ``--tickets`` tickets, beside the raw SQL floor (the customer by its
mobile and its open tickets, two prepared statements on an open connection) measured in the same run.

Run: ``.venv/bin/python bench/agent_bench.py [--customers 100000] [--tickets 500000] [--requests 300]
[--only sqlite|postgresql]`` (``--full``: 1,000,000 customers and 5,000,000 tickets, the issue's sizes).

Each vendor gets a fresh database (PostgreSQL ``kehu_bench_agent``; SQLite under ``var/bench/``): customers and
tickets are written with ``kehu.core.bulkio.rows.insert_rows`` (``COPY`` on PostgreSQL, ``executemany`` on SQLite),
one in five tickets open. Requests go through Django's test client in process (no HTTP server), as a service agent of
the branch. Figures are printed, nothing is asserted.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from common import percentile, recreate_postgres_database  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "kehu_bench_agent"
SQLITE_FILE = ROOT / "var" / "bench" / "agent.sqlite3"
BATCH = 50_000


def milliseconds(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):.2f} ms, p99 {1000 * percentile(values, 0.99):.2f} ms "
            f"({len(values)} requests)")


def ensure_postgres_database() -> bool:
    return recreate_postgres_database(PG_SERVER, PG_DATABASE)


def _rows(model, objects):
    """The objects as rows of every concrete column but the primary key (defaults and auto_now applied)."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = [field.column for field in fields]
    rows = [[field.pre_save(obj, True) for field in fields] for obj in objects]
    return columns, rows


def mobile(index: int) -> str:
    return f"+86139{index:08d}"


def fill(customers: int, tickets: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.core.bulkio.rows import insert_rows
    from kehu.customers.models import Customer
    from kehu.org.services import branch_create, staff_create
    from kehu.service.models import ServiceTeam, Ticket

    call_command("migrate", verbosity=0, interactive=False)
    branch = branch_create(code="AG1", name="坐席门店")
    agent = staff_create(username="bench_agent", password="Kehu-bench-pass-1", roles=["service_agent"],
                         branches=[branch])
    team = ServiceTeam.objects.create(name="坐席组", branch=branch)
    team.members.add(agent)
    rng = random.Random(5)
    now = timezone.now()
    started = time.perf_counter()
    for offset in range(0, customers, BATCH):
        batch = [Customer(code=f"AG{index:08d}", name=f"坐席客户{index}", branch=branch, mobile=mobile(index),
                          lifecycle_status="current", created_at=now, updated_at=now)
                 for index in range(offset, min(customers, offset + BATCH))]
        columns, rows = _rows(Customer, batch)
        with transaction.atomic():
            insert_rows(Customer, columns, rows)
    first_id = Customer.objects.order_by("id").values_list("id", flat=True).first() or 0
    print(f"  {customers:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    statuses = ["received", "accepted", "investigating", "closed", "closed", "closed", "closed", "reviewed", "resolved",
                "closed"]
    for offset in range(0, tickets, BATCH):
        batch = [Ticket(type="inquiry", channel="phone", customer_id=first_id + rng.randrange(customers),
                        status=statuses[rng.randrange(10)] if index % 2 else rng.choice(statuses[3:]),
                        priority=rng.randint(1, 4), team=team, branch=branch, subject=f"工单{index}",
                        created_at=now - dt.timedelta(minutes=rng.randrange(525_600)), updated_at=now)
                 for index in range(offset, min(tickets, offset + BATCH))]
        columns, rows = _rows(Ticket, batch)
        with transaction.atomic():
            insert_rows(Ticket, columns, rows)
    print(f"  {tickets:,} tickets ({Ticket.objects.filter(status__in=statuses[:3]).count():,} open) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(customers: int, tickets: int, requests: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kehu.org.models import User

    vendor = connection.vendor
    print(f"\n== {vendor}: {customers:,} customers, {tickets:,} tickets", flush=True)
    fill(customers, tickets)
    client = Client(headers={"HX-Request": "true", "Accept-Language": "zh-hans"})
    client.force_login(User.objects.get(username="bench_agent"))
    rng = random.Random(9)
    numbers = [mobile(rng.randrange(customers)) for _ in range(requests)]
    for number in numbers[:20]:
        client.get("/service/agent/", {"phone": number})
    timings = []
    for number in numbers:
        started = time.perf_counter()
        response = client.get("/service/agent/", {"phone": number})
        timings.append(time.perf_counter() - started)
        if response.status_code != 200 or b"agent-card" not in response.content:
            raise SystemExit(f"the screen answered {response.status_code} for {number}")
    print(f"agent's screen (one HTMX round trip, in process): {milliseconds(timings)}", flush=True)
    floor = []
    placeholder = "%s"
    with connection.cursor() as cursor:
        for number in numbers:
            started = time.perf_counter()
            cursor.execute(f"SELECT id, code, name FROM customers_customer WHERE mobile = {placeholder}", [number])
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT id, type, status, priority, subject, created_at FROM service_ticket "  # noqa: S608
                           f"WHERE customer_id = {placeholder} AND status IN ('received', 'accepted', "
                           f"'investigating')", [ids[0]])
            cursor.fetchall()
            floor.append(time.perf_counter() - started)
    print(f"raw SQL floor (customer by mobile + its open tickets): {milliseconds(floor)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--full", action="store_true", help="1,000,000 customers and 5,000,000 tickets")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--run", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)  # the child process
    options = parser.parse_args(argv)
    if options.full:
        options.customers, options.tickets = 1_000_000, 5_000_000
    if options.run:
        measure(options.customers, options.tickets, options.requests)
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
                     "--tickets", str(options.tickets), "--requests", str(options.requests)]
        status |= subprocess.run(arguments, env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
