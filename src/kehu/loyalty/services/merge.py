"""Merging customers: memberships and ledger rows follow the kept customer."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.models import User

from ..models import (
    Card,
    EntryKind,
    LevelChange,
    Membership,
    PartnerExchange,
    PointsAccount,
    PointsAdjustment,
    PointsEntry,
    StoredValueAccount,
    StoredValueEntry,
)
from ._base import (
    _post,
)


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
    PartnerExchange.objects.filter(customer=merge).update(customer=keep)


def merge_ledger_rows(*, keep: Customer, merge: Customer, actor: User | None = None, field_name: str = "") -> None:
    """Ledger rows (accounts, entries, history, adjustments, cards) are dealt with by :func:`merge_memberships`."""
