"""The demo step "Tickets": teams with the agent, categories and a year of tickets with history, in bulk."""

from __future__ import annotations

import pytest

from kehu.core.registry import demo_steps
from kehu.service.models import ServiceTeam, Ticket, TicketMessage, TicketStatusChange

pytestmark = pytest.mark.django_db


def test_the_demo_step_writes_a_believable_year(make_customer, users, org, client):
    from kehu.customers.models import Activity, Customer

    step = demo_steps.get("tickets")
    assert step is not None and step.order == 130
    make_customer("甲"), make_customer("乙", branch=org["bj1"])
    customers = list(Customer.objects.select_related("branch"))
    count = step.loader(customers=customers, users={"agent": users["service_agent"]}, seed=1)
    assert count == Ticket.objects.count() > 365
    assert ServiceTeam.objects.filter(members=users["service_agent"]).count() == 4  # two per region
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"received", "closed", "reviewed"} <= statuses
    assert TicketStatusChange.objects.count() >= count and TicketMessage.objects.filter(kind="note").exists()
    assert Activity.objects.filter(kind="ticket").count() == TicketStatusChange.objects.count()
    client.force_login(users["service_agent"])
    assert client.get("/service/tickets/?mine=on").status_code == 200
    ticket = Ticket.objects.filter(type="complaint", status="closed").first()
    assert ticket is not None and client.get(f"/service/tickets/{ticket.pk}/").status_code == 200
