"""A first response or a resolution made after its due time is recorded as its breach (like the check job's for one
still awaited), once; the demo step seeds default policies and gives the demo tickets their clocks and past
breaches."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.service.models import SlaEvent, SlaPolicy, TicketSla
from kehu.service.sla.services import sla_check

pytestmark = pytest.mark.django_db


def test_a_late_first_reply_and_a_late_resolution_record_their_breaches_once(make_ticket, policies, api_as):
    ticket = make_ticket(timezone.now() - dt.timedelta(days=14))  # 'any': response 240 min, resolution 2400 min
    on_time = make_ticket(timezone.now())
    api = api_as("service_agent")
    assert not SlaEvent.objects.exists()

    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "note", "body": "内部备注"}).status_code == 201
    assert not SlaEvent.objects.exists()  # a note is no response
    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "reply", "body": "您好"}).status_code == 201
    assert api.post(f"/api/tickets/{on_time.pk}/messages", {"kind": "reply", "body": "您好"}).status_code == 201
    ticket.refresh_from_db()
    event = SlaEvent.objects.get()
    assert (event.ticket_id, event.kind, event.at) == (ticket.pk, "breach_response", ticket.first_response_due)
    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "reply", "body": "补充"}).status_code == 201
    assert SlaEvent.objects.count() == 1

    for status in ("accepted", "resolved"):
        assert api.post(f"/api/tickets/{ticket.pk}/transition", {"to": status}).status_code == 200
    kinds = sorted(SlaEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["breach_resolution", "breach_response"]
    assert sla_check().breaches == 0  # the job finds them written
    assert not SlaEvent.objects.filter(ticket=on_time).exists()


def test_the_demo_step_seeds_policies_clocks_and_past_breaches(make_ticket, customers, users):
    from kehu.core.registry import demo_steps
    from kehu.service.sla.demo import DEFAULT_POLICIES

    old = make_ticket(timezone.now() - dt.timedelta(days=30))  # no policy yet: no clock
    fresh = make_ticket(timezone.now())
    assert old.first_response_due is None and not TicketSla.objects.filter(policy__isnull=False).exists()
    step = demo_steps.get("sla")
    assert step is not None and step.order > demo_steps.get("tickets").order

    assert step.loader(customers=[], users=users, seed=1) == 2
    assert SlaPolicy.objects.count() in (len(DEFAULT_POLICIES), len(DEFAULT_POLICIES) - 2)
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.first_response_due is not None and fresh.resolution_due > fresh.created_at
    assert set(SlaEvent.objects.filter(ticket=old).values_list("kind", flat=True)) == {"breach_response",
                                                                                    "breach_resolution"}
    assert not SlaEvent.objects.filter(ticket=fresh).exists()
    assert step.loader(customers=[], users=users, seed=1) == 0  # again: nothing new, policies untouched
    assert SlaPolicy.objects.filter(name="紧急工单").count() == 1
