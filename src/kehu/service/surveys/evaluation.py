"""Computed sources of relationship evaluation indicators provided by service (registered in ``register()``):

- ``csat``: the average CSAT answer (1–5) in the period: 5 earns the full score, 1 none (one aggregate).
- ``complaints``: complaint tickets received in the period, fewer is better: none earns the full score, ``target``
  (default 3) or more earn nothing (one aggregate; every customer asked has a measure, 0 complaints included)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Avg, Count
from django.utils.translation import gettext_lazy as _

from kehu.relations.evaluations.sources import ComputedSource, Measure, Period


def _clamp(value: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), value))


def csat(customer_ids: list[int], period: Period, target: Decimal | None) -> dict[int, Measure]:
    from kehu.service.models import SurveyResponse

    start, end = period.bounds()
    rows = (SurveyResponse.objects.filter(customer_id__in=customer_ids, kind="csat", answered_at__gte=start,
                                          answered_at__lt=end)
            .values("customer_id").annotate(average=Avg("score")).values_list("customer_id", "average"))
    answer = {}
    for pk, average in rows:
        value = Decimal(str(average)).quantize(Decimal("0.01"))
        answer[pk] = Measure(value, _clamp((value - 1) / 4))
    return answer


def complaints(customer_ids: list[int], period: Period, target: Decimal | None) -> dict[int, Measure]:
    from kehu.service.models import Ticket

    worst = target if target and target > 0 else Decimal(3)
    start, end = period.bounds()
    counts = dict(Ticket.objects.filter(customer_id__in=customer_ids, type="complaint", created_at__gte=start,
                                        created_at__lt=end)
                  .values("customer_id").annotate(count=Count("id")).values_list("customer_id", "count"))
    return {pk: Measure(Decimal(counts.get(pk, 0)), _clamp(1 - Decimal(counts.get(pk, 0)) / worst))
            for pk in customer_ids}


CSAT_SOURCE = ComputedSource(key="csat", label=_("Service satisfaction (CSAT surveys)"), compute=csat, unit="/ 5")
COMPLAINTS_SOURCE = ComputedSource(key="complaints", label=_("Complaints (fewer is better)"), compute=complaints,
                                   unit=_("complaints"), uses_target=True)
