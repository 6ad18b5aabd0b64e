"""Expiry of points, first in first out, with notice ahead."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.models import User

from ..models import (
    EntryKind,
    PointsAccount,
    PointsEntry,
    Programme,
)
from .earning import _balances_write


def _expiring(programme: Programme, cutoff: dt.datetime) -> list[dict[str, Any]]:
    """Per open account of ``programme``: the points earned before ``cutoff`` still unused, first in first out.

    Every debit (redemption, expiry, reversal, negative adjustment or transfer) uses the oldest points first, so the
    points of earnings before the cutoff still left are ``max(0, credited before the cutoff − all debits)``, capped
    by the balance: one aggregate query, no walk through each account's entries."""
    credited = (PointsEntry.objects.filter(account_id=OuterRef("pk"), points__gt=0, created_at__lt=cutoff)
                .order_by().values("account_id").annotate(total=Sum("points")).values("total"))
    debited = (PointsEntry.objects.filter(account_id=OuterRef("pk"), points__lt=0).order_by().values("account_id")
               .annotate(total=Sum("points")).values("total"))
    rows = (PointsAccount.objects.filter(membership__programme=programme, membership__closed_at__isnull=True,
                                         balance__gt=0)
            .annotate(old=Coalesce(Subquery(credited), Value(0)), used=Coalesce(Subquery(debited), Value(0)))
            .filter(old__gt=-F("used")).values("id", "customer_id", "balance", "old", "used",
                                                 "customer__owner_id"))
    result = []
    for row in rows:
        points = min(row["old"] + row["used"], row["balance"])
        if points > 0:
            result.append({**row, "points": points})
    return result


def points_expire(*, as_of: dt.date | None = None, notice_days: int = 30) -> tuple[int, int]:
    """Expire, first in first out, the points earned more than the programme's ``expiry_days`` before ``as_of``
    (one ``expire`` entry per account, accounts locked in id order), and tell the owners of customers whose points
    expire within ``notice_days`` (one inbox message per owner and date). Returns (points expired, accounts noticed).
    """
    from kehu.work.services import notification_send

    as_of = as_of or timezone.localdate()
    zone = timezone.get_current_timezone()
    expired = noticed = 0
    for programme in Programme.objects.filter(is_active=True, expiry_days__isnull=False):
        days = programme.expiry_days or 0
        cutoff = dt.datetime.combine(as_of - dt.timedelta(days=days), dt.time.min, tzinfo=zone)
        with transaction.atomic():
            due = _expiring(programme, cutoff)
            if due:
                locked = {a.pk: a for a in PointsAccount.objects.select_for_update()
                          .filter(pk__in=[row["id"] for row in due]).order_by("pk")}
                # re-read under the locks: a redemption meanwhile used some of the old points
                due = [row for row in _expiring(programme, cutoff) if row["id"] in locked]
                entries = []
                for row in due:
                    account = locked[row["id"]]
                    account.balance -= row["points"]
                    entries.append(PointsEntry(account_id=account.pk, customer_id=account.customer_id,
                                               kind=EntryKind.EXPIRE, points=-row["points"],
                                               balance_after=account.balance,
                                               reason=_("Earned before %(date)s") % {"date": cutoff.date()}))
                    expired += row["points"]
                PointsEntry.objects.bulk_create(entries, batch_size=5000)
                _balances_write([locked[row["id"]] for row in due])
            ahead = _expiring(programme, cutoff + dt.timedelta(days=notice_days))
            per_owner: dict[int, int] = defaultdict(int)
            for row in ahead:
                if row["customer__owner_id"]:
                    per_owner[row["customer__owner_id"]] += 1
            for owner in User.objects.filter(pk__in=list(per_owner)):
                notification_send(
                    recipients=[owner], kind="loyalty_points_expiring",
                    title=_("Points of %(count)d of your customers expire within %(days)d days")
                    % {"count": per_owner[owner.pk], "days": notice_days},
                    body=_("Programme %(programme)s, as of %(date)s.") % {"programme": programme.name,
                                                                          "date": as_of.isoformat()},
                    url="/loyalty/", dedupe_key=f"loyalty-expiring:{programme.pk}:{as_of.isoformat()}")
            noticed += len(ahead)
    return expired, noticed
