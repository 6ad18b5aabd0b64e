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
4. Coupon use: ``--ops`` coupons of one batch issued to the card holders (``batch_issue``, set-based), then each
   used once through ``POST /api/loyalty/coupons/{code}/use`` with an ``Idempotency-Key`` by ``--clients`` threads,
   beside the same number of bare ``UPDATE loyalty_coupon SET status = 'used' … WHERE status = 'issued' RETURNING``
   on a second batch; then every client tries the same already used coupons (the 409 ``coupon_used`` path).

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
DB_NAME = os.environ.get("KEHU_BENCH_POINTS_DB", "kehu_bench_points")  # another name beside a parallel run


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
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="before the threaded runs: the queries of one redeem, earn and coupon use, and the "
                             "cProfile of N redeems and N earns by one client")
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
    if options.profile:
        profile(options.profile, admin, branch, keys[0], [card.number for card in cards], customers)
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
    coupons_bench(options, admin, branch, customers, keys, run_threads, dsn)
    return 0


def profile(count: int, admin, branch, key: str, numbers: list[str], customers) -> None:
    """The queries of one request of each kind (after a warm-up one) and the cProfile of ``count`` redeems and
    earns by one client (the 20 most expensive functions by own time)."""
    import cProfile
    import datetime as dt
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kehu.loyalty.coupons.models import Coupon
    from kehu.loyalty.coupons.services import batch_create, batch_issue

    client = Client(headers={"Authorization": f"Bearer {key}"})
    now = timezone.now()
    batch = batch_create(actor=admin, name="bench profile", kind="amount", value=5, branch=branch,
                         per_customer=100, valid_from=now - dt.timedelta(days=1),
                         valid_until=now + dt.timedelta(days=30))
    batch_issue(actor=admin, batch=batch, customer_ids=[customer.pk for customer in customers[:3 + count]])
    codes = iter(Coupon.objects.filter(batch=batch).values_list("code", flat=True))
    rng = random.Random(3)

    def redeem(_i: int) -> int:
        return client.post(f"/api/loyalty/cards/{rng.choice(numbers)}/redeem", data={"points": 1},
                           content_type="application/json").status_code

    def earn(_i: int) -> int:
        return client.post("/api/transactions", data={
            "customer_id": customers[rng.randrange(len(customers))].pk, "occurred_at": timezone.now().isoformat(),
            "amount": str(rng.randrange(1, 2000))}, content_type="application/json").status_code

    def use(i: int) -> int:
        return client.post(f"/api/loyalty/coupons/{next(codes)}/use", data={"order_ref": f"P{i}"},
                           content_type="application/json", headers={"Idempotency-Key": f"p{i}"}).status_code

    for name, call in (("redeem", redeem), ("earn", earn), ("coupon use", use)):
        call(-1)
        with CaptureQueriesContext(connection) as captured:
            status = call(-2)
        print(f"{name}: {len(captured.captured_queries)} queries (answer {status})")
        for query in captured.captured_queries:
            print(f"    {query['time']}s {query['sql'][:150]}")
    for name, call in (("redeem", redeem), ("earn", earn)):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(lambda call=call: [call(i) for i in range(count)])
        print(f"cProfile of {count} {name}s by one client: {time.perf_counter() - started:.2f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def coupons_bench(options, admin, branch, customers, keys, run_threads, dsn) -> None:
    """Coupon issue and use through the API beside bare conditional UPDATEs (part 4 of the module docstring)."""
    import datetime as dt
    import logging

    import psycopg
    from django.db import connections
    from django.test import Client
    from django.utils import timezone

    from kehu.loyalty.coupons.models import Coupon
    from kehu.loyalty.coupons.services import batch_create, batch_issue

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 409s are not news
    now = timezone.now()
    per_client = options.ops // options.clients
    wanted = per_client * options.clients
    ids = [customer.pk for customer in customers]
    batches = []
    for name in ("bench API", "bench bare"):
        batch = batch_create(actor=admin, name=name, kind="amount", value=5, branch=branch, per_customer=100,
                             valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30))
        started = time.perf_counter()
        issued = 0
        while issued < wanted:
            issued += batch_issue(actor=admin, batch=batch, customer_ids=ids[:wanted - issued])["issued"]
        seconds = time.perf_counter() - started
        print(f"coupons issued (batch_issue, set-based with timeline rows): {rate(issued, seconds)}")
        batches.append(batch)
    codes = list(Coupon.objects.filter(batch=batches[0]).order_by("id").values_list("code", flat=True))[:wanted]
    bare_codes = list(Coupon.objects.filter(batch=batches[1]).order_by("id").values_list("code", flat=True))[:wanted]
    failures: list[int] = []

    def use(index: int) -> None:
        client = Client(headers={"Authorization": f"Bearer {keys[index]}"})
        for number, code in enumerate(codes[index * per_client:(index + 1) * per_client]):
            response = client.post(f"/api/loyalty/coupons/{code}/use", data={"order_ref": f"B{index}-{number}"},
                                   content_type="application/json", headers={"Idempotency-Key": f"u{index}-{number}"})
            if response.status_code != 200:
                failures.append(response.status_code)
        connections.close_all()

    seconds = run_threads(use)
    print(f"coupon use through the API, {options.clients} clients: {rate(wanted, seconds)} "
          f"({len(failures)} unexpected answers)")

    def bare(index: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for code in bare_codes[index * per_client:(index + 1) * per_client]:
                conn.execute("UPDATE loyalty_coupon SET status = 'used', used_at = now() WHERE code = %s "
                             "AND status = 'issued' AND expires_at > now() RETURNING id", (code,)).fetchone()

    seconds = run_threads(bare)
    print(f"bare UPDATE loyalty_coupon … WHERE status = 'issued' RETURNING, {options.clients} connections: "
          f"{rate(wanted, seconds)}")
    refused: list[int] = []

    def again(index: int) -> None:
        client = Client(headers={"Authorization": f"Bearer {keys[index]}"})
        for number, code in enumerate(codes[:per_client]):  # every client the same, already used coupons
            response = client.post(f"/api/loyalty/coupons/{code}/use", data={},
                                   content_type="application/json", headers={"Idempotency-Key": f"a{index}-{number}"})
            refused.append(response.status_code)
        connections.close_all()

    seconds = run_threads(again)
    print(f"coupon use refused (409 coupon_used), {options.clients} clients on the same coupons: "
          f"{rate(len(refused), seconds)} ({sum(1 for s in refused if s != 409)} other answers)")
    used = Coupon.objects.filter(batch=batches[0], status="used").count()
    print(f"coupons of the API batch used: {used:,} of {wanted:,}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
