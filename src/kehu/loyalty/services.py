"""Every write of the loyalty module: programmes, memberships, cards, the points ledger, level evaluation.

The points ledger's discipline: every change is one ``PointsEntry`` (append-only) written together with the
account's new ``balance`` in one database transaction, after ``select_for_update`` on the account row, so
concurrent writers queue on the row and the balance always equals the sum of the entries and is never negative
(a check constraint backs this up). Earning from purchases is exactly once per (account, transaction, kind): the
accrual locks the accounts first, skips transactions that already have an entry and a unique constraint is the
last guard.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DecimalField, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import luhn

from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import Branch, User
from kehu.purchases.models import Transaction

from .models import (
    AdjustmentStatus,
    Card,
    CardKind,
    CardStatus,
    EarningRule,
    EntryKind,
    Level,
    LevelChange,
    Membership,
    PointsAccount,
    PointsAdjustment,
    PointsEntry,
    Programme,
    RuleKind,
    StoredValueAccount,
    StoredValueEntry,
    StoredValueKind,
)

CARD_PREFIX = "6288"
POINTS_MAX = 10**12  # larger amounts of points in one request are refused (a typing error or an attack)
DEFAULT_PROGRAMME_CODE = "DEFAULT"


class InsufficientPointsError(Exception):
    """A redemption asked for more points than the balance (HTTP 409 ``insufficient_points``)."""

    def __init__(self, balance: int) -> None:
        super().__init__(_("Not enough points: the balance is %(balance)s.") % {"balance": balance})
        self.balance = balance


# --- programmes and memberships ---------------------------------------------------------------------------------


def programme_default() -> Programme:
    """The default programme, created with one entry level on first use: 1 point per whole yuan."""
    programme = Programme.objects.filter(is_default=True).first()
    if programme is not None:
        return programme
    try:
        with transaction.atomic():
            programme = Programme.objects.create(code=DEFAULT_PROGRAMME_CODE, name="会员计划", is_default=True,
                                                 points_per_yuan=Decimal("1"))
            Level.objects.create(programme=programme, code="STANDARD", name="普卡", rank=0)
    except IntegrityError:  # a concurrent first use created it
        programme = Programme.objects.get(is_default=True)
    return programme


@transaction.atomic
def level_save(*, actor: User, programme: Programme, code: str, name: str, rank: int,
               min_spend: Decimal = Decimal("0"), min_points: int = 0, multiplier: Decimal = Decimal("1"),
               discount_percent: Decimal = Decimal("0"), service_priority: int = 0) -> Level:
    """Create or change (by ``code``) a level of a programme (administrators)."""
    if not actor.has_perm("loyalty.change_programme"):
        raise PermissionDenied(_("You do not have permission to configure loyalty programmes."))
    level = Level.objects.filter(programme=programme, code=code).first() or Level(programme=programme, code=code)
    level.name, level.rank, level.min_spend, level.min_points = name, rank, min_spend, min_points
    level.multiplier, level.discount_percent, level.service_priority = multiplier, discount_percent, service_priority
    level.full_clean()
    level.save()
    return level


def _entry_level(programme: Programme) -> Level | None:
    return Level.objects.filter(programme=programme).order_by("rank").first()


def membership_ensure(*, customer: Customer, programme: Programme) -> Membership:
    """The customer's membership of ``programme`` with its points account, created at the entry level if new."""
    membership = Membership.objects.filter(customer=customer, programme=programme, closed_at__isnull=True).first()
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(customer=customer, programme=programme,
                                                       level=_entry_level(programme), level_since=timezone.localdate())
                PointsAccount.objects.create(membership=membership, customer=customer)
        except IntegrityError:
            membership = Membership.objects.get(customer=customer, programme=programme, closed_at__isnull=True)
    return membership


# --- cards ------------------------------------------------------------------------------------------------------


def card_number_new() -> str:
    """19 digits: the prefix, 14 random digits (``secrets``) and the Luhn check digit (python-stdnum)."""
    body = CARD_PREFIX + "".join(secrets.choice("0123456789") for _i in range(14))
    return body + luhn.calc_check_digit(body)


def card_number_valid(number: str) -> bool:
    return len(number) == 19 and number.isdigit() and luhn.is_valid(number)


