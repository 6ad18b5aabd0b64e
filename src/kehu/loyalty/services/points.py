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
    (:class:`InsufficientPointsError`)."""
    _check_points(points)
    account = _usable_card(actor, card, "loyalty.add_pointsentry")
    return _post(account, kind=EntryKind.REDEEM, points=-points, actor=actor, card=card,
                 branch_id=branch.pk if branch else card.branch_id, reason=reason[:200],
                 idempotency_key=idempotency_key)
