"""Benchmark of opportunities: the kanban board's first render and the forecast with many open opportunities.

Run: ``.venv/bin/python bench/opportunities_bench.py [--open 100000] [--closed 20000] [--leads 1000000]
[--requests 30] [--runs 3] [--db both] [--pg-database kehu_bench_opportunities]``

On PostgreSQL (database ``--pg-database``, default ``kehu_bench_opportunities``) and/or SQLite
(``var/bench_opportunities.sqlite3``), never the development or test databases, holding ``--open`` open and
``--closed`` won/lost opportunities (one product line each) over four branches, 20 account managers and 20,000
customers, and ``--leads`` leads of those sellers and branches (30 % new, 20 % contacted, 10 % qualified, 20 %
converted, 10 % disqualified, 10 % in the pool; written set-based by ``INSERT … SELECT`` over a number series). The
databases are kept: a later run adds only the missing rows, so re-measuring does not regenerate anything. In
process, ``--runs`` runs of ``--requests`` calls each (the medians over the runs of each run's p50 and p99):

1. the board ``/sales/board/`` (first render: column totals and the first 20 cards per column) through the Django
   test client, for an administrator (everything), a branch manager (a quarter) and an account manager;
2. the forecast query (``forecast.forecast``: by month, owner, branch, product, the headline, funnel and rates) and
   the whole ``/sales/forecast/`` page, for the same users;
3. on PostgreSQL, the floor: the same SQL statements as the forecast query and the board's selector, replayed
   through a bare cursor (no ORM, no Python figures, no template).

The target is a p99 under 300 ms. The peers: Odoo's sales dashboard takes 50 s at 50,000 opportunities.
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
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))

from common import percentile  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = os.environ.get("KEHU_BENCH_PG_DATABASE", "kehu_bench_opportunities")  # one per parallel worktree
SQLITE_PATH = ROOT / "var" / "bench_opportunities.sqlite3"


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True,
                         connect_timeout=3) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone():
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def load_leads(count: int, sellers: list) -> None:
    """``count`` leads in all (the missing ones inserted set-based: ``insert_series``), spread over the sellers and
    their branches: 30 % new, 20 % contacted, 10 % qualified, 20 % converted, 10 % disqualified, 10 % in the pool
    (new, no owner); distinct mobiles, a third with an e-mail, a company for half."""
    from common import insert_series
    from django.db import connection
    from django.utils import timezone

    from kehu.sales.models import Lead

    stored = Lead.objects.count()
    if stored >= count:
        return
    started = time.perf_counter()
    now = timezone.now()
    homes = [seller.branches.values_list("pk", flat=True)[0] for seller in sellers]
    slots = " UNION ALL ".join(f"SELECT {slot} AS slot, {seller.pk} AS owner_id, {home} AS branch_id"
                               for slot, (seller, home) in enumerate(zip(sellers, homes, strict=True)))
    first = stored
    if connection.vendor == "postgresql":
        number, days_ago = f"lpad((g + {first})::text, 8, '0')", "now() - (g %% {}) * interval '1 day'"
    else:
        number, days_ago = f"printf('%%08d', g + {first})", "datetime('now', '-' || (g %% {}) || ' days')"
    status = ("CASE WHEN g %% 10 < 3 OR g %% 10 = 9 THEN 'new' WHEN g %% 10 < 5 THEN 'contacted' "
              "WHEN g %% 10 = 5 THEN 'qualified' WHEN g %% 10 < 8 THEN 'converted' ELSE 'disqualified' END")
    insert_series(Lead, Lead(name="", branch_id=sellers[0].branches.values_list("pk", flat=True)[0],
                             source="phone", created_at=now), count - stored, {
        "name": f"'线索' || (g + {first})",
        "mobile": f"'+86158' || {number}",
        "email": f"CASE WHEN g %% 3 = 0 THEN 'l' || (g + {first}) || '@example.com' ELSE '' END",
        "company": f"CASE WHEN g %% 2 = 0 THEN '公司' || ((g + {first}) %% 5000) ELSE '' END",
        "status": status,
        "disqualify_reason": "CASE WHEN g %% 10 = 8 THEN 'no_need' ELSE '' END",
        "owner_id": "CASE WHEN g %% 10 = 9 THEN NULL ELSE t.owner_id END",
        "branch_id": "t.branch_id",
        "assigned_at": f"CASE WHEN g %% 10 = 9 THEN NULL ELSE {days_ago.format(300)} END",
        "pooled_at": f"CASE WHEN g %% 10 = 9 THEN {days_ago.format(30)} ELSE NULL END",
        "worked_at": days_ago.format(40),
        "created_at": days_ago.format(360),
    }, joins=f"JOIN ({slots}) t ON t.slot = g %% {len(sellers)}")
    print(f"loaded {count - stored:,} leads in {time.perf_counter() - started:.1f} s")


def load(open_count: int, closed_count: int, lead_count: int = 0) -> dict:
    import generate
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.org.models import Branch, User
    from kehu.org.services import staff_create
    from kehu.purchases.models import Product
    from kehu.sales.models import LossReason, Opportunity, OpportunityLine, StageKind
    from kehu.sales.opportunities.selectors import default_pipeline, pipeline_stages

    call_command("migrate", verbosity=0, interactive=False)
    codes = generate.ensure_bench_branches()
    branches = list(Branch.objects.filter(code__in=codes).order_by("code"))
    users: dict[str, list] = {"sellers": [], "managers": []}
    for number, branch in enumerate(branches):
        for seat in range(5):
            name = f"bench_am_{number}_{seat}"
            users["sellers"].append(User.objects.filter(username=name).first() or staff_create(
                username=name, password="Kehu-bench-pass-1", roles=["account_manager"], branches=[branch]))
        name = f"bench_bm_{number}"
        users["managers"].append(User.objects.filter(username=name).first() or staff_create(
            username=name, password="Kehu-bench-pass-1", roles=["branch_manager"], branches=[branch]))
    users["admin"] = [User.objects.filter(username="bench_admin").first() or staff_create(
        username="bench_admin", password="Kehu-bench-pass-1", roles=["administrator"], branches=[branches[0]])]
    load_leads(lead_count, users["sellers"])
    if Customer.objects.count() < 20_000:
        Customer.objects.bulk_create([Customer(code=f"OC{index:08d}", name=f"客户{index}",
                                               branch=branches[index % len(branches)]) for index in range(20_000)],
                                     batch_size=5000)
    products = list(Product.objects.filter(is_active=True)[:20])
    if len(products) < 20:
        Product.objects.bulk_create([Product(sku=f"OPP-{index}", name=f"产品{index}", list_price=Decimal(1000 + index))
                                     for index in range(20)], ignore_conflicts=True)
        products = list(Product.objects.filter(sku__startswith="OPP-"))
    pipeline = default_pipeline()
    stages = pipeline_stages(pipeline.pk)
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    won = next(stage for stage in stages if stage.kind == StageKind.WON)
    lost = next(stage for stage in stages if stage.kind == StageKind.LOST)
    reason = LossReason.objects.first()
    stored_open = Opportunity.objects.filter(status="open").count()
    stored_closed = Opportunity.objects.exclude(status="open").count()
    wanted = [("open", max(0, open_count - stored_open)), ("closed", max(0, closed_count - stored_closed))]
    if any(count for _kind, count in wanted):
        started = time.perf_counter()
        rng = random.Random(17)
        customers = list(Customer.objects.order_by("pk").values_list("pk", "branch_id")[:20_000])
        by_branch: dict[int, list] = {}
        for seller in users["sellers"]:
            by_branch.setdefault(seller.branches.values_list("pk", flat=True)[0], []).append(seller.pk)
        today = timezone.localdate()
        now = timezone.now()
        for kind, count in wanted:
            for first in range(0, count, 10_000):
                batch, lines = [], []
                for _index in range(first, min(count, first + 10_000)):
                    customer_id, branch_id = rng.choice(customers)
                    product = rng.choice(products)
                    quantity = rng.randint(1, 20)
                    amount = Decimal(quantity) * product.list_price
                    created = now - dt.timedelta(days=rng.randint(0, 360))
                    if kind == "open":
                        stage = rng.choice(open_stages)
                        status, closed_at, loss = "open", None, None
                    else:
                        stage = won if rng.random() < 0.4 else lost
                        status = "won" if stage == won else "lost"
                        closed_at = min(now, created + dt.timedelta(days=rng.randint(5, 120)))
                        loss = reason if status == "lost" else None
                    batch.append(Opportunity(
                        name=f"机会{customer_id}", customer_id=customer_id, owner_id=rng.choice(by_branch[branch_id]),
                        branch_id=branch_id, pipeline=pipeline, stage=stage, probability=stage.probability,
                        amount=amount, expected_close=today + dt.timedelta(days=rng.randint(-30, 330)),
                        committed=rng.random() < 0.2, status=status, loss_reason=loss, closed_at=closed_at,
                        cycle_days=(closed_at - created).days if closed_at else None,
                        reached_order=rng.choice(open_stages).order, stage_entered_at=created, created_at=created))
                    lines.append((product.pk, quantity, product.list_price, amount))
                written = Opportunity.objects.bulk_create(batch)
                OpportunityLine.objects.bulk_create([
                    OpportunityLine(opportunity_id=row.pk, product_id=line[0], quantity=line[1], unit_price=line[2],
                                    amount=line[3]) for row, line in zip(written, lines, strict=True)])
        print(f"loaded {sum(count for _kind, count in wanted):,} opportunities in "
              f"{time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE sales_opportunity; ANALYZE sales_opportunityline; ANALYZE customers_customer; "
                           "ANALYZE org_user; ANALYZE sales_lead")
        else:
            cursor.execute("ANALYZE")
    return users


def _get(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 200


def measure(name: str, role: str, options: argparse.Namespace, call) -> None:  # type: ignore[no-untyped-def]
    """``--runs`` runs of ``--requests`` calls: the median over the runs of each run's p50 and p99."""
    p50s, p99s = [], []
    for _run in range(options.runs):
        timings = []
        for _request in range(options.requests):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        p50s.append(statistics.median(timings))
        p99s.append(percentile(timings, 0.99))
    print(f"  {name:<22} {role:<16} p50 {1000 * statistics.median(p50s):.1f} ms, p99 "
          f"{1000 * statistics.median(p99s):.1f} ms (median of {options.runs} runs of {options.requests}; p99 of "
          f"the runs {', '.join(f'{1000 * value:.0f}' for value in p99s)} ms)", flush=True)


