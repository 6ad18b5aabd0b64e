"""Writes for purchases. Transactions are written one by one through the API/UI and in bulk by imports and demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.exceptions import IdempotencyConflictError
from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import Branch, User

from .hooks import transactions_recorded
from .models import Category, Product, Transaction


@transaction.atomic
def transaction_create(
    *, actor: User, customer: Customer, occurred_at: dt.datetime, amount: Decimal, margin: Decimal = Decimal("0"),
    quantity: Decimal = Decimal("1"), product: Product | None = None, branch: Branch | None = None,
    channel: str = "store", external_ref: str | None = None,
) -> tuple[Transaction, bool]:
    """Record a purchase. With ``external_ref`` a retried call returns the existing row (``created`` False).

    The reference identifies one request: a call with a known reference and any different value (customer, time,
    amounts, product, branch, channel) raises :class:`IdempotencyConflictError` and changes nothing.
    """
    if not actor.has_perm("purchases.add_transaction"):
        raise PermissionDenied(_("You do not have permission to record purchases."))
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not see this customer."))
    request = {"customer": customer.pk, "occurred_at": occurred_at, "amount": amount, "margin": margin,
               "quantity": quantity, "product": product.pk if product else None, "channel": channel}
    if branch is not None:  # without one, the customer's home branch then (it may have changed since) was used
        request["branch"] = branch.pk
    if external_ref:
        existing = Transaction.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            return _replayed(existing, request), False
    if amount is not None and margin is not None and margin > amount and amount >= 0:
        raise ValidationError({"margin": [_("The gross margin cannot be larger than the amount.")]})
    record = Transaction(
        customer=customer, occurred_at=occurred_at, amount=amount, margin=margin, quantity=quantity, product=product,
        branch=branch or customer.branch, channel=channel, external_ref=external_ref or None,
    )
    record.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # a concurrent call with the same reference won the race
        return _replayed(Transaction.objects.get(external_ref=external_ref), request), False
    activity_record(customer=customer, kind="transaction", occurred_at=record.occurred_at, actor=actor,
                    branch_id=record.branch_id, subject=record, data=transaction_activity_data(record))
    transactions_recorded([record.pk])  # listeners (loyalty's accrual) in this transaction
    return record, True


def transaction_activity_data(record: Transaction) -> dict[str, Any]:
    """What the timeline shows of a purchase."""
    return {"amount": str(record.amount), "channel": record.channel, "product_id": record.product_id}


def _replayed(existing: Transaction, request: dict[str, Any]) -> Transaction:
    """The stored transaction if ``request`` asks for the same one, else :class:`IdempotencyConflictError`.

    Values are compared as values: 10 equals 10.00, a time equals the same instant in another time zone.
    """
    stored = {"customer": existing.customer_id, "occurred_at": existing.occurred_at, "amount": existing.amount,
              "margin": existing.margin, "quantity": existing.quantity, "product": existing.product_id,
              "branch": existing.branch_id, "channel": existing.channel}
    when = request["occurred_at"]
    if isinstance(when, dt.datetime) and timezone.is_naive(when):
        request = {**request, "occurred_at": timezone.make_aware(when)}
    different = [name for name, value in request.items() if value != stored[name]]
    if different:
        raise IdempotencyConflictError(
            _("A different purchase was already recorded with the reference “%(ref)s” (it differs in: %(fields)s). "
              "Send the same values to retry, or use a new reference for a new purchase.")
            % {"ref": existing.external_ref,
               "fields": ", ".join(str(getattr(Transaction._meta.get_field(name), "verbose_name", name))
                                   for name in different)},
            key=existing.external_ref or "", fields=different,
        )
    return existing


def transaction_bulk_create(*, rows: list[dict[str, Any]], batch_size: int = 5000) -> int:
    """Insert many transactions (already validated) in batches; used by the demo and imports."""
    objects = [Transaction(**row) for row in rows]
    with transaction.atomic():
        Transaction.objects.bulk_create(objects, batch_size=batch_size)
        activity_record_bulk(
            ({"customer_id": t.customer_id, "kind": "transaction", "occurred_at": t.occurred_at,
              "branch_id": t.branch_id, "subject_type": "purchases.transaction", "subject_id": t.pk,
              "data": transaction_activity_data(t)} for t in objects), batch_size=batch_size)
        transactions_recorded([t.pk for t in objects])
    return len(objects)


def category_get_or_create(*, name: str, parent: Category | None = None) -> Category:
    category, _created = Category.objects.get_or_create(name=name, defaults={"parent": parent})
    return category


def product_get_or_create(*, sku: str, name: str, category: Category | None = None,
                          list_price: Decimal | None = None) -> Product:
    product, _created = Product.objects.get_or_create(
        sku=sku, defaults={"name": name, "category": category, "list_price": list_price}
    )
    return product
