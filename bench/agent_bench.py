"""Benchmark of the agent's screen (来电弹屏): ``GET /service/agent/?phone=…`` (the HTMX round trip an agent's page
makes: the lookup, the masked identity, scores, open tickets, last contacts, consents, the access-log insert and the
rendered HTML) at ``--customers`` customers, ``--tickets`` tickets and ``--contacts`` contact records, beside the raw
SQL floor (the same customer with its branch, its first open tickets, newest contacts and scores by hand-written SQL
on an open connection) measured in the same run, and where one request's time goes (queries, selector, the rest).

Run: ``.venv/bin/python bench/agent_bench.py [--customers 100000] [--tickets 500000] [--contacts N] [--requests 300]
[--only sqlite|postgresql]`` (``--full``: 1,000,000 customers and 5,000,000 tickets, the issue's sizes).

Each vendor gets a fresh database (PostgreSQL ``kehu_bench_agent``; SQLite under ``var/bench/``), filled set-based:
one ``INSERT … SELECT`` over ``generate_series`` (SQLite: a recursive CTE) per table, 15% of the tickets open, each
ticket and contact of a random customer. Requests go through Django's test client in process (no HTTP server), as a
service agent of the branch. Figures are printed, nothing is asserted."""

from __future__ import annotations

import argparse
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

from common import insert_series, percentile, recreate_postgres_database  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
# its own database (``KEHU_BENCH_AGENT_DB``; helpers sharing a server give each their own)
PG_DATABASE = os.environ.get("KEHU_BENCH_AGENT_DB", "kehu_bench_agent")
SQLITE_FILE = ROOT / "var" / "bench" / f"{PG_DATABASE}.sqlite3"


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


def fill(customers: int, tickets: int, contacts: int) -> None:
    """Set-based: customers, tickets (15% open, customers drawn by a multiplicative hash of the row number) and
    contact records (spread over the past year), each one ``INSERT … SELECT`` over a series."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.org.services import branch_create, staff_create
    from kehu.relations.models import ContactRecord
    from kehu.service.models import ServiceTeam, Ticket

    call_command("migrate", verbosity=0, interactive=False)
    branch = branch_create(code="AG1", name="坐席门店")
    agent = staff_create(username="bench_agent", password="Kehu-bench-pass-1", roles=["service_agent"],
                         branches=[branch])
    team = ServiceTeam.objects.create(name="坐席组", branch=branch)
    team.members.add(agent)
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    padded = "lpad(g::text, 8, '0')" if postgres else "printf('%%08d', g)"
    text = "g::text" if postgres else "CAST(g AS TEXT)"
    if postgres:
        # rows consistent by construction: no deferred foreign-key check per row at COMMIT (5,000,000 tickets made
        # three each, which took longer than writing them); the bench's own superuser session only
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    started = time.perf_counter()
    with transaction.atomic():
        insert_series(Customer, Customer(code="x", name="x", branch=branch, lifecycle_status="current",
                                         created_at=now, updated_at=now), customers,
                      {"code": f"'AG' || {padded}", "name": f"'坐席客户' || {text}",
                       "mobile": f"'+86139' || {padded}"})
    first_id = Customer.objects.order_by("id").values_list("id", flat=True).first() or 0
    print(f"  {customers:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    # 15 in 100 open (received, accepted, investigating), the rest closed, reviewed or resolved
    status = ("CASE WHEN g % 100 < 5 THEN 'received' WHEN g % 100 < 10 THEN 'accepted' "
              "WHEN g % 100 < 15 THEN 'investigating' WHEN g % 100 < 25 THEN 'reviewed' "
              "WHEN g % 100 < 30 THEN 'resolved' ELSE 'closed' END").replace("%", "%%")
    # a customer at random per row (a hash of g cycles with the row number, tying every ticket of a customer to one
    # status)
    pick = (f"{first_id} + floor(random() * {customers})::bigint" if postgres
            else f"{first_id} + abs(random()) %% {customers}")
    customer = pick
    minutes = "(g * 7919) %% 525600"
    created = (f"%s::timestamptz - make_interval(mins => ({minutes})::int)" if postgres
               else f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '-' || ({minutes}) || ' minutes')")
    with transaction.atomic():
        insert_series(Ticket, Ticket(type="inquiry", channel="phone", team=team, branch=branch, subject="x",
                                     created_at=now, updated_at=now), tickets,
                      {"customer_id": customer, "status": status, "priority": "1 + g %% 4",
                       "subject": f"'工单' || {text}", "created_at": created.replace("%s", _literal(now, postgres))})
    open_count = Ticket.objects.filter(status__in=["received", "accepted", "investigating"]).count()
    print(f"  {tickets:,} tickets ({open_count:,} open) in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        insert_series(ContactRecord, ContactRecord(channel="phone", direction="inbound", occurred_at=now,
                                                   summary="x", staff=agent, branch=branch, created_at=now),
                      contacts,
                      {"customer_id": pick,
                       "summary": f"'来电咨询 ' || {text}",
                       "occurred_at": created.replace("%s", _literal(now, postgres))})
    print(f"  {contacts:,} contact records in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")


def _literal(moment, postgres: bool) -> str:
    """A timestamp as an SQL literal (the series' expressions take no parameters of their own)."""
    if postgres:
        return f"'{moment.isoformat()}'"
    return f"'{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def measure(customers: int, tickets: int, contacts: int, requests: int, reuse: bool = False) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kehu.org.models import User

    vendor = connection.vendor
    print(f"\n== {vendor}: {customers:,} customers, {tickets:,} tickets", flush=True)
    if reuse:
        print("  (the database of an earlier run, filled at these sizes, measured again)", flush=True)
    else:
        fill(customers, tickets, contacts)
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
    breakdown(client, numbers, User.objects.get(username="bench_agent"))
    floor = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for number in numbers:
            started = time.perf_counter()
            # by mobile, then by phone: one "mobile = %s OR phone = %s" SQLite answers by scanning every customer
            cursor.execute("SELECT c.id, c.code, c.name, c.mobile, c.email, c.lifecycle_status, b.name "
                           "FROM customers_customer c JOIN org_branch b ON b.id = c.branch_id WHERE c.mobile = %s "
                           "UNION SELECT c.id, c.code, c.name, c.mobile, c.email, c.lifecycle_status, b.name "
                           "FROM customers_customer c JOIN org_branch b ON b.id = c.branch_id WHERE c.phone = %s",
                           [number, number])
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id, type, status, priority, subject, created_at, resolution_due "
                           "FROM service_ticket WHERE customer_id = %s AND status IN ('received', 'accepted', "
                           "'investigating') ORDER BY priority DESC, created_at LIMIT 20", [ids[0]])
            cursor.fetchall()
            cursor.execute("SELECT id, channel, direction, occurred_at, summary FROM relations_contactrecord "
                           "WHERE customer_id = %s ORDER BY occurred_at DESC, id DESC LIMIT 5", [ids[0]])
            cursor.fetchall()
            cursor.execute(f"SELECT * FROM {quote('scoring_customersummary')} WHERE customer_id = %s",  # noqa: S608
                           [ids[0]])
            cursor.fetchall()
            floor.append(time.perf_counter() - started)
    print(f"raw SQL floor (customer by mobile or phone with its branch, its 20 first open tickets, 5 newest contacts, "
          f"scores): {milliseconds(floor)}", flush=True)


