"""Benchmark of leads: duplicate matching on create, the lead list, claims and the pool's return job.

Run: ``.venv/bin/python bench/leads_bench.py [--customers 100000] [--leads 200000] [--probes 500]``

On PostgreSQL (database ``kehu_bench_leads``, never the development or test databases), holding ``--customers``
customers and ``--leads`` leads over four branches (bulk-inserted when there are fewer), in process:

1. duplicate matching of one prospect (``selectors.lead_matches``: customers and open leads by mobile, e-mail and
   credit code, leads by name + company), a mix of prospects matching a customer, matching a lead and new: p50/p99;
2. ``services.lead_create`` of new prospects (matching, round-robin with caps, the timeline rows): p50/p99 and
   leads/s;
3. the lead list's first page with its count, for a branch manager and an account manager, unfiltered and searched:
   p50/p99;
4. ``leads_return_to_pool`` with 10 % of the leads idle, then a second run (which finds nothing).

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))

from common import percentile  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "kehu_bench_leads"


def ms(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):.2f} ms, p99 {1000 * percentile(values, 0.99):.2f} ms "
            f"({len(values)} runs)")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True,
                         connect_timeout=3) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone():
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def mobile(index: int, base: int) -> str:
    return f"+861{base}{index:08d}"


def load(customers: int, leads: int) -> dict:
    import generate
    from django.core.management import call_command
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.org.models import Branch, User
    from kehu.org.services import staff_create
    from kehu.sales.models import Lead

    call_command("migrate", verbosity=0, interactive=False)
    codes = generate.ensure_bench_branches()
    branches = list(Branch.objects.filter(code__in=codes).order_by("code"))
    users: dict[str, list] = {"sellers": [], "managers": []}
    for number, branch in enumerate(branches):
        for seat in range(5):
            name = f"bench_am_{number}_{seat}"
            user = User.objects.filter(username=name).first() or staff_create(
                username=name, password="Kehu-bench-pass-1", roles=["account_manager"], branches=[branch])
            users["sellers"].append(user)
        name = f"bench_bm_{number}"
        users["managers"].append(User.objects.filter(username=name).first() or staff_create(
            username=name, password="Kehu-bench-pass-1", roles=["branch_manager"], branches=[branch]))
    stored = Customer.objects.count()
    if stored < customers:
        started = time.perf_counter()
        batch = []
        for index in range(stored, customers):
            batch.append(Customer(code=f"BC{index:09d}", name=f"客户{index}", mobile=mobile(index, 39),
                                  email=f"c{index}@example.com", branch=branches[index % len(branches)]))
            if len(batch) == 10_000:
                Customer.objects.bulk_create(batch)
                batch = []
        Customer.objects.bulk_create(batch)
        print(f"loaded {customers - stored:,} customers in {time.perf_counter() - started:.1f} s")
    stored = Lead.objects.count()
    if stored < leads:
        started = time.perf_counter()
        now = timezone.now()
        rng = random.Random(7)
        home = {seller.pk: seller.branches.values_list("pk", flat=True)[0] for seller in users["sellers"]}
        batch = []
        for index in range(stored, leads):
            seller = users["sellers"][index % len(users["sellers"])]
            batch.append(Lead(name=f"线索{index}", company=f"公司{index % 5000}", mobile=mobile(index, 58),
                              email=f"l{index}@example.com" if index % 3 == 0 else "",
                              status=rng.choice(["new", "contacted", "qualified"]), owner=seller,
                              branch_id=home[seller.pk], assigned_at=now,
                              worked_at=now, source="phone"))
            if len(batch) == 10_000:
                Lead.objects.bulk_create(batch)
                batch = []
        Lead.objects.bulk_create(batch)
        print(f"loaded {leads - stored:,} leads in {time.perf_counter() - started:.1f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer; ANALYZE sales_lead")
    return users


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--probes", type=int, default=500)
    options = parser.parse_args()
    ensure_database()
    os.environ.update({"KEHU_DATABASE_URL": f"{PG_SERVER}/{PG_DATABASE}", "KEHU_DEBUG": "1",
                       "DJANGO_SETTINGS_MODULE": "kehu.settings", "KEHU_VAR_DIR": str(ROOT / "var")})
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from kehu.sales import selectors, services
    from kehu.sales.models import AssignmentRule, Lead

    users = load(options.customers, options.leads)
    seller, manager = users["sellers"][0], users["managers"][0]
    rng = random.Random(11)
    print(f"PostgreSQL, {options.customers:,} customers, {options.leads:,} leads, 4 branches")

    timings: list[float] = []
    for probe in range(options.probes):
        kind = probe % 3
        number = rng.randrange(options.customers if kind == 0 else options.leads)
        phone = mobile(number, 39) if kind == 0 else mobile(number, 58) if kind == 1 else mobile(number, 77)
        started = time.perf_counter()
        selectors.lead_matches(user=seller, name="某人", mobile=phone, email=f"x{number}@example.com",
                               company="某公司")
        timings.append(time.perf_counter() - started)
    print(f"duplicate matching of one prospect: {ms(timings)}")

    AssignmentRule.objects.filter(branch__in=manager.branches.all()).update(cap=10**9)
    timings = []
    created: list[int] = []
    started_all = time.perf_counter()
    for probe in range(options.probes):
        started = time.perf_counter()
        lead = services.lead_create(actor=manager, name=f"新线索{probe}", mobile=mobile(probe + rng.randrange(10**6),
                                                                                       66))
        timings.append(time.perf_counter() - started)
        created.append(lead.pk)
    total = time.perf_counter() - started_all
    print(f"lead_create (matching, round-robin, timeline): {ms(timings)}; {options.probes / total:.0f} leads/s")
    Lead.objects.filter(pk__in=created).delete()

    for who, user in (("branch manager", manager), ("account manager", seller)):
        for label, query in (("first page", ""), ("search", "线索12")):
            timings = []
            for _run in range(30):
                started = time.perf_counter()
                leads = selectors.lead_list(user=user, q=query)
                leads.order_by().count()
                list(leads[:25])
                timings.append(time.perf_counter() - started)
            print(f"lead list, {who}, {label} with count: {ms(timings)}")

    idle = list(Lead.objects.filter(owner__isnull=False).order_by("?").values_list("pk", flat=True)[
        : options.leads // 10])
    with transaction.atomic():
        Lead.objects.filter(pk__in=idle).update(worked_at=timezone.now() - dt.timedelta(days=60))
    started = time.perf_counter()
    returned = services.leads_return_to_pool()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = services.leads_return_to_pool()
    second = time.perf_counter() - started
    print(f"leads_return_to_pool: {returned:,} returned in {first:.2f} s; second run {again} in {second:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
