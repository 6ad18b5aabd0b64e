"""Benchmark the SLA check job (``kehu sla-check``) and the business-time arithmetic (``kehu bench sla``).

Run: ``.venv/bin/python bench/sla_bench.py --tickets 100000 [--runs 3] [--db postgres|sqlite|both]``

1. In a dedicated database (PostgreSQL ``kehu_bench_sla``, or ``var/bench/sla.sqlite3``; never the development or
   test ones), migrated afresh, writes ``--tickets`` open tickets in bulk (10 teams with a lead and 5 agents each),
   their targets of the default calendar (received over the last 30 days, first response 4 h, resolution 40 h in
   business hours) and their ``TicketSla`` rows: at "now" about half are past a warning point or a breach.
2. Times ``sla_check`` — what ``kehu sla-check`` and the beat job call: a first run (every warning and breach is
   recorded and notified, digests per person) and a rerun at the same time (nothing new), ``--runs`` times each
   (the events and notifications are deleted before each first run). Prints the median and all wall times.
3. Times ``add_business_time`` and ``business_minutes_between`` per call over random starts and spans (with the
   seeded public days).

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_URL = "postgres://postgres@127.0.0.1:5432/kehu_bench_sla"
NOW = dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)

sys.path.insert(0, str(ROOT / "bench"))
from common import insert_series  # noqa: E402


def child(db: str, tickets: int, runs: int) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kehu_bench_sla")
            conn.execute("CREATE DATABASE kehu_bench_sla")
        os.environ["KEHU_DATABASE_URL"] = PG_URL
    else:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / "sla.sqlite3"
        path.unlink(missing_ok=True)
        os.environ["KEHU_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ.setdefault("KEHU_PROCESS_KIND", "job")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"[{db}] migrated in {time.perf_counter() - started:.1f} s", flush=True)
    from kehu.org.models import Branch, User
    from kehu.org.services import branch_create
    from kehu.service.models import ServiceTeam, SlaEvent
    from kehu.service.sla.calendars import branch_calendar, compile_calendar
    from kehu.service.sla.clock import add_business_time, business_minutes_between
    from kehu.service.sla.services import sla_check
    from kehu.work.models import Notification

    branch = Branch.objects.filter(code="BENCH").first() or branch_create(code="BENCH", name="压测门店")
    teams, agents = [], []
    for t in range(10):
        lead = User.objects.create(username=f"lead{t}", is_active=True)  # no password: hashing is not measured
        team = ServiceTeam.objects.create(name=f"客服{t}组", branch=branch, lead=lead)
        teams.append(team)
        for a in range(5):
            agents.append((team, User.objects.create(username=f"agent{t}_{a}", is_active=True)))
    spec = compile_calendar(branch_calendar(branch))
    rng = random.Random(7)
    started = time.perf_counter()
    fill(tickets, spec, agents)
    print(f"[{db}] {tickets} open tickets written in {time.perf_counter() - started:.1f} s (set-based)", flush=True)
    first, again = [], []
    for _run in range(runs):
        SlaEvent.objects.all().delete()
        Notification.objects.filter(kind__in=["sla_warning", "sla_breach"]).delete()
        started = time.perf_counter()
        result = sla_check(now=NOW)
        first.append(time.perf_counter() - started)
        started = time.perf_counter()
        rerun = sla_check(now=NOW)
        again.append(time.perf_counter() - started)
        assert rerun.warnings == rerun.breaches == 0
    print(f"[{db}] sla-check over {tickets} open tickets: first run median {statistics.median(first):.2f} s "
          f"(all {', '.join(f'{s:.2f}' for s in first)}; warnings {result.warnings}, breaches {result.breaches}, "
          f"notifications {result.notified}); rerun median {statistics.median(again):.2f} s "
          f"(all {', '.join(f'{s:.2f}' for s in again)}; nothing new)", flush=True)
    starts = [NOW - dt.timedelta(minutes=rng.randint(0, 400 * 1440)) for _ in range(20000)]
    spans = [rng.choice([15, 240, 2400, 20000, 100000]) for _ in starts]
    started = time.perf_counter()
    ends = [add_business_time(s, m, spec) for s, m in zip(starts, spans, strict=True)]
    per_add = (time.perf_counter() - started) / len(starts) * 1e6
    started = time.perf_counter()
    for s, e in zip(starts, ends, strict=True):
        business_minutes_between(s, e, spec)
    per_between = (time.perf_counter() - started) / len(starts) * 1e6
    print(f"add_business_time {per_add:.1f} µs a call, business_minutes_between {per_between:.1f} µs a call "
          f"({len(starts)} calls, spans 15 min to 100,000 business minutes, {len(spec.exceptions)} exception days)",
          flush=True)


SLOT_MINUTES = 15


def fill(tickets: int, spec, agents) -> None:
    """Set-based: the tickets' receipt times are 15-minute slots over the last 30 days, whose due times and warning
    points (first response 4 h, resolution 40 h in business hours, warnings at 80 %) are computed once per slot in
    Python into a helper table; then one ``INSERT … SELECT`` over a number series writes the tickets (slot and agent
    drawn from the row number) and one more their ``TicketSla`` rows."""
    from django.db import connection, transaction

    from kehu.service.models import Ticket
    from kehu.service.sla.clock import add_business_time

    slots = 30 * 1440 // SLOT_MINUTES
    adapt = connection.ops.adapt_datetimefield_value
    stamp = "timestamptz" if connection.vendor == "postgresql" else "text"
    rows = []
    for slot in range(slots):
        created = NOW - dt.timedelta(minutes=slot * SLOT_MINUTES)
        rows.append([slot, *(adapt(value) for value in (
            created, add_business_time(created, 240, spec), add_business_time(created, 2400, spec),
            add_business_time(created, 192, spec), add_business_time(created, 1920, spec)))])
    team, agent = agents[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_sla_slot (slot integer PRIMARY KEY, created {stamp}, response_due {stamp}, "
                       f"resolution_due {stamp}, response_warn {stamp}, resolution_warn {stamp})")
        cursor.executemany("INSERT INTO bench_sla_slot VALUES (%s, %s, %s, %s, %s, %s)", rows)
        cursor.execute("CREATE TABLE bench_sla_agent (n integer PRIMARY KEY, team_id bigint, user_id bigint)")
        cursor.executemany("INSERT INTO bench_sla_agent VALUES (%s, %s, %s)",
                           [(n, team_.pk, user.pk) for n, (team_, user) in enumerate(agents)])
        insert_series(Ticket, Ticket(type="inquiry", channel="phone", subject="压测", caller_name="客户", team=team,
                                     assignee=agent, branch=team.branch, created_at=NOW), tickets,
                      {"created_at": "t.created", "first_response_due": "t.response_due",
                       "resolution_due": "t.resolution_due", "team_id": "a.team_id", "assignee_id": "a.user_id"},
                      joins=f"JOIN bench_sla_slot t ON t.slot = (g * 7919) %% {slots} "
                            f"JOIN bench_sla_agent a ON a.n = g %% {len(agents)}")
        cursor.execute("INSERT INTO service_ticketsla (ticket_id, tier, response_warn_at, resolution_warn_at, "
                       "computed_at) SELECT k.id, '', t.response_warn, t.resolution_warn, t.created "
                       "FROM service_ticket k JOIN bench_sla_slot t ON t.created = k.created_at")
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--child", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.tickets, options.runs)
        return 0
    status = 0
    for db in (["postgres", "sqlite"] if options.db == "both" else [options.db]):
        status |= subprocess.run([sys.executable, __file__, "--child", db, "--tickets", str(options.tickets),
                                  "--runs", str(options.runs)]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
