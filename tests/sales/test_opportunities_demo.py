"""The demo step of opportunities (order 125): a believable pipeline over the year, dated relative to today, with
lines, stage history and timeline rows; the forecast and the board work on it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.core.registry import demo_step_list
from kehu.customers.models import Activity
from kehu.sales.models import Opportunity, OpportunityLine, StageChange
from kehu.sales.opportunities.demo import load_opportunities_demo
from kehu.sales.opportunities.forecast import forecast

pytestmark = pytest.mark.django_db


def test_demo_step_writes_a_year_of_deals(customers, products, users, client):
    assert [step.order for step in demo_step_list() if step.key == "opportunities"] == [125]
    written = load_opportunities_demo(customers=list(customers.values()), users=users, seed=3, count=300)
    assert written == 300 == Opportunity.objects.count()
    rows = Opportunity.objects.all()
    assert set(rows.values_list("status", flat=True)) == {"open", "won", "lost"}
    assert not rows.filter(status="lost", loss_reason__isnull=True).exists()
    first = timezone.localtime(rows.order_by("created_at").first().created_at).date()
    assert first >= timezone.localdate() - dt.timedelta(days=366)
    assert rows.filter(status="open", expected_close__gte=timezone.localdate()).count() > 10
    assert OpportunityLine.objects.count() >= 300
    assert StageChange.objects.filter(from_stage__isnull=True).count() == 300
    assert Activity.objects.filter(kind="opportunity").count() == StageChange.objects.count()
    # every amount is the sum of its lines
    for opportunity in rows.prefetch_related("lines")[:50]:
        assert opportunity.amount == sum(line.amount for line in opportunity.lines.all())
    result = forecast(user=users["administrator"])
    assert result.total.count > 0 and result.funnel[0].reached > result.funnel[-1].reached > 0
    assert result.rates
    client.force_login(users["administrator"])
    assert client.get("/sales/board/").status_code == 200
