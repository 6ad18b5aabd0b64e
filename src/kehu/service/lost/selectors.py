"""Lost customers' reads: the list in the user's scope and the lost rate per month by reason, tier or branch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import branch_ids_in_scope

from ..models import LostReason, LostRecord

GROUPS = ("reason", "tier", "branch")
MONTHS = 12


def lost_list(*, user: User, reason: str = "", open_only: bool = False) -> QuerySet[LostRecord]:
    """The lost records of the customers in the user's branches, newest first (none without the permission)."""
    if not user.has_perm("service.view_lostrecord"):
        return LostRecord.objects.none()
    rows = LostRecord.objects.filter(customer__in=Customer.objects.visible_to(user).values("pk"))
    if reason:
        rows = rows.filter(reason=reason)
    if open_only:
        rows = rows.filter(won_back_at__isnull=True)
    return rows.select_related("customer", "branch", "marked_by").order_by("-lost_at", "-id")


def _month_starts(end: dt.date, months: int) -> list[dt.datetime]:
    """The first instants (Asia/Shanghai) of the ``months`` months up to the one of ``end``, and of the month after."""
    tz = timezone.get_current_timezone()
    year, month = end.year, end.month
    starts: list[dt.datetime] = []
    for _index in range(months + 1):
        starts.append(dt.datetime(year, month, 1, tzinfo=tz))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    starts.append(dt.datetime(end.year + (end.month == 12), end.month % 12 + 1, 1, tzinfo=tz))
    return starts[1:]


@dataclass
class LostRateRow:
    key: str
    label: str
    lost: list[int] = field(default_factory=list)
    base: list[int] = field(default_factory=list)

    @property
    def rates(self) -> list[float | None]:
        pairs = zip(self.lost, self.base, strict=True)
        return [round(100.0 * lost / base, 2) if base else None for lost, base in pairs]

    @property
    def total_lost(self) -> int:
        return sum(self.lost)


@dataclass
class LostRate:
    group: str
    months: list[dt.date]
    rows: list[LostRateRow]
    total: LostRateRow


def lost_rate(*, user: User, group: str = "reason", end: dt.date | None = None, months: int = MONTHS) -> LostRate:
    """Per month of the last ``months`` (to ``end``'s): customers lost in the month / customers at the start of the
    month (created before it and not lost then), by reason, primary tier or branch as they were when lost; the
    customers at the start are counted by their current tier and branch (reason: all of them). Three queries
    whatever the number of customers (conditional counts, one column per month)."""
    from kehu.org.models import Branch

    if group not in GROUPS:
        raise ValueError(group)
    end = end or timezone.localdate()
    bounds = _month_starts(end, months)  # months + 1 instants
    starts = bounds[:-1]
    ids = branch_ids_in_scope(user)
    records = LostRecord.objects.all() if ids is None else LostRecord.objects.filter(branch_id__in=ids)
    customers = Customer.objects.visible_to(user)
    record_key = {"reason": "reason", "tier": "tier", "branch": "branch_id"}[group]
    lost_counts = records.filter(lost_at__gte=bounds[0], lost_at__lt=bounds[-1]).values(record_key).annotate(**{
        f"m{index}": Count("pk", filter=Q(lost_at__gte=bounds[index], lost_at__lt=bounds[index + 1]))
        for index in range(months)})
    base_key = {"reason": None, "tier": "primary_tier__tier", "branch": "branch_id"}[group]
    base_aggregates = {f"m{index}": Count("pk", filter=Q(created_at__lt=start)) for index, start in enumerate(starts)}
    gone_aggregates = {f"m{index}": Count("pk", filter=Q(lost_at__lt=start) & (
        Q(won_back_at__isnull=True) | Q(won_back_at__gte=start))) for index, start in enumerate(starts)}
    gone_key = record_key
    if base_key is None:
        base_rows = [{"key": None, **customers.aggregate(**base_aggregates)}]
        gone_rows = [{"key": None, **records.aggregate(**gone_aggregates)}]
    else:
        base_rows = [{"key": row.pop(base_key), **row}
                     for row in customers.order_by().values(base_key).annotate(**base_aggregates)]
        gone_rows = [{"key": row.pop(gone_key), **row}
                     for row in records.order_by().values(gone_key).annotate(**gone_aggregates)]
    base: dict[Any, list[int]] = {row["key"]: [row[f"m{i}"] or 0 for i in range(months)] for row in base_rows}
    for row in gone_rows:
        current = base.setdefault(row["key"], [0] * months)
        for index in range(months):
            current[index] = max(0, current[index] - (row[f"m{index}"] or 0))
    total_base = [sum(values[index] for values in base.values()) for index in range(months)]
    lost: dict[Any, list[int]] = {row[record_key]: [row[f"m{i}"] for i in range(months)] for row in lost_counts}
    if group == "reason":
        labels = {str(value): str(label) for value, label in LostReason.choices}
        keys: list[Any] = list(LostReason.values)
        base = {key: total_base for key in keys}
    elif group == "tier":
        labels = {}
        keys = sorted({key or "" for key in [*lost, *base]})
        lost = {(key or ""): value for key, value in lost.items()}
        base = {(key or ""): value for key, value in base.items()}
    else:
        keys = sorted({key for key in [*lost, *base] if key is not None})
        labels = {str(pk): name for pk, name in Branch.objects.filter(pk__in=keys).values_list("pk", "name")}
    rows = [LostRateRow(key=str(key), label=labels.get(str(key), str(key)) or "—", lost=lost.get(key, [0] * months),
                        base=base.get(key, [0] * months)) for key in keys]
    total_lost = [sum(row.lost[index] for row in rows) for index in range(months)]
    total = LostRateRow(key="", label="", lost=total_lost, base=total_base)
    return LostRate(group=group, months=[start.date() for start in starts], rows=rows, total=total)
