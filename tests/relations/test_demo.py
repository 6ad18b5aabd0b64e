"""The demo's year of contacts and today's tasks (``kehu demo --no-serve``, small)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from kehu.customers.models import Activity, Customer
from kehu.relations.models import ContactRecord
from kehu.work.models import Task
from tests.demo.test_demo import run_demo


@pytest.mark.django_db
def test_demo_has_a_year_of_contacts_and_open_tasks_around_today():
    run_demo()
    today = timezone.localdate()
    contacts = ContactRecord.objects.all()
    assert contacts.count() > Customer.objects.count()  # more than one a customer on average over a year
    first = timezone.localtime(contacts.order_by("occurred_at").first().occurred_at).date()
    last = timezone.localtime(contacts.order_by("-occurred_at").first().occurred_at).date()
    assert today - dt.timedelta(days=366) <= first and last < today
    assert set(contacts.values_list("channel", flat=True)) >= {"phone", "visit", "sms", "gift", "event"}
    # key customers are contacted more often than regular ones
    per_class = dict(contacts.values("customer__management_class").annotate(n=Count("id"))
                     .values_list("customer__management_class", "n"))
    classes = dict(Customer.objects.values("management_class").annotate(n=Count("id"))
                   .values_list("management_class", "n"))
    assert per_class["key"] / classes["key"] > per_class["regular"] / classes["regular"]
    open_tasks = Task.objects.filter(status=Task.Status.OPEN)
    assert open_tasks.filter(due_date__lt=today).exists() and open_tasks.filter(due_date__gte=today).exists()
    assert all(task.owner_id == task.customer.owner_id for task in open_tasks.select_related("customer")[:50])
    # every contact is on the timeline once: as a contact, or (attending an event, receiving a gift) as that
    assert Activity.objects.filter(kind__in=["contact", "event", "gift"]).count() == contacts.count()
