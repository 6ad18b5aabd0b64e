"""The open-tickets panel: in each item of the phone lookup (``/api/customers/lookup``) and on the 360 page, batched
in the one query it declares, scoped by the ticket row scope and the permission."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.core.registry import panel_list, panels
from kehu.service.panels import OPEN_TICKETS_PANEL, OPEN_TICKETS_SHOWN, open_tickets_load

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def test_the_panel_is_registered_for_the_360_page_and_the_screen_pop():
    assert panels.get("open_tickets") is OPEN_TICKETS_PANEL
    assert OPEN_TICKETS_PANEL in panel_list(screen_pop=True)
    assert OPEN_TICKETS_PANEL.permission == "service.view_ticket"


def test_lookup_lists_the_open_tickets_with_their_ids(api_as, make_customer, make_ticket):
    customer = make_customer("王芳", mobile=PHONE)
    other = make_customer("李雷", mobile="13900139000")
    low = make_ticket(customer, "发票没收到", priority=1)
    urgent = make_ticket(customer, "扣款两次", priority=4, ticket_type="complaint")
    investigating = make_ticket(customer, "会员积分", status="investigating")
    make_ticket(customer, "已经解决", status="resolved")
    make_ticket(customer, "已关闭", status="closed")
    make_ticket(other, "别人的工单")

    response = api_as("administrator").get("/api/customers/lookup", phone=PHONE)

    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["open_ticket_count"] == 3
    tickets = item["open_tickets"]
    assert [ticket["id"] for ticket in tickets] == [urgent.pk, investigating.pk, low.pk]  # urgent first
    assert tickets[0] == {
        "id": urgent.pk, "number": f"T{urgent.pk:07d}", "type": "complaint", "status": "received", "priority": 4,
        "subject": "扣款两次", "created_at": tickets[0]["created_at"], "due": None,
    }
    assert tickets[1]["status"] == "investigating"


def test_lookup_shows_the_resolution_due_when_the_sla_set_it(api_as, make_customer, make_ticket):
    import datetime as dt

    from django.utils import timezone

    from kehu.service.models import Ticket

    customer = make_customer("王芳", mobile=PHONE)
    ticket = make_ticket(customer)
    due = (timezone.now() + dt.timedelta(hours=8)).replace(microsecond=0)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due=due)

    item = api_as("administrator").get("/api/customers/lookup", phone=PHONE).json()["items"][0]

    assert dt.datetime.fromisoformat(item["open_tickets"][0]["due"].replace("Z", "+00:00")) == due


def test_a_role_without_the_ticket_permission_gets_null(api_as, make_customer, make_ticket):
    customer = make_customer("王芳", mobile=PHONE)
    make_ticket(customer)

    item = api_as("marketer").get("/api/customers/lookup", phone=PHONE).json()["items"][0]

    assert item["open_tickets"] is None and item["open_ticket_count"] is None


def test_an_agent_sees_the_tickets_of_its_teams_only(api_as, make_customer, make_ticket):
    customer = make_customer("王芳", mobile=PHONE)
    mine = make_ticket(customer, "本组工单")
    make_ticket(customer, "其他组工单", in_team=False)

    item = api_as("service_agent").get("/api/customers/lookup", phone=PHONE).json()["items"][0]
    everything = api_as("branch_manager").get("/api/customers/lookup", phone=PHONE).json()["items"][0]

    assert [ticket["id"] for ticket in item["open_tickets"]] == [mine.pk]
    assert everything["open_ticket_count"] == 2


def test_the_list_is_capped_and_the_count_is_not(users, make_customer, make_ticket):
    customer = make_customer("王芳", mobile=PHONE)
    for number in range(OPEN_TICKETS_SHOWN + 2):
        make_ticket(customer, f"工单{number}")

    data = open_tickets_load([customer.pk], users["administrator"])[customer.pk]

    assert len(data["open_tickets"]) == OPEN_TICKETS_SHOWN and data["open_ticket_count"] == OPEN_TICKETS_SHOWN + 2


@pytest.mark.parametrize("role", ["administrator", "service_agent"])
def test_the_loader_makes_its_declared_queries_for_any_number_of_customers(users, make_customer, make_ticket, role):
    customers = [make_customer(f"客户{number}", mobile=PHONE) for number in range(12)]
    for customer in customers:
        make_ticket(customer)
        make_ticket(customer, status="accepted", priority=3)
    user = users[role]
    open_tickets_load([customers[0].pk], user)  # the user's roles and branches are cached on it (once a request)

    with CaptureQueriesContext(connection) as one:
        open_tickets_load([customers[0].pk], user)
    with CaptureQueriesContext(connection) as many:
        data = open_tickets_load([customer.pk for customer in customers], user)

    assert len(one.captured_queries) == len(many.captured_queries) == OPEN_TICKETS_PANEL.queries
    assert all(entry["open_ticket_count"] == 2 for entry in data.values())


def test_lookup_query_count_is_the_same_for_2_and_20_customers_with_tickets(api_as, make_customer, make_ticket):
    client = api_as("service_agent")
    for number in range(2):
        make_ticket(make_customer(f"客户{number}", mobile=PHONE))
    client.get("/api/customers/lookup", phone=PHONE)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/customers/lookup", phone=PHONE, limit=50)
    for number in range(18):
        make_ticket(make_customer(f"客户b{number}", mobile=PHONE))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/customers/lookup", phone=PHONE, limit=50)

    assert response.json()["count"] == 20
    assert all(item["open_ticket_count"] == 1 for item in response.json()["items"])
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_360_page_shows_the_open_tickets(client, users, make_customer, make_ticket):
    customer = make_customer("王芳", mobile=PHONE)
    ticket = make_ticket(customer, "扣款两次", priority=4)
    make_ticket(customer, "已关闭的工单", status="closed")
    client.force_login(users["branch_manager"])

    response = client.get(f"/customers/{customer.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="open_tickets"' in html
    panel = html.split('id="open_tickets"', 1)[1].split("</section>", 1)[0]
    assert ticket.number in panel and "扣款两次" in panel
    assert "已关闭的工单" not in panel  # (the timeline further down lists every ticket received)
    assert f"/service/tickets/new/?customer={customer.pk}" in panel


def test_the_360_page_hides_the_panel_without_the_permission(client, users, make_customer, make_ticket):
    customer = make_customer("王芳", mobile=PHONE)
    make_ticket(customer, "扣款两次")
    client.force_login(users["marketer"])

    html = client.get(f"/customers/{customer.pk}/").content.decode()

    assert 'id="open_tickets"' not in html and "扣款两次" not in html.split('data-kind="ticket"', 1)[0]