def captured(call) -> list[str]:  # type: ignore[no-untyped-def]
    """The SQL statements ``call`` runs (their parameters in place: PostgreSQL's own rendering)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return [query["sql"] for query in queries.captured_queries]


def replay(statements: list[str]) -> None:
    """The floor: the same statements through a bare cursor, rows fetched, no ORM and no Python figures."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def run(options: argparse.Namespace, database: str) -> int:
    if database == "pg":
        global PG_DATABASE
        PG_DATABASE = options.pg_database
        ensure_database()
        url = f"{PG_SERVER}/{PG_DATABASE}"
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("KEHU_DB_STATEMENT_TIMEOUT_MS", "0")  # the leads' set-based insert
    os.environ.update({"KEHU_DATABASE_URL": url, "KEHU_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kehu.settings",
                       "KEHU_VAR_DIR": str(ROOT / "var")})
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from kehu.sales.opportunities.forecast import forecast

    settings.ALLOWED_HOSTS = ["*"]
    users = load(options.open, options.closed, options.leads)
    label = "PostgreSQL" if database == "pg" else "SQLite"
    from kehu.sales.models import Lead, Opportunity

    stored = {"open": Opportunity.objects.filter(status="open").count(),
              "closed": Opportunity.objects.exclude(status="open").count(), "leads": Lead.objects.count()}
    print(f"{label}, {stored['open']:,} open and {stored['closed']:,} closed opportunities, {stored['leads']:,} "
          f"leads, 4 branches, 20 sellers; {os.cpu_count()} cores, load average "
          f"{' / '.join(f'{value:.1f}' for value in os.getloadavg())}")
    for role, user in (("administrator", users["admin"][0]), ("branch manager", users["managers"][0]),
                       ("account manager", users["sellers"][0])):
        client = Client()
        client.force_login(user)
        pages = [("board first render", "/sales/board/"), ("forecast page", "/sales/forecast/")]
        for name, path in pages[:1] if options.board_only else pages:
            assert client.get(path).status_code == 200  # warm
            measure(name, role, options, lambda path=path, client=client: _get(client, path))
        if options.board_only:
            continue
        measure("forecast query", role, options, lambda user=user: forecast(user=user))
        if database == "pg":
            statements = captured(lambda user=user: forecast(user=user))
            measure("forecast bare SQL", role, options, lambda statements=statements: replay(statements))
    if database == "pg":
        from kehu.sales.opportunities.selectors import board, default_pipeline
        from kehu.sales.opportunities.views import _closed_since

        for role, user in (("administrator", users["admin"][0]), ("branch manager", users["managers"][0]),
                           ("account manager", users["sellers"][0])):
            statements = captured(lambda user=user: board(user=user, pipeline=default_pipeline(),
                                                          closed_since=_closed_since()))
            measure("board bare SQL", role, options, lambda statements=statements: replay(statements))
    print(f"load average at the end {' / '.join(f'{value:.1f}' for value in os.getloadavg())}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=20_000)
    parser.add_argument("--leads", type=int, default=0, help="leads present beside the opportunities")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3, help="runs of --requests calls (medians over the runs)")
    parser.add_argument("--db", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--pg-database", default=PG_DATABASE,
                        help="the PostgreSQL database (kept between runs: only missing rows are added)")
    parser.add_argument("--board-only", action="store_true", help="the board alone, not the forecast")
    options = parser.parse_args()
    if options.db != "both":
        return run(options, options.db)
    status = 0
    for database in ("pg", "sqlite"):  # one process each: Django is set up once per process
        command = [sys.executable, __file__, "--open", str(options.open), "--closed", str(options.closed),
                   "--leads", str(options.leads), "--pg-database", options.pg_database,
                   "--requests", str(options.requests), "--runs", str(options.runs), "--db", database,
                   *(["--board-only"] if options.board_only else [])]
        status |= subprocess.call(command)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
