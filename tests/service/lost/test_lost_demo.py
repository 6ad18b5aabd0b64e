"""The demo step "Lost customers": a record for every lost customer (reasons from the list, dated within the past
year, on the timeline), some current customers lost earlier and won back, nothing written a second time."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.core.registry import demo_steps
from kehu.customers.models import Activity
from kehu.service.models import LostRecord
from kehu.service.models.lost import LostReason

pytestmark = pytest.mark.django_db


def test_the_demo_step_writes_a_believable_year(make_customer, users):
    from kehu.customers.models import Customer

    lost = [make_customer(f"流失{index}") for index in range(12)]
    current = [make_customer(f"在册{index}") for index in range(150)]
    Customer.objects.filter(pk__in=[c.pk for c in lost]).update(lifecycle_status="lost")
    Customer.objects.filter(pk__in=[c.pk for c in current]).update(lifecycle_status="current")
    step = demo_steps.get("lost")
    assert step is not None and step.order > demo_steps.get("tickets").order

    written = step.loader(customers=lost + current, users={"admin": users["administrator"]}, seed=3)

    records = list(LostRecord.objects.all())
    assert written == len(records) > 12
    lost_ids = {c.pk for c in lost}
    assert lost_ids <= {r.customer_id for r in records}
    assert all(r.won_back_at is None for r in records if r.customer_id in lost_ids)
    won_back = [r for r in records if r.customer_id not in lost_ids]
    assert won_back and all(r.won_back_at and r.won_back_at > r.lost_at and r.won_back_by for r in won_back)
    now = timezone.now()
    assert all(now - dt.timedelta(days=366) < r.lost_at < now for r in records)
    assert {r.reason for r in records} <= set(LostReason.values) and all(r.details for r in records)
    assert Activity.objects.filter(kind="lost").count() == len(records)
    assert step.loader(customers=lost + current, users={}, seed=3) == 0
    assert LostRecord.objects.count() == len(records)
