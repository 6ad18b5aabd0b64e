"""Redeeming points at the counter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.models import Branch, User

from ..models import (
    Card,
    EntryKind,
    PointsAccount,
    PointsEntry,
)
from ._base import (
    InsufficientPointsError,
    _check_points,
    _check_usable,
    _post,
)


def points_redeem(*, actor: User, card: Card, points: int, reason: str = "", branch: Branch | None = None,
                  idempotency_key: str | None = None) -> PointsEntry:
    """Redeem ``points`` (full or partial use of the balance) at the counter; never below zero
    (:class:`InsufficientPointsError`). The entry names the store where the points were used (settlement between
    stores): ``branch`` when given, else the store of the staff member at the counter, else the card's.

    The checks (permission, the card's member in the actor's scope, the card active) read nothing under a lock;
    the write is ONE statement: the account's conditional ``UPDATE … RETURNING`` (its row lock held only for that
    statement, or until the caller's transaction ends) feeding the entry's ``INSERT``, the counter's store found
    in the same statement."""
    _check_points(points)
    _check_usable(actor, card, "loyalty.add_pointsentry")
    if card.membership_id is None:
        raise ValidationError({"card": [_("This card belongs to no member.")]})
    if connection.vendor != "postgresql":  # SQLite has no UPDATE in a WITH: lock, append, move (one process)
        with transaction.atomic():
            account = PointsAccount.objects.select_for_update().get(membership_id=card.membership_id)
            store_id = branch.pk if branch else counter_store_id(actor)
            return _post(account, kind=EntryKind.REDEEM, points=-points, actor=actor, card=card,
                         branch_id=store_id or card.branch_id, reason=reason[:200], idempotency_key=idempotency_key)
    now = timezone.now()
    quote = connection.ops.quote_name
    user_branches = quote(User.branches.through._meta.db_table)
    store = ("(SELECT CASE WHEN COUNT(*) = 1 THEN MIN(b.id) END FROM "  # the actor's store when exactly one
             f"{quote(Branch._meta.db_table)} b INNER JOIN {user_branches} ub ON ub.branch_id = b.id "
             "WHERE ub.user_id = %s AND b.kind = %s)")
    branch_params: list[Any] = [branch.pk] if branch else [actor.pk, str(Branch.Kind.STORE)]
    branch_sql = "%s" if branch else store
    sql = (f"WITH moved AS (UPDATE {quote(PointsAccount._meta.db_table)} SET balance = balance - %s, "  # noqa: S608
           "updated_at = %s WHERE membership_id = %s AND balance >= %s RETURNING id, customer_id, balance) "
           f"INSERT INTO {quote(PointsEntry._meta.db_table)} (account_id, customer_id, kind, points, balance_after, "
           "card_id, branch_id, actor_id, idempotency_key, reason, created_at) "
           f"SELECT id, customer_id, %s, %s, balance, %s, COALESCE({branch_sql}, %s), %s, %s, %s, %s FROM moved "
           "RETURNING id, account_id, customer_id, balance_after, branch_id")
    params = [points, now, card.membership_id, points, EntryKind.REDEEM, -points, card.pk, *branch_params,
              card.branch_id, actor.pk, idempotency_key, reason[:200], now]
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v
                             for v in params])
        row = cursor.fetchone()
    if row is None:  # no account, or not enough points: which one
        balance = PointsAccount.objects.filter(membership_id=card.membership_id).values_list("balance", flat=True)
        if not balance:
            raise PointsAccount.DoesNotExist
        raise InsufficientPointsError(balance[0])
    entry_id, account_id, customer_id, balance_after, branch_id = row
    entry = PointsEntry(id=entry_id, account_id=account_id, customer_id=customer_id, kind=EntryKind.REDEEM,
                        points=-points, balance_after=balance_after, card=card, branch_id=branch_id, actor=actor,
                        idempotency_key=idempotency_key, reason=reason[:200], created_at=now)
    entry._state.adding = False
    return entry


def counter_store_id(actor: User) -> int | None:
    """The store a staff member works at when they belong to exactly one store (a till's user); else None."""
    stores = list(actor.branches.filter(kind=Branch.Kind.STORE).values_list("pk", flat=True)[:2])
    return stores[0] if len(stores) == 1 else None
