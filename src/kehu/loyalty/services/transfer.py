"""Stored value moved from one card to another (储值转赠): one database transaction, both accounts locked in id
order (so two transfers between the same cards in opposite directions queue rather than deadlock), the source never
below zero, and two entries (out of one, into the other) linked by the credit's ``counterpart``."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.org.models import Branch, User

from ..models import Card, StoredValueAccount, StoredValueEntry, StoredValueKind
from ._base import _check_amount, _check_usable, _post_value
from .points import counter_store_id


@transaction.atomic
def stored_value_transfer(*, actor: User, source: Card, target: Card, amount: Decimal, reason: str = "",
                          branch: Branch | None = None) -> tuple[StoredValueEntry, StoredValueEntry]:
    """Move ``amount`` of stored value from ``source`` to ``target`` (both active and in the actor's scope);
    :class:`InsufficientValueError` when the source holds less. Returns (debit, credit)."""
    _check_amount(amount)
    if source.pk == target.pk:
        raise ValidationError({"to": [_("Choose another card to transfer to.")]})
    _check_usable(actor, source, "loyalty.add_pointsentry")
    try:
        _check_usable(actor, target, "loyalty.add_pointsentry")
    except ValidationError as error:
        raise ValidationError({"to": error.messages}) from None
    for card in (source, target):
        StoredValueAccount.objects.get_or_create(card=card, defaults={"customer_id": card.customer_id})
    accounts = {a.card_id: a for a in StoredValueAccount.objects.select_for_update()
                .filter(card_id__in=[source.pk, target.pk]).order_by("pk")}
    text = (reason or "").strip()[:120] or _("Transfer from card %(from)s to card %(to)s") % {
        "from": source.number[-4:], "to": target.number[-4:]}
    branch_id = branch.pk if branch else (counter_store_id(actor) or source.branch_id)
    debit = _post_value(accounts[source.pk], kind=StoredValueKind.TRANSFER, amount=-amount, actor=actor,
                        branch_id=branch_id, reason=text)
    credit = _post_value(accounts[target.pk], kind=StoredValueKind.TRANSFER, amount=amount, actor=actor,
                         branch_id=branch_id, reason=text, counterpart=debit)
    return debit, credit
