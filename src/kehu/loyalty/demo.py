"""Demo data of the loyalty module: the default programme with three levels and a category rule, member cards for
most person customers, and a year of points (earnings from their purchases, some redemptions), with every balance
equal to the sum of its entries. The group of stores: the group's rules, a few store promotions (applied to the
earnings in their store and weeks), a fifth of the redemptions in another store than the purchase's (so the monthly
settlement between stores has figures), two alliance partners and exchanges with them. A registered demo step,
written in bulk (a few INSERTs per 5,000 rows)."""

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
PROMOTIONS = [("周末双倍积分", Decimal("2"), 0), ("店庆加赠", Decimal("1.5"), 30), ("会员日", Decimal("1.8"), 10)]
PARTNERS = [("AIR", "东方航空里程", Decimal("0.2"), Decimal("4"), Decimal("0.05")),
            ("CINEMA", "万达电影积分", Decimal("1"), Decimal("1"), Decimal("0.01"))]


def _group_setup(programme: Any, users: dict[str, Any], rng: random.Random, now: Any) -> tuple[list[Any], list[Any]]:
    """The group's rules, three store promotions a month for a year in a few stores, two partners."""
    from kehu.org.models import Branch

    from .models import EarningRule, GroupRules, Partner

    GroupRules.objects.update_or_create(programme=programme, defaults={
        "max_multiplier": Decimal("2"), "max_bonus_points": 50, "max_days": 14, "point_value": Decimal("0.01")})
    stores = list(Branch.objects.filter(kind=Branch.Kind.STORE, is_active=True).order_by("path")[:6])
    actor = users.get("administrator") if isinstance(users, dict) else None
    promotions = []
    for month in range(12):
        for store in stores[:3]:
            name, multiplier, bonus = PROMOTIONS[(month + stores.index(store)) % len(PROMOTIONS)]
            starts = (now - dt.timedelta(days=30 * month + rng.randint(0, 20))).date()
            promotions.append(EarningRule(programme=programme, name=f"{store.name}·{name}", kind="store",
                                          branch=store, owner_branch=store, multiplier=multiplier,
                                          bonus_points=bonus, starts_on=starts, ends_on=starts + dt.timedelta(days=6),
                                          created_by=actor if getattr(actor, "pk", None) else None))
    EarningRule.objects.bulk_create(promotions)
    for code, name, out, into, value in PARTNERS:
        Partner.objects.update_or_create(code=code, defaults={
            "programme": programme, "name": name, "rate_out": out, "rate_in": into, "unit_value": value,
            "daily_limit_out": 200_000, "monthly_limit_out": 2_000_000, "daily_limit_in": 100_000})
    return promotions, [s.pk for s in stores]


def load_loyalty_demo(*, customers: list[Any], users: dict[str, Any], seed: int) -> tuple[int, int]:
    """Memberships with cards for about 70% of the person customers and their points of the last year;
    returns (members, entries)."""
    from kehu.purchases.models import Transaction

    from .models import Card, CardStatus, Level, Membership, PartnerExchange, PointsAccount, PointsEntry
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
    promotions, store_ids = _group_setup(programme, users, rng, now)
    promotion_of: dict[int, list[Any]] = defaultdict(list)
    for promotion in promotions:
        promotion_of[promotion.branch_id].append(promotion)
    partners = list(programme.partners.all())
    exchanges: list[tuple[PointsEntry, Any, int, Decimal]] = []
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
            for promotion in promotion_of.get(branch_id, ()):
                if promotion.starts_on <= occurred_at.date() <= promotion.ends_on and amount >= 0:
                    points = int((abs(amount) * promotion.multiplier).to_integral_value(rounding=ROUND_FLOOR)) \
                        + promotion.bonus_points
                    break
            kind = "earn" if amount >= 0 else "reverse"
            points = points if amount >= 0 else -min(points, balance)
            balance += points
            entries.append(PointsEntry(account_id=account.pk, customer_id=customer_id, kind=kind, points=points,
                                       balance_after=balance, transaction_id=txn_id, branch_id=branch_id,
                                       created_at=occurred_at))
            if balance >= 500 and rng.random() < 0.15:
                used = rng.choice([100, 200, 300, 500])
                balance -= used
                elsewhere = store_ids and rng.random() < 0.2  # used in another store of the group
                entries.append(PointsEntry(
                    account_id=account.pk, customer_id=customer_id, kind="redeem", points=-used,
                    balance_after=balance, branch_id=rng.choice(store_ids) if elsewhere else branch_id,
                    reason=rng.choice(REDEEM_REASONS),
                    created_at=min(now, occurred_at + dt.timedelta(days=rng.randint(1, 20)))))
            elif partners and balance >= 1000 and rng.random() < 0.03:
                partner = rng.choice(partners)
                direction = rng.choice(["out", "in"])
                points = rng.choice([200, 500, 1000])
                balance += -points if direction == "out" else points
                entry = PointsEntry(
                    account_id=account.pk, customer_id=customer_id, kind=f"exch_{direction}",
                    points=-points if direction == "out" else points, balance_after=balance, branch_id=branch_id,
                    reason=partner.name, created_at=min(now, occurred_at + dt.timedelta(days=1)))
                entries.append(entry)
                units = (Decimal(points) * partner.rate_out if direction == "out"
                         else Decimal(points) / partner.rate_in).quantize(Decimal("0.0001"))
                exchanges.append((entry, partner, points, units))
        account.balance = balance
    PointsEntry.objects.bulk_create(entries, batch_size=5000)
    PointsAccount.objects.bulk_update(accounts, ["balance"], batch_size=5000)
    PartnerExchange.objects.bulk_create([
        PartnerExchange(partner=partner, direction=entry.kind[5:], entry_id=entry.pk, customer_id=entry.customer_id,
                        points=points, units=units, rate=partner.rate_out if entry.kind == "exch_out"
                        else partner.rate_in, value=(units * partner.unit_value).quantize(Decimal("0.01")),
                        day=timezone.localtime(entry.created_at).date(), branch_id=entry.branch_id,
                        created_at=entry.created_at)
        for entry, partner, points, units in exchanges if entry.pk], batch_size=5000)
    levels_evaluate()
    return len(memberships), len(entries)
