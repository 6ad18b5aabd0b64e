"""Stored value: top-up, spend, refund, and the daily figures per store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.models import Branch, User

from ..models import (
    Card,
    StoredValueAccount,
    StoredValueEntry,
    StoredValueKind,
)
from ._base import (
    _check_amount,
    _check_usable,
    _post_value,
)


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


def stored_value_daily(*, day: dt.date) -> list[dict[str, Any]]:
    """Per store, the day's stored value topped up, spent and refunded (one aggregate query): the daily
    reconciliation a store checks against its till."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    entries = StoredValueEntry.objects.filter(created_at__gte=start, created_at__lt=start + dt.timedelta(days=1))
    return list(entries.order_by().values("branch_id", "branch__name", "kind").annotate(total=Sum("amount"))
                .order_by("branch__name", "kind"))