def _check_customer(actor: User, customer: Customer, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise Customer.DoesNotExist


@transaction.atomic
def card_issue(*, actor: User, customer: Customer, kind: str = CardKind.MEMBER, programme: Programme | None = None,
               branch: Branch | None = None, activate: bool = True) -> Card:
    """Issue a card to a customer (joining the programme, the default one unless told). A member card is active at
    once; a gift or stored-value card can be issued inactive and activated when sold."""
    _check_customer(actor, customer, "loyalty.add_card")
    if kind not in CardKind.values:
        raise ValidationError({"kind": [_("Select a valid choice. That choice is not one of the available choices.")]})
    membership = membership_ensure(customer=customer, programme=programme or programme_default())
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                card = Card.objects.create(
                    number=card_number_new(), kind=kind, membership=membership, customer=customer,
                    branch=branch or customer.branch,
                    status=CardStatus.ACTIVE if activate else CardStatus.ISSUED,
                    activated_at=now if activate else None, status_changed_at=now)
            break
        except IntegrityError:  # a number already in use (1 in 10^14): draw again
            continue
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not draw a free card number")
    activity_record(customer=customer, kind="loyalty", actor=actor, subject=card,
                    data={"event": "card_issued", "card": card.number[-4:], "kind": kind})
    return card


CARD_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "activate": ((CardStatus.ISSUED, CardStatus.FROZEN), CardStatus.ACTIVE),
    "freeze": ((CardStatus.ACTIVE, CardStatus.ISSUED), CardStatus.FROZEN),
    "report_lost": ((CardStatus.ACTIVE, CardStatus.ISSUED, CardStatus.FROZEN), CardStatus.LOST),
}


def _card_locked(actor: User, card: Card, expected_version: int | None) -> Card:
    from kehu.core.exceptions import ConcurrentUpdateError

    if card.customer_id is not None:
        _check_customer(actor, card.customer, "loyalty.change_card")  # type: ignore[arg-type]
    elif not actor.has_perm("loyalty.change_card"):
        raise PermissionDenied(_("You do not have permission to do this."))
    locked = Card.objects.select_for_update().get(pk=card.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentUpdateError(locked.version)
    return locked


@transaction.atomic
def card_change_status(*, actor: User, card: Card, action: str, expected_version: int | None = None) -> Card:
    """Activate, freeze or report a card lost (``CARD_TRANSITIONS``); optimistic with ``expected_version``."""
    if action not in CARD_TRANSITIONS:
        raise ValidationError(
            {"action": [_("Select a valid choice. That choice is not one of the available choices.")]})
    locked = _card_locked(actor, card, expected_version)
    allowed, target = CARD_TRANSITIONS[action]
    if locked.status not in allowed:
        raise ValidationError({"status": [_("A card that is “%(status)s” cannot be changed that way.")
                                          % {"status": locked.get_status_display()}]})
    now = timezone.now()
    locked.status = target
    locked.status_changed_at = now
    if target == CardStatus.ACTIVE and locked.activated_at is None:
        locked.activated_at = now
    locked.version += 1
    locked.save(update_fields=["status", "status_changed_at", "activated_at", "version"])
    if locked.customer_id is not None:
        activity_record(customer=locked.customer_id, kind="loyalty", actor=actor, subject=locked,
                        data={"event": f"card_{action}", "card": locked.number[-4:]})
    return locked


@transaction.atomic
def card_replace(*, actor: User, card: Card, expected_version: int | None = None) -> Card:
    """Replace a card (lost, damaged): a new number on the same membership, the old card ``replaced`` for good.
    Points belong to the membership's account, so the new card shows the same balance at once: no entry moves."""
    locked = _card_locked(actor, card, expected_version)
    if locked.status == CardStatus.REPLACED:
        raise ValidationError({"status": [_("This card has already been replaced.")]})
    new = Card.objects.create(number=card_number_new(), kind=locked.kind, membership=locked.membership,
                              customer=locked.customer, branch=locked.branch, status=CardStatus.ACTIVE,
                              activated_at=timezone.now(), status_changed_at=timezone.now())
    old_value = StoredValueAccount.objects.select_for_update().filter(card=locked).first()
    if old_value is not None and old_value.balance:
        new_value = StoredValueAccount.objects.create(card=new, customer_id=new.customer_id)
        amount = old_value.balance
        reason = _("Replacement of card %(number)s") % {"number": locked.number}
        _post_value(old_value, kind=StoredValueKind.TRANSFER, amount=-amount, actor=actor, reason=reason)
        _post_value(new_value, kind=StoredValueKind.TRANSFER, amount=amount, actor=actor, reason=reason)
    locked.status = CardStatus.REPLACED
    locked.replaced_by = new
    locked.status_changed_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "replaced_by", "status_changed_at", "version"])
    if locked.customer_id is not None:
        activity_record(customer=locked.customer_id, kind="loyalty", actor=actor, subject=new,
                        data={"event": "card_replaced", "card": locked.number[-4:], "new_card": new.number[-4:]})
    return new


