"""Demo data of the loyalty module: the default programme with three levels and a category rule, member cards for
most person customers, and a year of points (earnings from their purchases, some redemptions), with every balance
equal to the sum of its entries. A registered demo step, written in bulk (a few INSERTs per 5,000 rows)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.utils import timezone

LEVELS = [("STANDARD", "普卡", 0, Decimal("0"), Decimal("1"), Decimal("0"), 0),
          ("SILVER", "银卡", 1, Decimal("5000"), Decimal("1.2"), Decimal("2"), 1),
          ("GOLD", "金卡", 2, Decimal("20000"), Decimal("1.5"), Decimal("5"), 2)]
REDEEM_REASONS = ["积分兑换礼品", "积分抵扣现金", "兑换停车券", "兑换咖啡券"]


def load_loyalty_demo(*, customers: list[Any], users: dict[str, Any], seed: int) -> tuple[int, int]:
    """Memberships with cards for about 70% of the person customers and their points of the last year;
    returns (members, entries)."""
    from kehu.purchases.models import Transaction

    from .models import Card, CardStatus, Level, Membership, PointsAccount, PointsEntry
    from .services import card_number_new, levels_evaluate, programme_default

    rng = random.Random(seed * 104729 + 7)
    now = timezone.now()
    programme = programme_default()
    for code, name, rank, spend, multiplier, discount, priority in LEVELS:
        Level.objects.update_or_create(programme=programme, code=code, defaults={
            "name": name, "rank": rank, "min_spend": spend, "multiplier": multiplier, "discount_percent": discount,
            "service_priority": priority})
    entry_level = Level.objects.get(programme=programme, code="STANDARD")
    chosen = [c for c in customers if getattr(c, "kind", "person") == "person" and rng.random() < 0.7]
    if not chosen:
        return 0, 0
    memberships = Membership.objects.bulk_create(
        [Membership(customer_id=c.pk, programme=programme, level=entry_level, level_since=now.date(),
                    joined_at=now) for c in chosen], batch_size=5000)
    by_customer = {m.customer_id: m for m in memberships}
    accounts = PointsAccount.objects.bulk_create(
        [PointsAccount(membership=m, customer_id=m.customer_id) for m in memberships], batch_size=5000)
    account_of = {a.customer_id: a for a in accounts}
    Card.objects.bulk_create(
        [Card(number=card_number_new(), kind="member", status=CardStatus.ACTIVE, membership=by_customer[c.pk],
              customer_id=c.pk, branch_id=c.branch_id, activated_at=now, status_changed_at=now) for c in chosen],
        batch_size=5000)
    since = now - dt.timedelta(days=365)
    purchases = (Transaction.objects.filter(customer_id__in=list(by_customer), occurred_at__gte=since)
                 .order_by("customer_id", "occurred_at", "id")
                 .values_list("id", "customer_id", "amount", "occurred_at", "branch_id"))
    per_customer: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in purchases.iterator(chunk_size=5000):
        per_customer[row[1]].append(row)
    entries: list[PointsEntry] = []
    for customer_id, rows in per_customer.items():
        account = account_of[customer_id]
        balance = 0
        for txn_id, _cid, amount, occurred_at, branch_id in rows:
            points = int(abs(amount).to_integral_value(rounding=ROUND_FLOOR))
            kind = "earn" if amount >= 0 else "reverse"
            points = points if amount >= 0 else -min(points, balance)
            balance += points
            entries.append(PointsEntry(account_id=account.pk, customer_id=customer_id, kind=kind, points=points,
                                       balance_after=balance, transaction_id=txn_id, branch_id=branch_id,
                                       created_at=occurred_at))
            if balance >= 500 and rng.random() < 0.15:
                used = rng.choice([100, 200, 300, 500])
                balance -= used
                entries.append(PointsEntry(
                    account_id=account.pk, customer_id=customer_id, kind="redeem", points=-used,
                    balance_after=balance, branch_id=branch_id, reason=rng.choice(REDEEM_REASONS),
                    created_at=min(now, occurred_at + dt.timedelta(days=rng.randint(1, 20)))))
        account.balance = balance
    PointsEntry.objects.bulk_create(entries, batch_size=5000)
    PointsAccount.objects.bulk_update(accounts, ["balance"], batch_size=5000)
    levels_evaluate()
    return len(memberships), len(entries)
