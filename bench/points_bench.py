"""Benchmark the points ledger (``kehu bench points``) on PostgreSQL, in a dedicated database ``kehu_bench_points``.

Run: ``.venv/bin/python bench/points_bench.py --customers 5000 --transactions 200000 --clients 8 --ops 1600``

1. Accrual: ``--transactions`` purchases of ``--customers`` card holders written without the hook (as the import's
   COPY path does), then ``kehu loyalty accrue``'s service over all of them (set-based, batches of 5,000).
2. ``kehu loyalty reconcile``'s query over the resulting entries.
3. Counter throughput with ``--clients`` threads: redemptions of 1 point through the real API (Django's test client
   in process: routing, token authentication, the service, the row lock), spread over the card holders, beside the
   same number of bare ``UPDATE … SET balance = balance - 1 … RETURNING`` statements on the same rows (psycopg, one
   connection per thread): the floor the API's ledger write is compared with. Then earnings through
   ``POST /api/transactions`` (the purchase, its timeline row and its accrual).

Figures are printed, nothing is asserted. Never touches the development or test databases.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "kehu_bench_points"


def setup_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DB_NAME}")
    os.environ["KEHU_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ["KEHU_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rate(count: int, seconds: float) -> str:
    return f"{count:,} in {seconds:.2f} s = {count / seconds:,.0f}/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--ops", type=int, default=1600, help="API operations per kind, over all clients")
    options = parser.parse_args(argv)
    setup_database()

    import datetime as dt
    from decimal import Decimal

    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.loyalty.models import Card, Membership, PointsAccount, PointsEntry
    from kehu.loyalty.services import accrue, card_number_new, programme_default, reconcile
    from kehu.org.services import api_token_create, branch_create, staff_create
    from kehu.purchases.models import Transaction

    rng = random.Random(7)
    branch = branch_create(code="B1", name="总店", kind="group")
    admin = staff_create(username="bench", password="Bench-pass-123", roles=["administrator"], branches=[branch],
                         display_name="bench")
    customers = Customer.objects.bulk_create(
        [Customer(code=f"C{i:07d}", name=f"会员{i}", branch=branch) for i in range(options.customers)],
        batch_size=5000)
    programme = programme_default()
    joined = timezone.now() - dt.timedelta(days=1)
    memberships = Membership.objects.bulk_create(
        [Membership(customer=c, programme=programme, joined_at=joined) for c in customers], batch_size=5000)
    accounts = PointsAccount.objects.bulk_create(
        [PointsAccount(membership=m, customer_id=m.customer_id) for m in memberships], batch_size=5000)
    cards = Card.objects.bulk_create(
        [Card(number=card_number_new(), membership=m, customer_id=m.customer_id, status="active")
         for m in memberships], batch_size=5000)
    now = timezone.now()
    started = time.perf_counter()
    for start in range(0, options.transactions, 20_000):
        Transaction.objects.bulk_create(
            [Transaction(customer_id=customers[rng.randrange(len(customers))].pk, branch=branch,
                         occurred_at=now - dt.timedelta(minutes=rng.randrange(100_000)),
                         amount=Decimal(rng.randrange(100, 200_000)) / 100)
             for _i in range(min(20_000, options.transactions - start))], batch_size=5000)
    print(f"written {options.transactions:,} purchases of {options.customers:,} card holders without the hook "
          f"in {time.perf_counter() - started:.1f} s (PostgreSQL, {os.cpu_count()} cores)")

    started = time.perf_counter()
    written = accrue()
    print(f"accrual (kehu loyalty accrue): {rate(written, time.perf_counter() - started)} entries")
    started = time.perf_counter()
    assert accrue() == 0
    print(f"accrual again (nothing pending): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    differences = reconcile()
    print(f"reconcile over {PointsEntry.objects.count():,} entries / {len(accounts):,} accounts: "
          f"{time.perf_counter() - started:.2f} s, {len(differences)} differences")

    keys = [api_token_create(user=admin, name=f"till {i}")[1] for i in range(options.clients)]
    per_client = options.ops // options.clients
    numbers = [card.number for card in cards]
    account_ids = [account.pk for account in accounts]

    def run_threads(target) -> float:
        threads = [threading.Thread(target=target, args=(i,)) for i in range(options.clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - began

    failures: list[int] = []

    def redeem(index: int) -> None:
        client = Client(headers={"Authorization": f"Bearer {keys[index]}"})
        local = random.Random(index)
        for _i in range(per_client):
            response = client.post(f"/api/loyalty/cards/{local.choice(numbers)}/redeem", data={"points": 1},
                                   content_type="application/json")
            if response.status_code not in (200, 409):
                failures.append(response.status_code)
        connections.close_all()

    seconds = run_threads(redeem)
    print(f"redeem through the API, {options.clients} clients: {rate(per_client * options.clients, seconds)} "
          f"({len(failures)} unexpected answers)")

    import psycopg

    url = settings.DATABASES["default"]
    dsn = f"postgresql://{url['USER']}@{url['HOST']}:{url['PORT']}/{url['NAME']}"

    def bare(index: int) -> None:
        local = random.Random(index)
        with psycopg.connect(dsn, autocommit=True) as conn:
            for _i in range(per_client):
                conn.execute("UPDATE loyalty_pointsaccount SET balance = balance - 1 WHERE id = %s AND balance >= 1 "
                             "RETURNING balance", (local.choice(account_ids),)).fetchone()

    seconds = run_threads(bare)
    print(f"bare UPDATE … RETURNING, {options.clients} connections: {rate(per_client * options.clients, seconds)}")
    # put the ledger right again after the bare updates (they bypassed it on purpose)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE loyalty_pointsaccount a SET balance = COALESCE((SELECT SUM(points) FROM "
                       "loyalty_pointsentry e WHERE e.account_id = a.id), 0)")

    def earn(index: int) -> None:
        client = Client(headers={"Authorization": f"Bearer {keys[index]}"})
        local = random.Random(100 + index)
        for _i in range(per_client):
            response = client.post("/api/transactions", data={
                "customer_id": customers[local.randrange(len(customers))].pk,
                "occurred_at": timezone.now().isoformat(), "amount": str(local.randrange(1, 2000))},
                content_type="application/json")
            if response.status_code != 201:
                failures.append(response.status_code)
        connections.close_all()

    seconds = run_threads(earn)
    print(f"earn through POST /api/transactions, {options.clients} clients: "
          f"{rate(per_client * options.clients, seconds)} ({len(failures)} unexpected answers)")
    print(f"reconcile afterwards: {len(reconcile())} differences")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