# --- the points ledger ------------------------------------------------------------------------------------------


def _check_points(points: int, field: str = "points") -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0 or points >= POINTS_MAX:
        raise ValidationError({field: [_("Give a whole number of points from 1 to 999,999,999,999.")]})


def _post(account: PointsAccount, *, kind: str, points: int, actor: User | None = None, card: Card | None = None,
          branch_id: int | None = None, reason: str = "", idempotency_key: str | None = None,
          transaction_id: int | None = None) -> PointsEntry:
    """Append one entry to a LOCKED account and move its balance (the caller holds ``select_for_update``)."""
    new_balance = account.balance + points
    if new_balance < 0:
        raise InsufficientPointsError(account.balance)
    entry = PointsEntry.objects.create(
        account=account, customer_id=account.customer_id, kind=kind, points=points, balance_after=new_balance,
        transaction_id=transaction_id, card=card, branch_id=branch_id, actor=actor, reason=reason,
        idempotency_key=idempotency_key)
    PointsAccount.objects.filter(pk=account.pk).update(balance=new_balance, updated_at=timezone.now())
    account.balance = new_balance
    return entry


def _check_usable(actor: User, card: Card, permission: str) -> None:
    if card.customer_id is not None:
        _check_customer(actor, card.customer, permission)  # type: ignore[arg-type]
    elif not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))
    if card.status != CardStatus.ACTIVE:
        raise ValidationError({"card": [_("This card is not active (“%(status)s”).")
                                        % {"status": card.get_status_display()}]})


def _usable_card(actor: User, card: Card, permission: str) -> PointsAccount:
    _check_usable(actor, card, permission)
    if card.membership_id is None:
        raise ValidationError({"card": [_("This card belongs to no member.")]})
    return PointsAccount.objects.select_for_update().get(membership_id=card.membership_id)


@transaction.atomic
def points_redeem(*, actor: User, card: Card, points: int, reason: str = "", branch: Branch | None = None,
                  idempotency_key: str | None = None) -> PointsEntry:
    """Redeem ``points`` (full or partial use of the balance) at the counter; never below zero
    (:class:`InsufficientPointsError`)."""
    _check_points(points)
    account = _usable_card(actor, card, "loyalty.add_pointsentry")
    return _post(account, kind=EntryKind.REDEEM, points=-points, actor=actor, card=card,
                 branch_id=branch.pk if branch else card.branch_id, reason=reason[:200],
                 idempotency_key=idempotency_key)


# --- stored value ---------------------------------------------------------------------------------------------

VALUE_MAX = Decimal("100000000")  # one movement of stored value is below 100 million yuan


class InsufficientValueError(Exception):
    """A spend asked for more than the card's stored value (HTTP 409 ``insufficient_stored_value``)."""

    def __init__(self, balance: Decimal) -> None:
        super().__init__(_("Not enough stored value: the balance is %(balance)s.") % {"balance": balance})
        self.balance = balance


def _check_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount >= VALUE_MAX \
            or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": [_("Give an amount from 0.01 to 99,999,999.99 yuan.")]})
    return amount


