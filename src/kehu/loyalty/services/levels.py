"""Level evaluation on a schedule."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.timeline import activity_record_bulk
from kehu.org.models import User
from kehu.purchases.models import Transaction

from ..models import (
    EntryKind,
    Level,
    LevelChange,
    Membership,
    PointsEntry,
    Programme,
)


def levels_evaluate(*, as_of: dt.date | None = None, actor: User | None = None) -> int:
    """Move every membership to the level its spend and points earned over the programme's window (up to ``as_of``)
    qualify it for: set-based (one aggregate query per programme, one UPDATE per target level, bulk history and
    timeline rows, one notification per owner). Returns the number of level changes."""
    from kehu.work.services import notification_send

    as_of = as_of or timezone.localdate()
    changed = 0
    for programme in Programme.objects.filter(is_active=True):
        levels = list(Level.objects.filter(programme=programme).order_by("-rank"))
        if not levels:
            continue
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
        start = end - dt.timedelta(days=programme.window_days)
        spend = (Transaction.objects.filter(customer_id=OuterRef("customer_id"), occurred_at__gte=start,
                                            occurred_at__lt=end).order_by().values("customer_id")
                 .annotate(total=Sum("amount")).values("total"))
        earned = (PointsEntry.objects.filter(account__membership_id=OuterRef("pk"), kind=EntryKind.EARN,
                                             created_at__gte=start, created_at__lt=end).order_by()
                  .values("account_id").annotate(total=Sum("points")).values("total"))
        target = Case(*[When(Q(spend__gte=level.min_spend) & Q(points__gte=level.min_points), then=Value(level.pk))
                        for level in levels], default=Value(levels[-1].pk), output_field=IntegerField())
        rows = list(
            Membership.objects.filter(programme=programme, closed_at__isnull=True)
            .annotate(spend=Coalesce(Subquery(spend, output_field=DecimalField()), Value(Decimal("0")),
                                     output_field=DecimalField()),
                      points=Coalesce(Subquery(earned), Value(0)))
            .annotate(target=target)
            .exclude(level_id=F("target"))
            .values("id", "customer_id", "level_id", "target", "spend", "points", "customer__owner_id",
                    "customer__branch_id"))
        if not rows:
            continue
        by_level = {level.pk: level for level in levels}
        with transaction.atomic():
            targets: dict[int, list[int]] = defaultdict(list)
            for row in rows:
                targets[row["target"]].append(row["id"])
            for level_id, ids in targets.items():
                Membership.objects.filter(pk__in=ids).update(level_id=level_id, level_since=as_of)
            LevelChange.objects.bulk_create([
                LevelChange(membership_id=row["id"], customer_id=row["customer_id"], from_level_id=row["level_id"],
                            to_level_id=row["target"], as_of=as_of, spend=row["spend"], points=row["points"])
                for row in rows], batch_size=5000)
            now = timezone.now()
            activity_record_bulk({
                "customer_id": row["customer_id"], "kind": "level_change", "occurred_at": now,
                "branch_id": row["customer__branch_id"], "actor_id": actor.pk if actor else None,
                "subject_type": "loyalty.membership", "subject_id": row["id"],
                "data": {"from": by_level[row["level_id"]].name if row["level_id"] in by_level else "",
                         "to": by_level[row["target"]].name, "programme": programme.name,
                         "up": (by_level[row["level_id"]].rank if row["level_id"] in by_level else -1)
                         < by_level[row["target"]].rank}} for row in rows)
            per_owner: dict[int, int] = defaultdict(int)
            for row in rows:
                if row["customer__owner_id"]:
                    per_owner[row["customer__owner_id"]] += 1
            owners = User.objects.filter(pk__in=list(per_owner))
            for owner in owners:
                notification_send(
                    recipients=[owner], kind="loyalty_level_change",
                    title=_("Member levels changed for %(count)d of your customers") % {"count": per_owner[owner.pk]},
                    body=_("Programme %(programme)s, as of %(date)s.") % {"programme": programme.name,
                                                                          "date": as_of.isoformat()},
                    url="/loyalty/", dedupe_key=f"loyalty-levels:{programme.pk}:{as_of.isoformat()}")
        changed += len(rows)
    return changed
