"""Timeline kinds with a permission: the ``ticket`` kind (its subjects) is left out of the timeline of a user without
``service.view_ticket`` — a marketer sees the customer and its purchases, not its tickets — in the API (items and
count), the timeline page and the 360 page's timeline panel; an agent sees them."""

import pytest

from kehu.core.registry import timeline_kinds
from kehu.customers.timeline import hidden_timeline_kinds

pytestmark = pytest.mark.django_db

SUBJECT = "退款一直没到账"


@pytest.fixture
def customer_with_ticket(make_customer, make_ticket, org):
    customer = make_customer("王芳", branch=org["sh1"])
    make_ticket(customer, SUBJECT)
    return customer


def test_the_ticket_kind_asks_for_the_ticket_permission(users):
    assert timeline_kinds.get("ticket").permission == "service.view_ticket"
    assert "ticket" in hidden_timeline_kinds(users["marketer"])
    assert "ticket" not in hidden_timeline_kinds(users["service_agent"])


def test_the_api_leaves_tickets_out_for_a_marketer_and_shows_them_to_an_agent(api_as, customer_with_ticket):
    url = f"/api/customers/{customer_with_ticket.pk}/timeline"

    marketer = api_as("marketer").get(url)
    agent = api_as("service_agent").get(url)

    assert marketer.status_code == 200 and agent.status_code == 200
    marketer_kinds = [item["kind"] for item in marketer.json()["items"]]
    agent_items = [item for item in agent.json()["items"] if item["kind"] == "ticket"]
    assert "ticket" not in marketer_kinds
    assert SUBJECT not in marketer.content.decode()
    assert len(agent_items) == 1 and SUBJECT in agent_items[0]["title"]
    assert marketer.json()["count"] == agent.json()["count"] - 1


def test_the_pages_leave_tickets_out_for_a_marketer(client, users, customer_with_ticket):
    from django.urls import reverse

    for url in (reverse("customers:detail", args=[customer_with_ticket.pk]),
                reverse("customers:timeline", args=[customer_with_ticket.pk])):
        client.force_login(users["marketer"])
        hidden = client.get(url)
        client.force_login(users["service_agent"])
        shown = client.get(url)
        assert hidden.status_code == 200 and shown.status_code == 200
        assert SUBJECT not in hidden.content.decode()
        assert SUBJECT in shown.content.decode()
