"""The demo step "Satisfaction surveys" (order 136): invitations for the closed tickets, a quarterly NPS wave, answers
with believable scores and their timeline rows; it tolerates no tickets."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.core.registry import demo_steps
from kehu.customers.models import Activity, Customer
from kehu.service.models import SurveyInvitation, SurveyResponse, Ticket

pytestmark = pytest.mark.django_db


def test_demo_step_writes_a_year_of_surveys(surveyed, make_customer):
    step = demo_steps["surveys"]
    assert step.order == 136
    assert step.loader(customers=[], users={}, seed=1) == {"invitations": 0, "responses": 0}
    customers = [make_customer(f"演示{n}", email=f"d{n}@example.com") for n in range(40)]
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(lifecycle_status="current")
    customers = list(Customer.objects.filter(pk__in=[c.pk for c in customers]))
    now = timezone.now()
    for n, customer in enumerate(customers):
        ticket = surveyed["ticket"](customer, kind="complaint" if n % 5 == 0 else "inquiry")
        Ticket.objects.filter(pk=ticket.pk).update(status="closed", closed_at=now - dt.timedelta(days=9 * n))
    surveyed["ticket"](customers[0])  # still open: no survey
    result = step.loader(customers=customers, users={}, seed=7)
    csat = SurveyInvitation.objects.filter(kind="csat")
    nps = SurveyInvitation.objects.filter(kind="nps")
    assert csat.count() == 40 and set(nps.values_list("period", flat=True)).__len__() == 4
    assert nps.count() == 4 * 4
    responses = SurveyResponse.objects.all()
    assert result == {"invitations": 56, "responses": responses.count()} and 8 <= responses.count() <= 40
    assert all(1 <= r.score <= 5 for r in responses.filter(kind="csat"))
    assert all(0 <= r.score <= 10 for r in responses.filter(kind="nps"))
    assert not SurveyInvitation.objects.filter(status="answered", answered_at__isnull=True).exists()
    assert Activity.objects.filter(kind="survey").count() == responses.count()
    oldest = timezone.localtime(csat.order_by("created_at").first().created_at).date()
    assert oldest <= timezone.localdate() - dt.timedelta(days=300)
