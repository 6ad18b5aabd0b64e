"""What every part of the loyalty services shares: limits, errors, permission checks and the two ledgers' posting
primitives (each appends one entry to a LOCKED account and moves its balance)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.models import User

from ..models import (
    Card,
    CardStatus,
    PointsAccount,
    PointsEntry,
    StoredValueAccount,
    StoredValueEntry,
)

CARD_PREFIX = "6288"


POINTS_MAX = 10**12  # larger amounts of points in one request are refused (a typing error or an attack)


DEFAULT_PROGRAMME_CODE = "DEFAULT"


class InsufficientPointsError(Exception):
    """A redemption asked for more points than the balance (HTTP 409 ``insufficient_points``)."""

    def __init__(self, balance: int) -> None:
        super().__init__(_("Not enough points: the balance is %(balance)s.") % {"balance": balance})
        self.balance = balance


def _check_customer(actor: User, customer: Customer, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise Customer.DoesNotExist


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
    if card.customer_id is not None and getattr(card, "_kehu_visible_to", None) == actor.pk:
        if not actor.has_perm(permission):  # card_get just found the member in the actor's scope
            raise PermissionDenied(_("You do not have permission to do this."))
    elif card.customer_id is not None:
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
                branch_id: int | None = None, reason: str = "",
                counterpart: StoredValueEntry | None = None) -> StoredValueEntry:
    """Append one entry to a LOCKED stored-value account and move its balance (``counterpart``: the debit a
    transfer's credit answers)."""
    new_balance = account.balance + amount
    if new_balance < 0:
        raise InsufficientValueError(account.balance)
    entry = StoredValueEntry.objects.create(account=account, customer_id=account.customer_id, kind=kind,
                                            amount=amount, balance_after=new_balance, branch_id=branch_id,
                                            actor=actor, reason=reason, counterpart=counterpart)
    StoredValueAccount.objects.filter(pk=account.pk).update(balance=new_balance, updated_at=timezone.now())
    account.balance = new_balance
    return entry