def breakdown(client, numbers: list[str], user) -> None:
    """Where one request's time goes: its queries (count, total, the slowest with its plan on PostgreSQL), the
    selector alone and the rest (template, middleware, access log)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.service.agent import selectors

    with CaptureQueriesContext(connection) as captured:
        client.get("/service/agent/", {"phone": numbers[0]})
    queries = captured.captured_queries
    total = sum(float(query["time"]) for query in queries)
    print(f"  one request: {len(queries)} queries, {1000 * total:.2f} ms in the database (as Django times them)")
    for query in sorted(queries, key=lambda query: -float(query["time"]))[:4]:
        print(f"    {1000 * float(query['time']):6.2f} ms  {query['sql'][:150]}")
    selector = []
    for number in numbers:
        started = time.perf_counter()
        selectors.agent_screen(user=user, phone=number)
        selector.append(time.perf_counter() - started)
    print(f"  the selector alone (queries and Python, no rendering, no log): {milliseconds(selector)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=500_000)
    parser.add_argument("--contacts", type=int, default=None, help="contact records (default: one per customer)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--full", action="store_true", help="1,000,000 customers and 5,000,000 tickets")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database an earlier run filled at the same sizes again (no fill)")
    parser.add_argument("--run", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)  # the child process
    options = parser.parse_args(argv)
    if options.full:
        options.customers, options.tickets = 1_000_000, 5_000_000
    if options.contacts is None:
        options.contacts = options.customers
    if options.run:
        measure(options.customers, options.tickets, options.contacts, options.requests, options.reuse)
        return 0
    status = 0
    for vendor in ("sqlite", "postgresql"):
        if options.only and vendor != options.only:
            continue
        if vendor == "sqlite":
            SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm") if not options.reuse else ():
                Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{SQLITE_FILE}"
        else:
            if not options.reuse and not ensure_postgres_database():
                continue
            url = f"{PG_SERVER}/{PG_DATABASE}"
        env = {**os.environ, "KEHU_DATABASE_URL": url, "KEHU_DEBUG": "0", "KEHU_TESTING": "",
               "KEHU_SECRET_KEY": secrets.token_urlsafe(40), "KEHU_ALLOWED_HOSTS": "testserver",
               "KEHU_VAR_DIR": str(ROOT / "var"), "DJANGO_SETTINGS_MODULE": "kehu.settings",
               "KEHU_PROCESS_KIND": "job"}
        arguments = [sys.executable, __file__, "--run", vendor, "--customers", str(options.customers),
                     "--tickets", str(options.tickets), "--contacts", str(options.contacts),
                     "--requests", str(options.requests), *(["--reuse"] if options.reuse else [])]
        status |= subprocess.run(arguments, env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
