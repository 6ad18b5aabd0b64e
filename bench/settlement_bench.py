"""Benchmark the settlement between stores and stored-value transfers on PostgreSQL, in a dedicated database
``kehu_bench_settlement``.

Run: ``.venv/bin/python bench/settlement_bench.py --accounts 20000 --entries 500000 --clients 8 --ops 800``

1. ``--entries`` points entries of ``--accounts`` members over twelve months, written in bulk: earnings in one of
   six stores, a quarter of them followed by a redemption in a random store (balances kept, ledger exact).
2. ``store_settlement`` (what ``kehu loyalty settle`` and the page compute) for one month: the median of 3 runs,
   with the number of entries it streamed.
3. Stored-value transfers through the real API with ``--clients`` threads between random pairs of cards (both
   accounts locked in id order), then ``reconcile_stored_value``.

Figures are printed, nothing is asserted. Never touches the development or test databases.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "kehu_bench_settlement"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=500_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--ops", type=int, default=800, help="transfers over all clients")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from common import recreate_postgres_database

    if not recreate_postgres_database(SERVER, DB_NAME):
        return 1
    os.environ["KEHU_DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    os.environ.setdefault("KEHU_DEBUG", "1")
    os.environ["KEHU_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connections
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from kehu.customers.models import Customer
    from kehu.loyalty.models import Card, Membership, PointsAccount, PointsEntry, StoredValueAccount, StoredValueEntry
    from kehu.loyalty.services import card_number_new, programme_default, reconcile, reconcile_stored_value
    from kehu.loyalty.settlement import store_settlement
    from kehu.org.services import api_token_create, branch_create, staff_create

    rng = random.Random(11)
    group = branch_create(code="G", name="集团", kind="group")
    stores = [branch_create(code=f"S{i}", name=f"门店{i}", parent=group) for i in range(6)]
    admin = staff_create(username="bench", password="Bench-pass-123", roles=["administrator"], branches=[group],
                         display_name="bench")
    customers = Customer.objects.bulk_create(
        [Customer(code=f"C{i:07d}", name=f"会员{i}", branch=stores[i % 6]) for i in range(options.accounts)],
        batch_size=5000)
    programme = programme_default()
    memberships = Membership.objects.bulk_create(
        [Membership(customer=c, programme=programme) for c in customers], batch_size=5000)
    accounts = PointsAccount.objects.bulk_create(
        [PointsAccount(membership=m, customer_id=m.customer_id) for m in memberships], batch_size=5000)
    cards = Card.objects.bulk_create(
        [Card(number=card_number_new(), membership=m, customer_id=m.customer_id, status="active")
         for m in memberships], batch_size=5000)
    now = timezone.now()
    started = time.perf_counter()
    balances = [0] * len(accounts)
    batch: list[PointsEntry] = []
    written = 0
    for index in range(options.entries):
        slot = rng.randrange(len(accounts))
        account = accounts[slot]
        when = now - dt.timedelta(minutes=525_600 * (options.entries - index) // options.entries)
        if balances[slot] >= 100 and rng.random() < 0.25:
            points = -rng.randrange(10, balances[slot] // 2 + 10)
            kind = "redeem"
        else:
            points, kind = rng.randrange(1, 500), "earn"
        balances[slot] += points
        batch.append(PointsEntry(account_id=account.pk, customer_id=account.customer_id, kind=kind, points=points,
                                 balance_after=balances[slot], branch_id=rng.choice(stores).pk, created_at=when))
        if len(batch) == 20_000:
            PointsEntry.objects.bulk_create(batch, batch_size=5000)
            written += len(batch)
            batch = []
    PointsEntry.objects.bulk_create(batch, batch_size=5000)
    for account, balance in zip(accounts, balances, strict=True):
        account.balance = balance
    PointsAccount.objects.bulk_update(accounts, ["balance"], batch_size=5000)
    print(f"written {options.entries:,} entries of {options.accounts:,} accounts in "
          f"{time.perf_counter() - started:.1f} s (PostgreSQL, {os.cpu_count()} cores); "
          f"{len(reconcile())} differences")

    period = (now - dt.timedelta(days=45)).strftime("%Y-%m")
    runs = []
    for _run in range(3):
        began = time.perf_counter()
        statement = store_settlement(period=period)
        runs.append(time.perf_counter() - began)
    print(f"store_settlement {period}: median {statistics.median(runs):.2f} s of 3 "
          f"({statement.redeemed_points:,} points redeemed, {len(statement.pairs)} store pairs)")

    StoredValueAccount.objects.bulk_create(
        [StoredValueAccount(card=card, customer_id=card.customer_id, balance=Decimal("100.00")) for card in cards],
        batch_size=5000)
    StoredValueEntry.objects.bulk_create(
        [StoredValueEntry(account=a, customer_id=a.customer_id, kind="top_up", amount=Decimal("100.00"),
                          balance_after=Decimal("100.00")) for a in StoredValueAccount.objects.all()],
        batch_size=5000)
    keys = [api_token_create(user=admin, name=f"till {i}")[1] for i in range(options.clients)]
    numbers = [card.number for card in cards[:200]]  # 200 cards: contention on the same rows
    per_client = options.ops // options.clients
    answers: list[int] = []

    def transfer(index: int) -> None:
        client = Client(headers={"Authorization": f"Bearer {keys[index]}"})
        local = random.Random(index)
        for _i in range(per_client):
            source, target = local.sample(numbers, 2)
            answers.append(client.post(f"/api/loyalty/cards/{source}/transfer",
                                       data={"to": target, "amount": "1.50"},
                                       content_type="application/json").status_code)
        connections.close_all()

    threads = [threading.Thread(target=transfer, args=(i,)) for i in range(options.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    print(f"transfers through the API, {options.clients} clients over 200 cards: {len(answers):,} in "
          f"{seconds:.2f} s = {len(answers) / seconds:,.0f}/s ({answers.count(200)} done, "
          f"{len(answers) - answers.count(200)} other answers); {len(reconcile_stored_value())} differences")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
