"""The "Satisfaction" panel of the customer 360 page: the last CSAT and NPS answers and the averages over the last
12 months (2 queries for any number of customers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel


def satisfaction_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    from kehu.service.models import SurveyResponse

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"csat": None, "nps": None, "csat_average": None, "nps_average": None,
                                            "csat_count": 0, "nps_count": 0} for pk in ids}
    if not ids:
        return data
    since = timezone.now() - dt.timedelta(days=365)
    rows = (SurveyResponse.objects.filter(customer_id__in=ids).values("customer_id", "kind")
            .annotate(last=Max("answered_at"), average=Avg("score", filter=Q(answered_at__gte=since)),
                      count=Count("id", filter=Q(answered_at__gte=since))))
    newest: dict[tuple[int, str], Any] = {}
    for row in rows:
        entry = data[row["customer_id"]]
        kind = row["kind"]
        entry[f"{kind}_average"] = round(row["average"], 1) if row["average"] is not None else None
        entry[f"{kind}_count"] = row["count"]
        newest[(row["customer_id"], kind)] = row["last"]
    if newest:
        for response in (SurveyResponse.objects.filter(customer_id__in=ids, answered_at__in=set(newest.values()))
                         .order_by("answered_at", "id")):
            if newest.get((response.customer_id, response.kind)) == response.answered_at:
                data[response.customer_id][response.kind] = response
    return data


SATISFACTION_PANEL = CustomerPanel(
    key="satisfaction", title=_("Satisfaction"), order=45, loader=satisfaction_panel_load,
    template="service/surveys/_panel.html", permission="service.view_surveyresponse", queries=2,
)
