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


def test_each_lost_record_has_its_win_back_task_in_a_believable_state(make_customer, users, make_user, org):
    """Done (with an outcome, for the customers won back and most lost long ago), cancelled or open: not due yet for
    the customers lost this week, overdue for the others; for the customer's active owner, else who marked them."""
    from django.contrib.contenttypes.models import ContentType

    from kehu.customers.models import Customer
    from kehu.work.models import Task

    owner = users["account_manager"]
    gone = make_user("account_manager", org["sh1"], username="left1")
    lost = [make_customer(f"流失{index}", owner=owner if index % 3 else None) for index in range(60)]
    lost.append(make_customer("离职者的客户", owner=gone))
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    current = [make_customer(f"在册{index}", owner=owner) for index in range(200)]
    Customer.objects.filter(pk__in=[c.pk for c in lost]).update(lifecycle_status="lost")
    Customer.objects.filter(pk__in=[c.pk for c in current]).update(lifecycle_status="current")

    demo_steps.get("lost").loader(customers=lost + current, users={"admin": users["administrator"]}, seed=3)

    records = {record.pk: record for record in LostRecord.objects.all()}
    tasks = list(Task.objects.filter(kind="win_back"))
    source_type = ContentType.objects.get_for_model(LostRecord)
    assert len(tasks) == len(records) and {task.source_id for task in tasks} == set(records)
    assert all(task.source_type_id == source_type.pk for task in tasks)
    today = timezone.localdate()
    owners = dict(Customer.objects.values_list("pk", "owner_id"))
    states = {"done": 0, "cancelled": 0, "not due": 0, "overdue": 0}
    for task in tasks:
        record = records[task.source_id]
        assert task.customer_id == record.customer_id and task.title.endswith(
            Customer.objects.get(pk=record.customer_id).name)
        assert task.due_date == timezone.localdate(record.lost_at) + dt.timedelta(days=7)
        expected_owner = owner.pk if owners[record.customer_id] == owner.pk else users["administrator"].pk
        assert task.owner_id == expected_owner
        if record.won_back_at is not None:
            assert task.status == Task.Status.DONE and record.lost_at < task.completed_at <= record.won_back_at
        if task.status == Task.Status.OPEN:
            assert task.completed_at is None and not task.outcome
            states["not due" if task.due_date >= today else "overdue"] += 1
        else:
            assert task.outcome and record.lost_at < task.completed_at <= timezone.now()
            states[task.status] += 1
    assert states["done"] and states["not due"] and states["overdue"], states
    # each on its customer's timeline
    assert set(Activity.objects.filter(kind="task", subject_id__in=[task.pk for task in tasks])
               .values_list("subject_id", flat=True)) == {task.pk for task in tasks}

