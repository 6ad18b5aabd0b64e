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
    _strengthening_rows(customers=customers, users=users, seed=seed)
    keys = [customer.pk for customer in customers if customer.management_class == "key"]
    created = 0
    for end in month_ends(today or timezone.localdate()):
        made, _skipped = evaluation_run(as_of=end, template=template, customer_ids=keys)  # type: ignore[arg-type]
        created += made
    return created


LEVELS = [("general_manager", "总经理", "总经理"), ("deputy", "副总经理", "副总经理"),
          ("department_manager", "部门经理", "采购部经理"), ("department_head", "部门主管", "财务主管")]
COMPETITORS = ["", "某同业银行", "城商行", "外资供应商"]
MEASURES = ["每季度高层互访，年度合作座谈", "邀请参加客户联谊会，节日问候",
            "安排技术交流与产品培训", "定期回访，及时处理需求"]


def _strengthening_rows(*, customers: list[Any], users: dict[str, Any], seed: int) -> int:
    """The strengthening table of the key organisations: our general manager, a deputy and department heads paired
    with theirs (names typed in: the demo's contacts are not read back), in one INSERT."""
    import random

    from ..models import StrengtheningRow

    rng = random.Random(seed * 31 + 7)
    by_pk = {user.pk: user for user in users.values()}
    rows = []
    for customer in customers:
        if customer.management_class != "key" or customer.kind != "organisation":
            continue
        owner = by_pk.get(customer.owner_id)
        for level, title, their_title in LEVELS[:rng.randint(2, 4)]:
            strength = rng.randint(1, 4)
            competitor = rng.choice(COMPETITORS)
            rows.append(StrengtheningRow(
                customer_id=customer.pk, our_level=level, our_name=f"本行{title}", our_title=title,
                their_name=f"{customer.name[:2]}{their_title}", their_title=their_title, strength=strength,
                competitor=competitor, competitor_strength=rng.randint(1, 5) if competitor else None,
                measures=rng.choice(MEASURES), schedule=rng.choice(["每月", "每季度", "半年一次"]), owner=owner))
    StrengtheningRow.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
