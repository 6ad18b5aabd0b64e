"""Demo data the staff KPIs need (a registered demo step, after the contacts): the demo customers' creation is
credited to their account manager in the audit history (the generator writes it without a user), and each account
manager completes the profiles of some of their customers every month of the past year (a changed-profile history
row by them), so the KPI page shows believable information figures. Written in bulk: one UPDATE per history table
and one INSERT per 2,000 history rows."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

# profiles completed per account manager and month (seed 001's quota is 50 a month)
COMPLETED_PER_MONTH = (25, 60)
CHANGE_REASON = "Demo: profile completed"


def load_kpi_demo(*, customers: list[Any], users: dict[str, Any], seed: int, today: dt.date | None = None) -> int:
    """Returns the number of profile changes written."""
    from kehu.customers.models import Customer, OrganisationProfile, PersonProfile

    from .selectors import add_months, company_zone

    ids = [customer.pk for customer in customers]
    owner_of = Customer.objects.filter(pk=OuterRef("id")).values("owner_id")[:1]
    Customer.history.filter(id__in=ids, history_type="+", history_user__isnull=True).update(  # type: ignore[attr-defined]
        history_user_id=Subquery(owner_of))

    rng = random.Random(seed * 104729 + 7)
    zone = company_zone()
    day = today or timezone.now().astimezone(zone).date()
    by_owner: dict[int, list[Any]] = defaultdict(list)
    for customer in customers:
        if customer.owner_id is not None:
            by_owner[customer.owner_id].append(customer.pk)
    chosen: dict[int, tuple[dt.datetime, int]] = {}  # customer id → (time, owner id): one completion per customer
    this_month = day.replace(day=1)
    for owner_id, owned in sorted(by_owner.items()):
        pool = owned[:]
        rng.shuffle(pool)
        for back in range(12):
            month = add_months(this_month, -back)
            last = min(add_months(month, 1) - dt.timedelta(days=1), day)
            span = (last - month).days + 1
            wanted = round(rng.randint(*COMPLETED_PER_MONTH) * span / 30)
            for _index in range(min(wanted, len(pool))):
                customer_id = pool.pop()
                moment = dt.datetime.combine(month + dt.timedelta(days=rng.randrange(span)),
                                             dt.time(rng.randint(9, 17), rng.randrange(60)), tzinfo=zone)
                chosen[customer_id] = (min(moment, timezone.now()), owner_id)
    staff = {user.pk: user for user in users.values()}
    written = 0
    for model in (PersonProfile, OrganisationProfile):
        profiles: list[Any] = list(model.objects.filter(customer_id__in=list(chosen)))
        for profile in profiles:
            moment, owner_id = chosen[profile.customer_id]
            profile._history_date = moment  # type: ignore[attr-defined]  # read by bulk_history_create
            profile._history_user = staff.get(owner_id)  # type: ignore[attr-defined]
        model.history.bulk_history_create(  # type: ignore[attr-defined]
            profiles, update=True, batch_size=2000, default_change_reason=CHANGE_REASON)
        written += len(profiles)
    return written

