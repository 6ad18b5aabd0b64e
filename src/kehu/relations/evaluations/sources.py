"""Computed sources of evaluation indicators: a registry, so that a later module adds its own (service:
"complaints", credit: "credit standing") in its ``AppConfig.ready()`` without editing relations.

A source is a batched function ``compute(customer_ids, period) -> {customer_id: Measure}``: a fixed number of SQL
aggregates whatever the number of customers (the monthly run calls it once per chunk of key customers). A
``Measure`` carries the measured ``value`` (shown as the basis of the score) and ``fraction``, the share of the
indicator's highest score earned (0–1). A customer missing from the answer has no data: fraction 0, value None.
``target`` is the indicator's target (what earns the full score, for sources that count); None when unset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import Registry


@dataclass(frozen=True)
class Period:
    """The evaluation window: [start, end] inclusive dates; ``previous_start`` begins the window of the same length
    before it (growth)."""

    start: dt.date
    end: dt.date

    @property
    def previous_start(self) -> dt.date:
        return self.start - (self.end - self.start) - dt.timedelta(days=1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        return (dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
                dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


@dataclass(frozen=True)
class Measure:
    value: Decimal | None
    fraction: Decimal


@dataclass(frozen=True)
class ComputedSource:
    key: str
    label: Any  # a lazy translation
    compute: Callable[[list[int], Period, Decimal | None], dict[int, Measure]]
    unit: Any = ""
    uses_target: bool = False


sources: Registry[ComputedSource] = Registry("evaluation sources")


def register_source(source: ComputedSource) -> ComputedSource:
    return sources.register(source.key, source)


def source_choices() -> list[tuple[str, str]]:
    """``manual`` and the registered sources, for forms and the API."""
    return [("manual", str(_("Entered by hand")))] + [(key, str(source.label)) for key, source in sources.items()]


def _clamp(value: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), value))


# --- the sources relations provides --------------------------------------------------------------------------------


def share_of_wallet(customer_ids: list[int], period: Period, target: Decimal | None) -> dict[int, Measure]:
    """The customer's recorded share of wallet (0–100 %): the full score at ``target`` % (default 100)."""
    from kehu.customers.models import Customer

    full = target or Decimal(100)
    rows = Customer.objects.filter(pk__in=customer_ids, share_of_wallet__isnull=False).values_list(
        "pk", "share_of_wallet")
    return {pk: Measure(share, _clamp(share / full)) for pk, share in rows if share is not None}


def satisfaction(customer_ids: list[int], period: Period, target: Decimal | None) -> dict[int, Measure]:
    """The average satisfaction (1–5) of the contacts logged in the period: 5 earns the full score, 1 none."""
    from kehu.relations.models import ContactRecord

    start, end = period.bounds()
    rows = (ContactRecord.objects.filter(customer_id__in=customer_ids, occurred_at__gte=start, occurred_at__lt=end,
                                         satisfaction__isnull=False)
            .values("customer_id").annotate(average=Avg("satisfaction")).values_list("customer_id", "average"))
    answer = {}
    for pk, average in rows:
        value = Decimal(str(average)).quantize(Decimal("0.01"))
        answer[pk] = Measure(value, _clamp((value - 1) / 4))
    return answer


def contact_frequency(customer_ids: list[int], period: Period, target: Decimal | None) -> dict[int, Measure]:
    """The contacts logged in the period: ``target`` of them (default 12) earn the full score."""
    from kehu.relations.models import ContactRecord

    full = target or Decimal(12)
    start, end = period.bounds()
    rows = (ContactRecord.objects.filter(customer_id__in=customer_ids, occurred_at__gte=start, occurred_at__lt=end)
            .values("customer_id").annotate(count=Count("id")).values_list("customer_id", "count"))
    return {pk: Measure(Decimal(count), _clamp(Decimal(count) / full)) for pk, count in rows}


def growth(customer_ids: list[int], period: Period, target: Decimal | None) -> dict[int, Measure]:
    """Spend in the period against the period of the same length before it, in % (one aggregate over the
    transactions). ``target`` % growth (default 20) earns the full score, a fall of as much earns none, no change
    half. Spending now after nothing before earns the full score; nothing in either period is no data."""
    from kehu.purchases.models import Transaction

    full = target or Decimal(20)
    start, end = period.bounds()
    previous_start = dt.datetime.combine(period.previous_start, dt.time.min, tzinfo=start.tzinfo)
    rows = (Transaction.objects.filter(customer_id__in=customer_ids, occurred_at__gte=previous_start,
                                       occurred_at__lt=end)
            .values("customer_id")
            .annotate(current=Sum("amount", filter=Q(occurred_at__gte=start)),
                      previous=Sum("amount", filter=Q(occurred_at__lt=start)))
            .values_list("customer_id", "current", "previous"))
    answer = {}
    for pk, current, previous in rows:
        current, previous = current or Decimal(0), previous or Decimal(0)
        if previous <= 0:
            if current > 0:
                answer[pk] = Measure(None, Decimal(1))
            continue
        change = ((current - previous) / previous * 100).quantize(Decimal("0.01"))
        answer[pk] = Measure(change, _clamp(Decimal("0.5") + change / (2 * full)))
    return answer


SHARE_OF_WALLET = ComputedSource("share_of_wallet", _("Share of wallet"), share_of_wallet, unit="%",
                                 uses_target=True)
SATISFACTION = ComputedSource("satisfaction", _("Satisfaction (contact log average)"), satisfaction)
CONTACT_FREQUENCY = ComputedSource("contact_frequency", _("Contacts in the period"), contact_frequency,
                                   uses_target=True)
GROWTH = ComputedSource("growth", _("Growth of spend against the previous period"), growth, unit="%",
                        uses_target=True)
BUILT_IN = (SHARE_OF_WALLET, SATISFACTION, CONTACT_FREQUENCY, GROWTH)
