"""Every write of coupons: batches, issuing (to a list of customers, by rule, on a purchase), use, void, reissue and
expiry.

One use, atomic: :func:`coupon_use` moves a coupon from ``issued`` to ``used`` with one conditional
``UPDATE … WHERE status = 'issued' AND expires_at > now``. On PostgreSQL a concurrent use waits for the first one's
row lock and then finds the condition false; on SQLite writes are serialised. The loser reads the coupon again and
is refused with the reason (``coupon_used``, ``coupon_voided``, ``coupon_expired``). Retries at the counter are
answered once by the API's ``Idempotency-Key`` (``kehu.loyalty.idempotency``).

Issuing is set-based: the customers in the actor's scope, the coupons each already holds in the batch and the open
memberships are three queries whatever the number of customers; the coupons and their timeline rows are two bulk
INSERTs per 5,000; the batch's ``issued_count`` is kept under a row lock on the batch, so the quantity is never
exceeded by concurrent issuers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import Branch, User
from kehu.org.selectors import branch_ids_in_scope

from .codes import code_new
from .models import Coupon, CouponBatch, CouponKind, CouponStatus, IssueRule

VALUE_MAX = Decimal("100000000")  # a coupon takes off less than 100 million yuan
QUANTITY_MAX = 10_000_000
PER_CUSTOMER_MAX = 100
ISSUE_MAX = 100_000  # customers named in one issuing request
CHUNK = 5000
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


class CouponRefused(Exception):
    """A coupon that cannot be used, voided or reissued now (HTTP 409 with ``code``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _refusal(coupon: Coupon, now: dt.datetime) -> CouponRefused | None:
    """Why this coupon (as read) cannot be used now, or None."""
    if coupon.status == CouponStatus.USED:
        return CouponRefused("coupon_used", _("This coupon has already been used."))
    if coupon.status == CouponStatus.VOIDED:
        return CouponRefused("coupon_voided", _("This coupon has been voided."))
    if coupon.status == CouponStatus.EXPIRED or coupon.expires_at <= now:
        return CouponRefused("coupon_expired", _("This coupon has expired."))
    if coupon.batch.valid_from > now:
        return CouponRefused("coupon_not_yet_valid", _("This coupon cannot be used before %(start)s.")
                             % {"start": timezone.localtime(coupon.batch.valid_from).strftime("%Y-%m-%d %H:%M")})
    return None


def _require(actor: User, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))


def _check_branch(actor: User, branch: Branch, field: str) -> None:
    ids = branch_ids_in_scope(actor)
    if ids is not None and branch.pk not in ids:
        raise ValidationError({field: [_("Choose a branch within your own.")]})


# --- batches --------------------------------------------------------------------------------------------------


