"""Earning points from recorded purchases (rules, accrual exactly once per transaction)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kehu.purchases.models import Transaction

from ..models import (
    EarningRule,
    EntryKind,
    PointsAccount,
    PointsEntry,
    RuleKind,
)
from .group import group_limits, promotion_clamp


def _rules_by_programme(programme_ids: Iterable[int], on: dt.date) -> dict[int, list[EarningRule]]:
    rules: dict[int, list[EarningRule]] = defaultdict(list)
    query = (EarningRule.objects.filter(programme_id__in=set(programme_ids), is_active=True)
             .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=on), Q(ends_on__isnull=True) | Q(ends_on__gte=on))
             .select_related("branch"))
    limits = group_limits(programme_ids)
    for rule in query:
        rules[rule.programme_id].append(promotion_clamp(rule, limits))
    return rules


def earning_points(*, amount: Decimal, points_per_yuan: Decimal, level_multiplier: Decimal,
                   rules: Sequence[EarningRule], category_id: int | None, product_id: int | None,
                   branch_path: str | None) -> int:
    """The points a purchase earns: whole points of amount × points per yuan × the level's multiplier × the highest
    matching rule multiplier, plus the matching bonuses, at most the lowest matching cap. A refund (a negative
    amount) gives the same figure negated (the reversal)."""
    multiplier = Decimal("1")
    bonus = 0
    cap: int | None = None
    for rule in rules:
        if rule.kind == RuleKind.CATEGORY and (category_id is None or rule.category_id != category_id):
            continue
        if rule.kind == RuleKind.PRODUCT and (product_id is None or rule.product_id != product_id):
            continue
        if rule.kind == RuleKind.STORE and rule.branch is None:
            continue
        if rule.branch is not None and (branch_path is None or not branch_path.startswith(rule.branch.path)):
            continue  # a store rule, or a store's promotion on a category: that store's subtree only
        multiplier = max(multiplier, rule.multiplier)
        bonus += rule.bonus_points
        if rule.cap_points is not None:
            cap = rule.cap_points if cap is None else min(cap, rule.cap_points)
    base = (abs(amount) * points_per_yuan * level_multiplier * multiplier).to_integral_value(rounding=ROUND_FLOOR)
    points = int(base) + bonus
    if cap is not None:
        points = min(points, cap)
    return points if amount >= 0 else -points


def accrue(*, transaction_ids: Sequence[int] | None = None, since: dt.datetime | None = None,
           batch_size: int = 5000) -> int:
    """Post the earnings (and refund reversals) of recorded purchases not accrued yet, for every points account of
    their customers whose membership began before the purchase was recorded. Set-based: one read per batch, the
    accounts locked in id order, one bulk insert of entries, one bulk update of balances. Returns entries written.

    Called by the purchases hook for the transactions just recorded (``transaction_ids``), and by
    ``kehu loyalty accrue`` / the beat job for everything else (imports' COPY path) since ``since``.
    """
    written = 0
    if transaction_ids is not None:
        ids = sorted({int(pk) for pk in transaction_ids})
        for start in range(0, len(ids), batch_size):
            # the hook runs in the purchase's transaction (and the purchases' savepoint): no savepoint of its own
            with transaction.atomic(savepoint=False):
                rows = _recorded_candidates(ids[start:start + batch_size])
                written += _accrue_rows(rows) if rows else 0
        return written
    last_id = 0
    while True:
        with transaction.atomic():
            rows, next_id = _accrual_candidates(transaction_ids=None, since=since, after_id=last_id,
                                                batch_size=batch_size)
            if next_id == last_id:
                return written
            last_id = next_id
            written += _accrue_rows(rows) if rows else 0


def _recorded_candidates(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The (account, purchase) pairs of purchases just recorded: the open accounts of their customers first (one
    read, and the only one when none is a member), then the purchases; what is accrued already is skipped under the
    accounts' locks (``_accrue_rows``)."""
    purchases = Transaction.objects.filter(id__in=list(ids))
    accounts = list(PointsAccount.objects.filter(
        customer_id__in=purchases.filter(customer_id__isnull=False).values("customer_id"),
        membership__closed_at__isnull=True).values(
        "id", "customer_id", "membership__joined_at", "membership__programme_id",
        "membership__programme__points_per_yuan", "membership__level__multiplier"))
    if not accounts:
        return []
    by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in purchases.order_by("id").values("id", "customer_id", "amount", "product_id", "product__category_id",
                                               "branch_id", "branch__path", "created_at"):
        by_customer[row["customer_id"]].append(dict(row))
    return [{"account": account, "txn": txn} for account in accounts for txn in by_customer[account["customer_id"]]
            if txn["created_at"] >= account["membership__joined_at"]]


def _accrual_candidates(*, transaction_ids: Sequence[int] | None, since: dt.datetime | None, after_id: int,
                        batch_size: int) -> tuple[list[dict[str, Any]], int]:
    # a transaction with an account of its customer that began before it was recorded and has no entry for it
    pending = PointsAccount.objects.filter(
        customer_id=OuterRef("customer_id"), membership__joined_at__lte=OuterRef("created_at"),
        membership__closed_at__isnull=True,
    ).exclude(Exists(PointsEntry.objects.filter(account_id=OuterRef("pk"), transaction_id=OuterRef(OuterRef("pk")),
                                                kind__in=[EntryKind.EARN, EntryKind.REVERSE])))
    transactions = Transaction.objects.filter(Exists(pending), id__gt=after_id)
    if transaction_ids is not None:
        transactions = transactions.filter(id__in=list(transaction_ids))
    if since is not None:
        transactions = transactions.filter(created_at__gte=since)
    transactions = transactions.order_by("id")[:batch_size]
    txn_rows: list[dict[str, Any]] = [dict(row) for row in transactions.values(
        "id", "customer_id", "amount", "product_id", "product__category_id", "branch_id", "branch__path",
        "created_at")]
    if not txn_rows:
        return [], after_id
    by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in txn_rows:
        by_customer[row["customer_id"]].append(row)
    accounts = list(PointsAccount.objects.filter(customer_id__in=list(by_customer),
                                                 membership__closed_at__isnull=True).values(
        "id", "customer_id", "membership__joined_at", "membership__programme_id",
        "membership__programme__points_per_yuan", "membership__level__multiplier"))
    existing = set(PointsEntry.objects.filter(
        account_id__in=[a["id"] for a in accounts], transaction_id__in=[r["id"] for r in txn_rows],
        kind__in=[EntryKind.EARN, EntryKind.REVERSE]).values_list("account_id", "transaction_id"))
    rows: list[dict[str, Any]] = []
    for account in accounts:
        for txn in by_customer[account["customer_id"]]:
            if txn["created_at"] < account["membership__joined_at"] or (account["id"], txn["id"]) in existing:
                continue
            rows.append({"account": account, "txn": txn})
    return rows, txn_rows[-1]["id"]


def _accrue_rows(rows: list[dict[str, Any]]) -> int:
    account_ids = sorted({row["account"]["id"] for row in rows})
    locked = {a.pk: a for a in PointsAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk")}
    # under the locks: anything another writer accrued meanwhile is skipped (the unique constraint backs this up)
    done = set(PointsEntry.objects.filter(
        account_id__in=account_ids, transaction_id__in=[row["txn"]["id"] for row in rows],
        kind__in=[EntryKind.EARN, EntryKind.REVERSE]).values_list("account_id", "transaction_id"))
    rules = _rules_by_programme({row["account"]["membership__programme_id"] for row in rows}, timezone.localdate())
    entries: list[PointsEntry] = []
    for row in rows:
        account_row, txn = row["account"], row["txn"]
        if (account_row["id"], txn["id"]) in done:
            continue
        done.add((account_row["id"], txn["id"]))
        account = locked[account_row["id"]]
        points = earning_points(
            amount=txn["amount"], points_per_yuan=account_row["membership__programme__points_per_yuan"],
            level_multiplier=account_row["membership__level__multiplier"] or Decimal("1"),
            rules=rules.get(account_row["membership__programme_id"], []), category_id=txn["product__category_id"],
            product_id=txn["product_id"], branch_path=txn["branch__path"])
        kind = EntryKind.EARN if txn["amount"] >= 0 else EntryKind.REVERSE
        if points < 0:
            points = -min(-points, account.balance)  # a reversal takes back at most what is left
        account.balance += points
        entries.append(PointsEntry(account_id=account.pk, customer_id=account.customer_id, kind=kind, points=points,
                                   balance_after=account.balance, transaction_id=txn["id"], branch_id=txn["branch_id"],
                                   reason=""))
    if not entries:
        return 0
    PointsEntry.objects.bulk_create(entries, batch_size=5000)
    changed = [locked[pk] for pk in sorted({e.account_id for e in entries})]
    _balances_write(changed)
    return len(entries)


def _balances_write(accounts: list[PointsAccount]) -> None:
    """Write the new balances of LOCKED accounts in one statement (PostgreSQL: UPDATE … FROM unnest; SQLite:
    executemany, in process): Django's ``bulk_update`` builds a CASE of every row, quadratic in the batch."""
    table = PointsAccount._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f'UPDATE "{table}" AS a SET balance = d.balance, updated_at = %s '  # noqa: S608 - our table name
                "FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, balance) WHERE a.id = d.id",
                [now, [a.pk for a in accounts], [a.balance for a in accounts]])
        else:
            cursor.executemany(f'UPDATE "{table}" SET balance = %s, updated_at = %s WHERE id = %s',  # noqa: S608
                               [(a.balance, connection.ops.adapt_datetimefield_value(now), a.pk) for a in accounts])


def accrue_on_record(*, transaction_ids: Sequence[int]) -> None:
    """The purchases hook: accrue the transactions just recorded, in their transaction."""
    accrue(transaction_ids=transaction_ids)
