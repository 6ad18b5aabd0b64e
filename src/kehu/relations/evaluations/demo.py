"""Demo data of relationship evaluation: the standard template (seed 001) and a year of monthly evaluations of the
demo's key customers, computed from the demo's contacts and purchases by the same set-based run as ``kehu evaluate``
(one run per month end, a few queries and bulk INSERTs each), so the trend follows the data. A registered demo step
(order 110, after the contacts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def month_ends(today: dt.date, months: int = 12) -> list[dt.date]:
    """The last day of each of the ``months`` months before today's, oldest first."""
    ends = []
    first = today.replace(day=1)
    for _index in range(months):
        end = first - dt.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return list(reversed(ends))


def load_evaluations_demo(*, customers: list[Any], users: dict[str, Any], seed: int,
                          today: dt.date | None = None) -> int:
    from ..models import EvaluationIndicator, EvaluationTemplate
    from .defaults import install
    from .services import evaluation_run

    template = install(EvaluationTemplate, EvaluationIndicator)
    keys = [customer.pk for customer in customers if customer.management_class == "key"]
    created = 0
    for end in month_ends(today or timezone.localdate()):
        made, _skipped = evaluation_run(as_of=end, template=template, customer_ids=keys)  # type: ignore[arg-type]
        created += made
    return created