def _clean_batch(data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    kind, value = data["kind"], data["value"]
    if kind not in CouponKind.values:
        errors["kind"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if kind == CouponKind.AMOUNT and not (Decimal("0") < value < VALUE_MAX):
        errors["value"] = [_("Give an amount above 0 and below 100,000,000 yuan.")]
    if kind == CouponKind.PERCENT and not (Decimal("0") < value <= Decimal("100")):
        errors["value"] = [_("Give a percentage above 0 and at most 100.")]
    if kind == CouponKind.GIFT and not data.get("gift"):
        errors["gift"] = [_("Name the gift.")]
    cap = data.get("max_discount")
    if cap is not None and not (Decimal("0") < cap < VALUE_MAX):
        errors["max_discount"] = [_("Give an amount above 0 and below 100,000,000 yuan.")]
    start, end = data["valid_from"], data["valid_until"]
    if not (EARLIEST <= start < LATEST and EARLIEST < end <= LATEST):
        errors["valid_until"] = [_("Give dates between 2000 and 2100.")]
    elif end <= start:
        errors["valid_until"] = [_("The end must come after the start.")]
    quantity = data.get("quantity")
    if quantity is not None and not (0 < quantity <= QUANTITY_MAX):
        errors["quantity"] = [_("Give a quantity from 1 to 10,000,000, or none.")]
    if not (0 < data["per_customer"] <= PER_CUSTOMER_MAX):
        errors["per_customer"] = [_("Give a number from 1 to 100.")]
    rule = data.get("rule") or ""
    if rule not in IssueRule.values:
        errors["rule"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if rule == IssueRule.LEVEL and data.get("rule_level") is None:
        errors["rule_level"] = [_("Choose the level whose members receive the coupon.")]
    minimum = data.get("rule_min_amount")
    if rule == IssueRule.TRANSACTION and (minimum is None or not (Decimal("0") < minimum < VALUE_MAX)):
        errors["rule_min_amount"] = [_("Give the purchase amount above which the coupon is issued.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def batch_create(*, actor: User, name: str, kind: str, valid_from: dt.datetime, valid_until: dt.datetime,
                 branch: Branch, value: Decimal = Decimal("0"), max_discount: Decimal | None = None, gift: str = "",
                 stores: Sequence[Branch] = (), quantity: int | None = None, per_customer: int = 1,
                 rule: str = "", rule_level: Any = None, rule_min_amount: Decimal | None = None) -> CouponBatch:
    """A coupon campaign, issued by ``branch`` (within the actor's scope), valid in ``stores`` and below (none:
    everywhere in the group)."""
    _require(actor, "loyalty.add_couponbatch")
    data = {"kind": kind, "value": value, "gift": gift.strip(), "max_discount": max_discount,
            "valid_from": valid_from, "valid_until": valid_until, "quantity": quantity, "per_customer": per_customer,
            "rule": rule, "rule_level": rule_level, "rule_min_amount": rule_min_amount}
    _clean_batch(data)
    if not name.strip() or len(name) > 100 or "\x00" in name or "\x00" in gift:
        raise ValidationError({"name": [_("Give a name of 1 to 100 characters.")]})
    _check_branch(actor, branch, "branch")
    for store in stores:
        _check_branch(actor, store, "stores")
    batch = CouponBatch.objects.create(
        name=name.strip(), kind=kind, value=value if kind != CouponKind.GIFT else Decimal("0"),
        max_discount=max_discount if kind == CouponKind.PERCENT else None, gift=gift.strip()[:100],
        valid_from=valid_from, valid_until=valid_until, branch=branch, quantity=quantity,
        per_customer=per_customer, rule=rule or "", rule_level=rule_level if rule == IssueRule.LEVEL else None,
        rule_min_amount=rule_min_amount if rule == IssueRule.TRANSACTION else None, created_by=actor)
    if stores:
        batch.stores.set(stores)
    return batch


def _check_batch_scope(actor: User, batch: CouponBatch) -> None:
    ids = branch_ids_in_scope(actor)
    if ids is not None and batch.branch_id not in ids:
        raise PermissionDenied(_("Only the branch that issued this batch, or one above it, may do this."))


# --- issuing --------------------------------------------------------------------------------------------------


def _issue(batch: CouponBatch, customer_ids: Iterable[int], *, actor: User | None,
           sources: dict[int, int] | None = None) -> dict[str, int]:
    """Issue one coupon to each customer (in order, each at most up to the per-customer limit, the batch at most up
    to its quantity). ``sources`` maps a customer to the purchase that earned the coupon. Runs inside the caller's
    transaction, with the batch row locked."""
    locked = CouponBatch.objects.select_for_update().get(pk=batch.pk)
    wanted = list(dict.fromkeys(customer_ids))
    held: dict[int, int] = {}
    members: dict[int, int] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start:start + CHUNK]
        held.update(Coupon.objects.filter(batch=locked, customer_id__in=part, replaces__isnull=True)
                    .values_list("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
        from kehu.loyalty.models import Membership

        members.update(Membership.objects.filter(customer_id__in=part, closed_at__isnull=True)
                       .values_list("customer_id").annotate(m=Min("id")).values_list("customer_id", "m"))
    left = None if locked.quantity is None else max(locked.quantity - locked.issued_count, 0)
    chosen: list[int] = []
    skipped_limit = skipped_quantity = 0
    for customer_id in wanted:
        if held.get(customer_id, 0) >= locked.per_customer:
            skipped_limit += 1
        elif left is not None and len(chosen) >= left:
            skipped_quantity += 1
        else:
            chosen.append(customer_id)
    now = timezone.now()
    sources = sources or {}
    coupons = [Coupon(code=code_new(), batch=locked, customer_id=customer_id, membership_id=members.get(customer_id),
                      issued_at=now, expires_at=locked.valid_until, source_transaction_id=sources.get(customer_id))
               for customer_id in chosen]
    Coupon.objects.bulk_create(coupons, batch_size=CHUNK)
    activity_record_bulk(
        ({"customer_id": coupon.customer_id, "kind": "coupon", "occurred_at": now,
          "actor_id": actor.pk if actor is not None else None, "subject_type": "loyalty.coupon",
          "subject_id": coupon.pk, "data": {"event": "issued", "code": coupon.code[-4:], "batch": locked.name}}
         for coupon in coupons), batch_size=CHUNK)
    CouponBatch.objects.filter(pk=locked.pk).update(issued_count=locked.issued_count + len(coupons))
    batch.issued_count = locked.issued_count + len(coupons)
    return {"issued": len(coupons), "skipped_limit": skipped_limit, "skipped_quantity": skipped_quantity}


def _rule_customers(actor: User, batch: CouponBatch) -> list[int]:
    customers = Customer.objects.visible_to(actor)
    if batch.rule == IssueRule.LEVEL:
        level_id = batch.rule_level_id or 0
        return list(customers.filter(memberships__level_id=level_id, memberships__closed_at__isnull=True)
                    .order_by("pk").values_list("pk", flat=True).distinct())
    if batch.rule == IssueRule.TRANSACTION:
        from kehu.purchases.models import Transaction

        bought = Transaction.objects.filter(amount__gte=batch.rule_min_amount, occurred_at__gte=batch.valid_from,
                                            occurred_at__lt=batch.valid_until)
        return list(customers.filter(pk__in=bought.values("customer_id")).order_by("pk").values_list("pk", flat=True))
    raise ValidationError({"rule": [_("This batch has no issue rule: name the customers.")]})


def batch_issue(*, actor: User, batch: CouponBatch, customer_ids: Sequence[int] | None = None,
                by_rule: bool = False) -> dict[str, int]:
    """Issue coupons of ``batch`` to the customers named (every one must be in the actor's scope) or, with
    ``by_rule``, to the customers in scope the batch's rule selects (members at its level; buyers over its amount
    within its window). Answers the numbers issued and skipped (the per-customer limit, the quantity)."""
    _require(actor, "loyalty.add_coupon")
    _check_batch_scope(actor, batch)
    if not batch.is_active or batch.valid_until <= timezone.now():
        raise CouponRefused("batch_closed", _("This batch is closed or past its end."))
    with transaction.atomic():
        if by_rule:
            ids = _rule_customers(actor, batch)
        else:
            ids = list(dict.fromkeys(customer_ids or []))
            if not ids:
                raise ValidationError({"customer_ids": [_("Name at least one customer.")]})
            if len(ids) > ISSUE_MAX:
                raise ValidationError({"customer_ids": [_("Name at most 100,000 customers at a time.")]})
            found: set[int] = set()
            for start in range(0, len(ids), CHUNK):
                found.update(Customer.objects.visible_to(actor).filter(pk__in=ids[start:start + CHUNK])
                             .values_list("pk", flat=True))
            missing = [pk for pk in ids if pk not in found]
            if missing:
                raise ValidationError({"customer_ids": [_("No customer has these ids: %(ids)s.")
                                                        % {"ids": ", ".join(map(str, missing[:20]))}]})
        return _issue(batch, ids, actor=actor)


def issue_on_transactions(*, transaction_ids: Sequence[int]) -> None:
    """Purchases listener (``loyalty-coupons``): a purchase of at least a batch's amount, within its window and at
    one of its stores, earns its customer a coupon of each active ``transaction`` batch (exactly once per purchase and
    batch: a unique constraint; up to the per-customer limit and the quantity)."""
    from kehu.purchases.models import Transaction

    batches = _transaction_batches()
    if not batches:
        return
    rows = list(Transaction.objects.filter(pk__in=list(transaction_ids))
                .values_list("pk", "customer_id", "amount", "occurred_at", "branch__path"))
    for batch in batches:
        _issue_for_purchases(batch, rows)


def _transaction_batches() -> list[CouponBatch]:
    now = timezone.now()
    return list(CouponBatch.objects.filter(rule=IssueRule.TRANSACTION, is_active=True, valid_from__lte=now,
                                           valid_until__gt=now).prefetch_related("stores"))


def _issue_for_purchases(batch: CouponBatch, rows: Sequence[tuple[Any, ...]]) -> int:
    """Coupons of ``batch`` earned by the purchases ``rows`` (pk, customer, amount, occurred_at, store path) that
    earned none of it yet: the first such qualifying purchase of each customer (then the per-customer limit and
    the quantity); returns the number issued."""
    paths = [store.path for store in batch.stores.all()]
    qualifying = [(pk, customer_id) for pk, customer_id, amount, occurred_at, path in rows
                  if customer_id is not None and amount >= (batch.rule_min_amount or 0)
                  and batch.valid_from <= occurred_at < batch.valid_until
                  and (not paths or any((path or "").startswith(p) for p in paths))]
    if not qualifying:
        return 0
    done = set(Coupon.objects.filter(batch=batch, source_transaction_id__in=[pk for pk, _c in qualifying])
               .values_list("source_transaction_id", flat=True))
    sources: dict[int, int] = {}
    for pk, customer_id in qualifying:
        if pk not in done:
            sources.setdefault(customer_id, pk)
    if not sources:
        return 0
    with transaction.atomic():
        return _issue(batch, list(sources), actor=None, sources=sources)["issued"]


def coupons_catch_up(*, days: int = 7, chunk: int = 5000) -> int:
    """The catch-up of the ``loyalty-coupons`` purchases listener (beat ``loyalty-coupons-catch-up``, ``kehu
    loyalty coupons-catch-up``): the coupons of active ``transaction`` batches that purchases recorded in the last
    ``days`` days earned but did not get (the listener failed, or the purchases came by a path without it). Exactly
    once per purchase and batch (the unique constraint behind the check), so safe to run twice. Returns the
    number issued."""
    from kehu.purchases.models import Transaction

    batches = _transaction_batches()
    if not batches:
        return 0
    since = timezone.now() - dt.timedelta(days=days)
    issued = 0
    for batch in batches:
        start = max(since, batch.valid_from)
        purchases = (Transaction.objects.filter(created_at__gte=start, occurred_at__gte=batch.valid_from,
                                                occurred_at__lt=batch.valid_until, customer_id__isnull=False,
                                                amount__gte=batch.rule_min_amount or 0)
                     .exclude(pk__in=Coupon.objects.filter(batch=batch, source_transaction_id__isnull=False)
                              .values("source_transaction_id")).order_by("pk"))
        last = 0
        while rows := list(purchases.filter(pk__gt=last)
                           .values_list("pk", "customer_id", "amount", "occurred_at", "branch__path")[:chunk]):
            last = rows[-1][0]
            issued += _issue_for_purchases(batch, rows)
    return issued


# --- use, void, reissue, expiry -------------------------------------------------------------------------------


def discount_for(batch: CouponBatch, amount: Decimal | None) -> Decimal | None:
    """What the coupon takes off an order of ``amount`` (None for a gift, or a percentage without an amount)."""
    if batch.kind == CouponKind.AMOUNT:
        return batch.value if amount is None else min(batch.value, amount)
    if batch.kind == CouponKind.PERCENT and amount is not None:
        off = (amount * batch.value / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return off if batch.max_discount is None else min(off, batch.max_discount)
    return None


def valid_at(batch: CouponBatch, store: Branch | None) -> bool:
    """Whether a coupon of ``batch`` may be used at ``store`` (one of its stores or below them; any without)."""
    paths = [branch.path for branch in batch.stores.all()]
    if not paths:
        return True
    return store is not None and any(store.path.startswith(path) for path in paths)


def counter_store(actor: User, branch: Branch | None) -> Branch | None:
    """The store a coupon is used at: the one given (within the actor's scope), else the actor's first branch."""
    if branch is not None:
        _check_branch(actor, branch, "branch_id")
        return branch
    return actor.branches.order_by("path").first() if actor.pk else None


def coupon_use(*, actor: User, coupon: Coupon, store: Branch | None = None, order_ref: str = "",
               transaction_id: int | None = None, amount: Decimal | None = None) -> Coupon:
    """Use a coupon once, at ``store`` (see :func:`counter_store`), for an order; raises :class:`CouponRefused`.
    The conditional UPDATE and the timeline row are written together, in the caller's transaction when there is
    one (no savepoint of their own); a refusal is raised outside it."""
    _require(actor, "loyalty.use_coupon")
    now = timezone.now()
    refusal = _refusal(coupon, now)
    if refusal is not None:
        raise refusal
    if not valid_at(coupon.batch, store):
        raise CouponRefused("coupon_not_valid_here", _("This coupon cannot be used at this store."))
    discount = discount_for(coupon.batch, amount)
    with transaction.atomic(savepoint=False):
        used = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.ISSUED, expires_at__gt=now).update(
            status=CouponStatus.USED, used_at=now, used_branch=store, used_by=actor, order_ref=order_ref[:80],
            transaction_id=transaction_id, discount=discount)
        if used and coupon.customer_id is not None:
            activity_record(customer=coupon.customer_id, kind="coupon", actor=actor,
                            branch_id=store.pk if store else None, subject=coupon,
                            data={"event": "used", "code": coupon.code[-4:], "batch": coupon.batch.name})
    if not used:  # someone used, voided or expired it a moment ago
        fresh = Coupon.objects.select_related("batch").get(pk=coupon.pk)
        raise _refusal(fresh, now) or CouponRefused("coupon_used", _("This coupon has already been used."))
    # what the UPDATE wrote, without reading the row (and its batch) back
    coupon.status, coupon.used_at, coupon.used_branch, coupon.used_by = CouponStatus.USED, now, store, actor
    coupon.order_ref, coupon.transaction_id = order_ref[:80], transaction_id
    coupon.discount = None if discount is None else discount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return coupon


def _void(actor: User, coupon: Coupon, reason: str, event: str) -> Coupon:
    locked = Coupon.objects.select_for_update().select_related("batch").get(pk=coupon.pk)
    if locked.status == CouponStatus.VOIDED and event == "reissued" and locked.replaced_by_id is None:
        return locked  # voided earlier, reissued now
    refusal = _refusal(locked, timezone.now())
    if refusal is not None and refusal.code != "coupon_not_yet_valid":
        raise refusal
    locked.status = CouponStatus.VOIDED
    locked.voided_at = timezone.now()
    locked.void_reason = reason[:200]
    locked.save(update_fields=["status", "voided_at", "void_reason"])
    if locked.customer_id is not None:
        activity_record(customer=locked.customer_id, kind="coupon", actor=actor, subject=locked,
                        data={"event": "voided", "code": locked.code[-4:], "batch": locked.batch.name,
                              "reason": reason[:200]})
    return locked


def _check_void(actor: User, coupon: Coupon, reason: str) -> str:
    _require(actor, "loyalty.void_coupon")
    if coupon.customer_id is None:
        _check_batch_scope(actor, coupon.batch)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200 or "\x00" in reason:
        raise ValidationError({"reason": [_("Give a reason of 1 to 200 characters.")]})
    return reason


@transaction.atomic
def coupon_void(*, actor: User, coupon: Coupon, reason: str) -> Coupon:
    """Void an issued coupon for good (kept, with the reason, in its history)."""
    return _void(actor, coupon, _check_void(actor, coupon, reason), "voided")


@transaction.atomic
def coupon_reissue(*, actor: User, coupon: Coupon, reason: str) -> Coupon:
    """Replace a coupon by a new code (lost, shared, mistyped): the old one voided and pointing at the new one, the
    same batch, holder and end; the batch's count does not change."""
    reason = _check_void(actor, coupon, reason)
    old = _void(actor, coupon, reason, "reissued")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                new = Coupon.objects.create(code=code_new(), batch=old.batch, customer_id=old.customer_id,
                                            membership_id=old.membership_id, expires_at=old.expires_at)
            break
        except IntegrityError:  # pragma: no cover - a code already drawn (1 in 2^60)
            continue
    else:  # pragma: no cover
        raise RuntimeError("could not draw a free coupon code")
    old.replaced_by = new
    old.save(update_fields=["replaced_by"])
    if old.customer_id is not None:
        activity_record(customer=old.customer_id, kind="coupon", actor=actor, subject=new,
                        data={"event": "reissued", "code": old.code[-4:], "new_code": new.code[-4:],
                              "batch": old.batch.name})
    return new


def coupons_expire(*, now: dt.datetime | None = None) -> int:
    """Mark issued coupons past their end ``expired`` (one UPDATE; running it again changes nothing)."""
    return Coupon.objects.filter(status=CouponStatus.ISSUED, expires_at__lte=now or timezone.now()).update(
        status=CouponStatus.EXPIRED)