def _post_value(account: StoredValueAccount, *, kind: str, amount: Decimal, actor: User | None = None,
                branch_id: int | None = None, reason: str = "") -> StoredValueEntry:
    """Append one entry to a LOCKED stored-value account and move its balance."""
    new_balance = account.balance + amount
    if new_balance < 0:
        raise InsufficientValueError(account.balance)
    entry = StoredValueEntry.objects.create(account=account, customer_id=account.customer_id, kind=kind,
                                            amount=amount, balance_after=new_balance, branch_id=branch_id,
                                            actor=actor, reason=reason)
    StoredValueAccount.objects.filter(pk=account.pk).update(balance=new_balance, updated_at=timezone.now())
    account.balance = new_balance
    return entry


@transaction.atomic
def stored_value_move(*, actor: User, card: Card, kind: str, amount: Decimal, reason: str = "",
                      branch: Branch | None = None) -> StoredValueEntry:
    """Top up, spend or refund stored value on an active card (under the account's row lock; never negative)."""
    _check_amount(amount)
    if kind not in (StoredValueKind.TOP_UP, StoredValueKind.SPEND, StoredValueKind.REFUND):
        raise ValidationError({"kind": [_("Select a valid choice. That choice is not one of the available choices.")]})
    _check_usable(actor, card, "loyalty.add_pointsentry")
    StoredValueAccount.objects.get_or_create(card=card, defaults={"customer_id": card.customer_id})
    account = StoredValueAccount.objects.select_for_update().get(card=card)
    signed = -amount if kind == StoredValueKind.SPEND else amount
    return _post_value(account, kind=kind, amount=signed, actor=actor,
                       branch_id=branch.pk if branch else card.branch_id, reason=reason[:200])


# --- earning ----------------------------------------------------------------------------------------------------


def _rules_by_programme(programme_ids: Iterable[int], on: dt.date) -> dict[int, list[EarningRule]]:
    rules: dict[int, list[EarningRule]] = defaultdict(list)
    query = (EarningRule.objects.filter(programme_id__in=set(programme_ids), is_active=True)
             .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=on), Q(ends_on__isnull=True) | Q(ends_on__gte=on))
             .select_related("branch"))
    for rule in query:
        rules[rule.programme_id].append(rule)
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
        if rule.kind == RuleKind.STORE and (
                branch_path is None or rule.branch is None or not branch_path.startswith(rule.branch.path)):
            continue
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
        if not ids or not PointsAccount.objects.exists():
            return 0
        for start in range(0, len(ids), batch_size):
            with transaction.atomic():
                rows, _last = _accrual_candidates(transaction_ids=ids[start:start + batch_size], since=None,
                                                  after_id=0, batch_size=batch_size)
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


# --- adjustments through approvals -----------------------------------------------------------------------------


@transaction.atomic
def points_adjustment_request(*, actor: User, account: PointsAccount, points: int, reason: str) -> PointsAdjustment:
    """Ask for a manual adjustment (positive or negative) with a reason; it is posted once approved
    (``work`` approval kind ``points_adjustment``, authority in points)."""
    from kehu.core.validators import text_problem
    from kehu.work.services import approval_submit

    customer = account.customer
    _check_customer(actor, customer, "loyalty.add_pointsadjustment")
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) >= POINTS_MAX:
        raise ValidationError({"points": [_("Give a whole number of points other than 0, below 1,000,000,000,000 "
                                            "either way.")]})
    reason = (reason or "").strip()
    problem = text_problem(reason) if reason else None
    if not reason or problem or len(reason) > 200:
        raise ValidationError({"reason": [problem or _("Give a reason of at most 200 characters.")]})
    adjustment = PointsAdjustment.objects.create(account=account, customer=customer, points=points, reason=reason,
                                                 requested_by=actor)
    approval_submit(actor=actor, kind="points_adjustment", subject=adjustment,
                    title=_("Points adjustment of %(points)+d for %(customer)s")
                    % {"points": points, "customer": customer.name},
                    amount=Decimal(abs(points)), customer=customer, comment=reason)
    return adjustment


