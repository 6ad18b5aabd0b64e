"""Cards: numbers with a Luhn check digit, issue, status changes, replacement."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import luhn

from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record
from kehu.org.models import Branch, User

from ..models import (
    Card,
    CardKind,
    CardStatus,
    Programme,
    StoredValueAccount,
    StoredValueKind,
)
from ._base import (
    CARD_PREFIX,
    _check_customer,
    _post_value,
)
from .programmes import membership_ensure, programme_default


def card_number_new() -> str:
    """19 digits: the prefix, 14 random digits (``secrets``) and the Luhn check digit (python-stdnum)."""
    body = CARD_PREFIX + "".join(secrets.choice("0123456789") for _i in range(14))
    return body + luhn.calc_check_digit(body)


def card_number_valid(number: str) -> bool:
    return len(number) == 19 and number.isdigit() and luhn.is_valid(number)


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
        debit = _post_value(old_value, kind=StoredValueKind.TRANSFER, amount=-amount, actor=actor, reason=reason)
        _post_value(new_value, kind=StoredValueKind.TRANSFER, amount=amount, actor=actor, reason=reason,
                    counterpart=debit)
    locked.status = CardStatus.REPLACED
    locked.replaced_by = new
    locked.status_changed_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "replaced_by", "status_changed_at", "version"])
    if locked.customer_id is not None:
        activity_record(customer=locked.customer_id, kind="loyalty", actor=actor, subject=new,
                        data={"event": "card_replaced", "card": locked.number[-4:], "new_card": new.number[-4:]})
    return new
