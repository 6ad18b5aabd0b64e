"""Redeeming points at the counter."""

from __future__ import annotations

from django.db import transaction

from kehu.org.models import Branch, User

from ..models import (
    Card,
    EntryKind,
    PointsEntry,
)
from ._base import (
    _check_points,
    _post,
    _usable_card,
)


@transaction.atomic
def points_redeem(*, actor: User, card: Card, points: int, reason: str = "", branch: Branch | None = None,
                  idempotency_key: str | None = None) -> PointsEntry:
    """Redeem ``points`` (full or partial use of the balance) at the counter; never below zero
    (:class:`InsufficientPointsError`). The entry names the store where the points were used (settlement between
    stores): ``branch`` when given, else the store of the staff member at the counter, else the card's."""
    _check_points(points)
    account = _usable_card(actor, card, "loyalty.add_pointsentry")
    store_id = branch.pk if branch else counter_store_id(actor)
    return _post(account, kind=EntryKind.REDEEM, points=-points, actor=actor, card=card,
                 branch_id=store_id or card.branch_id, reason=reason[:200], idempotency_key=idempotency_key)


def counter_store_id(actor: User) -> int | None:
    """The store a staff member works at when they belong to exactly one store (a till's user); else None."""
    stores = list(actor.branches.filter(kind=Branch.Kind.STORE).values_list("pk", flat=True)[:2])
    return stores[0] if len(stores) == 1 else None