def on_adjustment_decided(*, approval: Any, action: str) -> None:
    """``work`` calls this in the decision's transaction: post the entry when approved."""
    adjustment = PointsAdjustment.objects.select_for_update().get(pk=approval.subject_id)
    if adjustment.status != AdjustmentStatus.PENDING:
        return
    if action == "approved":
        account = PointsAccount.objects.select_for_update().get(pk=adjustment.account_id)
        try:
            entry = _post(account, kind=EntryKind.ADJUST, points=adjustment.points, actor=approval.decided_by,
                          reason=adjustment.reason)
        except InsufficientPointsError as error:
            raise ValidationError({"points": [str(error)]}) from None
        adjustment.entry = entry
        adjustment.status = AdjustmentStatus.APPROVED
    elif action == "rejected":
        adjustment.status = AdjustmentStatus.REJECTED
    else:  # withdrawn: it may be submitted again
        return
    adjustment.save(update_fields=["status", "entry"])


# --- expiry ------------------------------------------------------------------------------------------------------


def _expiring(programme: Programme, cutoff: dt.datetime) -> list[dict[str, Any]]:
    """Per open account of ``programme``: the points earned before ``cutoff`` still unused, first in first out.

    Every debit (redemption, expiry, reversal, negative adjustment or transfer) uses the oldest points first, so the
    points of earnings before the cutoff still left are ``max(0, credited before the cutoff − all debits)``, capped
    by the balance: one aggregate query, no walk through each account's entries."""
    credited = (PointsEntry.objects.filter(account_id=OuterRef("pk"), points__gt=0, created_at__lt=cutoff)
                .order_by().values("account_id").annotate(total=Sum("points")).values("total"))
    debited = (PointsEntry.objects.filter(account_id=OuterRef("pk"), points__lt=0).order_by().values("account_id")
               .annotate(total=Sum("points")).values("total"))
    rows = (PointsAccount.objects.filter(membership__programme=programme, membership__closed_at__isnull=True,
                                         balance__gt=0)
            .annotate(old=Coalesce(Subquery(credited), Value(0)), used=Coalesce(Subquery(debited), Value(0)))
            .filter(old__gt=-F("used")).values("id", "customer_id", "balance", "old", "used",
                                                 "customer__owner_id"))
    result = []
    for row in rows:
        points = min(row["old"] + row["used"], row["balance"])
        if points > 0:
            result.append({**row, "points": points})
    return result


def points_expire(*, as_of: dt.date | None = None, notice_days: int = 30) -> tuple[int, int]:
    """Expire, first in first out, the points earned more than the programme's ``expiry_days`` before ``as_of``
    (one ``expire`` entry per account, accounts locked in id order), and tell the owners of customers whose points
    expire within ``notice_days`` (one inbox message per owner and date). Returns (points expired, accounts noticed).
    """
    from kehu.work.services import notification_send

    as_of = as_of or timezone.localdate()
    zone = timezone.get_current_timezone()
    expired = noticed = 0
    for programme in Programme.objects.filter(is_active=True, expiry_days__isnull=False):
        days = programme.expiry_days or 0
        cutoff = dt.datetime.combine(as_of - dt.timedelta(days=days), dt.time.min, tzinfo=zone)
        with transaction.atomic():
            due = _expiring(programme, cutoff)
            if due:
                locked = {a.pk: a for a in PointsAccount.objects.select_for_update()
                          .filter(pk__in=[row["id"] for row in due]).order_by("pk")}
                # re-read under the locks: a redemption meanwhile used some of the old points
                due = [row for row in _expiring(programme, cutoff) if row["id"] in locked]
                entries = []
                for row in due:
                    account = locked[row["id"]]
                    account.balance -= row["points"]
                    entries.append(PointsEntry(account_id=account.pk, customer_id=account.customer_id,
                                               kind=EntryKind.EXPIRE, points=-row["points"],
                                               balance_after=account.balance,
                                               reason=_("Earned before %(date)s") % {"date": cutoff.date()}))
                    expired += row["points"]
                PointsEntry.objects.bulk_create(entries, batch_size=5000)
                _balances_write([locked[row["id"]] for row in due])
            ahead = _expiring(programme, cutoff + dt.timedelta(days=notice_days))
            per_owner: dict[int, int] = defaultdict(int)
            for row in ahead:
                if row["customer__owner_id"]:
                    per_owner[row["customer__owner_id"]] += 1
            for owner in User.objects.filter(pk__in=list(per_owner)):
                notification_send(
                    recipients=[owner], kind="loyalty_points_expiring",
                    title=_("Points of %(count)d of your customers expire within %(days)d days")
                    % {"count": per_owner[owner.pk], "days": notice_days},
                    body=_("Programme %(programme)s, as of %(date)s.") % {"programme": programme.name,
                                                                          "date": as_of.isoformat()},
                    url="/loyalty/", dedupe_key=f"loyalty-expiring:{programme.pk}:{as_of.isoformat()}")
            noticed += len(ahead)
    return expired, noticed


