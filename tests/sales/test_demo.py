"""The demo's year of leads (``kehu demo --no-serve``, small): every source and status, dated over the past year,
with contacts and timelines, some in the pool; a lead entered with a demo customer's mobile is a duplicate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.sales.models import Lead, LeadContact, LeadEvent, LeadSource, LeadStatus
from tests.demo.test_demo import run_demo


@pytest.mark.django_db
def test_demo_has_a_year_of_leads_across_sources_and_statuses(api_as):
    run_demo()
    today = timezone.localdate()
    leads = Lead.objects.all()
    assert leads.count() > 300
    assert set(leads.values_list("source", flat=True)) == set(LeadSource.values)
    assert set(leads.values_list("status", flat=True)) == set(LeadStatus.values)
    first = timezone.localtime(leads.order_by("created_at").first().created_at).date()
    assert today - dt.timedelta(days=366) <= first <= today - dt.timedelta(days=300)
    assert leads.filter(owner__isnull=True).exists()  # the pool
    assert not leads.filter(status="disqualified", disqualify_reason="").exists()
    assert LeadContact.objects.count() > leads.count() // 2
    assert LeadEvent.objects.filter(kind="created").count() == leads.count()
    # old leads are mostly decided, recent ones mostly open
    old = leads.filter(created_at__lt=timezone.now() - dt.timedelta(days=200))
    assert old.filter(status__in=["converted", "disqualified"]).count() > old.count() // 2
    customer = Customer.objects.exclude(mobile="").first()
    from kehu.org.models import User

    admin = api_as(User.objects.get(username="admin"))
    response = admin.post("/api/leads", {"name": "测试", "mobile": customer.mobile})
    assert response.status_code == 409 and response.json()["error"]["code"] == "duplicate"