# --- reconciliation ---------------------------------------------------------------------------------------------


def reconcile() -> list[dict[str, Any]]:
    """Every points account whose balance differs from the sum of its entries (one aggregate query)."""
    totals = (PointsEntry.objects.filter(account_id=OuterRef("pk")).order_by().values("account_id")
              .annotate(total=Sum("points")).values("total"))
    rows = (PointsAccount.objects.annotate(total=Coalesce(Subquery(totals), Value(0)))
            .exclude(balance=F("total")).values("id", "customer_id", "balance", "total"))
    return list(rows)


def reconcile_stored_value() -> list[dict[str, Any]]:
    """Every stored-value account whose balance differs from the sum of its entries (one aggregate query)."""
    totals = (StoredValueEntry.objects.filter(account_id=OuterRef("pk")).order_by().values("account_id")
              .annotate(total=Sum("amount")).values("total"))
    rows = (StoredValueAccount.objects
            .annotate(total=Coalesce(Subquery(totals, output_field=DecimalField()), Value(Decimal("0")),
                                     output_field=DecimalField()))
            .exclude(balance=F("total")).values("id", "customer_id", "balance", "total"))
    return list(rows)


def stored_value_daily(*, day: dt.date) -> list[dict[str, Any]]:
    """Per store, the day's stored value topped up, spent and refunded (one aggregate query): the daily
    reconciliation a store checks against its till."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    entries = StoredValueEntry.objects.filter(created_at__gte=start, created_at__lt=start + dt.timedelta(days=1))
    return list(entries.order_by().values("branch_id", "branch__name", "kind").annotate(total=Sum("amount"))
                .order_by("branch__name", "kind"))


# --- levels -----------------------------------------------------------------------------------------------------


def levels_evaluate(*, as_of: dt.date | None = None, actor: User | None = None) -> int:
    """Move every membership to the level its spend and points earned over the programme's window (up to ``as_of``)
    qualify it for: set-based (one aggregate query per programme, one UPDATE per target level, bulk history and
    timeline rows, one notification per owner). Returns the number of level changes."""
    from kehu.work.services import notification_send

    as_of = as_of or timezone.localdate()
    changed = 0
    for programme in Programme.objects.filter(is_active=True):
        levels = list(Level.objects.filter(programme=programme).order_by("-rank"))
        if not levels:
            continue
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
        start = end - dt.timedelta(days=programme.window_days)
        spend = (Transaction.objects.filter(customer_id=OuterRef("customer_id"), occurred_at__gte=start,
                                            occurred_at__lt=end).order_by().values("customer_id")
                 .annotate(total=Sum("amount")).values("total"))
        earned = (PointsEntry.objects.filter(account__membership_id=OuterRef("pk"), kind=EntryKind.EARN,
                                             created_at__gte=start, created_at__lt=end).order_by()
                  .values("account_id").annotate(total=Sum("points")).values("total"))
        target = Case(*[When(Q(spend__gte=level.min_spend) & Q(points__gte=level.min_points), then=Value(level.pk))
                        for level in levels], default=Value(levels[-1].pk), output_field=IntegerField())
        rows = list(
            Membership.objects.filter(programme=programme, closed_at__isnull=True)
            .annotate(spend=Coalesce(Subquery(spend, output_field=DecimalField()), Value(Decimal("0")),
                                     output_field=DecimalField()),
                      points=Coalesce(Subquery(earned), Value(0)))
            .annotate(target=target)
            .exclude(level_id=F("target"))
            .values("id", "customer_id", "level_id", "target", "spend", "points", "customer__owner_id",
                    "customer__branch_id"))
        if not rows:
            continue
        by_level = {level.pk: level for level in levels}
        with transaction.atomic():
            targets: dict[int, list[int]] = defaultdict(list)
            for row in rows:
                targets[row["target"]].append(row["id"])
            for level_id, ids in targets.items():
                Membership.objects.filter(pk__in=ids).update(level_id=level_id, level_since=as_of)
            LevelChange.objects.bulk_create([
                LevelChange(membership_id=row["id"], customer_id=row["customer_id"], from_level_id=row["level_id"],
                            to_level_id=row["target"], as_of=as_of, spend=row["spend"], points=row["points"])
                for row in rows], batch_size=5000)
            now = timezone.now()
            activity_record_bulk({
                "customer_id": row["customer_id"], "kind": "level_change", "occurred_at": now,
                "branch_id": row["customer__branch_id"], "actor_id": actor.pk if actor else None,
                "subject_type": "loyalty.membership", "subject_id": row["id"],
                "data": {"from": by_level[row["level_id"]].name if row["level_id"] in by_level else "",
                         "to": by_level[row["target"]].name, "programme": programme.name,
                         "up": (by_level[row["level_id"]].rank if row["level_id"] in by_level else -1)
                         < by_level[row["target"]].rank}} for row in rows)
            per_owner: dict[int, int] = defaultdict(int)
            for row in rows:
                if row["customer__owner_id"]:
                    per_owner[row["customer__owner_id"]] += 1
            owners = User.objects.filter(pk__in=list(per_owner))
            for owner in owners:
                notification_send(
                    recipients=[owner], kind="loyalty_level_change",
                    title=_("Member levels changed for %(count)d of your customers") % {"count": per_owner[owner.pk]},
                    body=_("Programme %(programme)s, as of %(date)s.") % {"programme": programme.name,
                                                                          "date": as_of.isoformat()},
                    url="/loyalty/", dedupe_key=f"loyalty-levels:{programme.pk}:{as_of.isoformat()}")
        changed += len(rows)
    return changed


# --- merging customers ------------------------------------------------------------------------------------------


def merge_memberships(*, keep: Customer, merge: Customer, actor: User | None = None, field_name: str = "") -> None:
    """Merge policy ``transfer`` for memberships. Every row moves to the kept customer with its amounts unchanged
    (``customer_id`` on ledger rows is only the distribution key). Where both were members of a programme, the
    merged account's balance is carried over by two ``transfer`` entries (out of one, into the other), its cards move
    to the kept membership and the merged membership is closed, its ledger kept."""
    now = timezone.now()
    for membership in Membership.objects.filter(customer=merge).select_related("programme"):
        kept = (Membership.objects.filter(customer=keep, programme=membership.programme, closed_at__isnull=True)
                .first() if membership.closed_at is None else None)
        if kept is not None:
            accounts = {a.membership_id: a for a in PointsAccount.objects.select_for_update()
                        .filter(membership_id__in=[membership.pk, kept.pk]).order_by("pk")}
            source, target = accounts[membership.pk], accounts[kept.pk]
            amount = source.balance
            if amount:
                reason = _("Merge of customer %(code)s") % {"code": merge.code}
                _post(source, kind=EntryKind.TRANSFER, points=-amount, actor=actor, reason=reason)
                _post(target, kind=EntryKind.TRANSFER, points=amount, actor=actor, reason=reason)
            Card.objects.filter(membership=membership).update(membership=kept)
            Membership.objects.filter(pk=membership.pk).update(closed_at=now)
        Membership.objects.filter(pk=membership.pk).update(customer=keep)
    PointsAccount.objects.filter(customer=merge).update(customer=keep)
    PointsEntry.objects.filter(customer=merge).update(customer=keep)
    LevelChange.objects.filter(customer=merge).update(customer=keep)
    PointsAdjustment.objects.filter(customer=merge).update(customer=keep)
    Card.objects.filter(customer=merge).update(customer=keep)
    StoredValueAccount.objects.filter(customer=merge).update(customer=keep)
    StoredValueEntry.objects.filter(customer=merge).update(customer=keep)


def merge_ledger_rows(*, keep: Customer, merge: Customer, actor: User | None = None, field_name: str = "") -> None:
    """Ledger rows (accounts, entries, history, adjustments, cards) are dealt with by :func:`merge_memberships`."""

