"""The open-tickets panel of the customer 360 page and of the screen pop (``/api/customers/lookup``), registered in
``ServiceConfig.ready`` by ``service.agent.registration``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from kehu.core.registry import CustomerPanel

# the newest open tickets shown per customer (the count says how many there are in all)
OPEN_TICKETS_SHOWN = 20


def open_tickets_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: ``open_tickets`` (received, accepted or investigating; urgent first, then oldest first; at most
    ``OPEN_TICKETS_SHOWN``) and ``open_ticket_count``, in one query whatever the number of customers, along
    ``ticket_customer_idx`` (customer, status). Tickets are scoped by ``Ticket.objects.visible_to`` (an agent sees
    those of its teams, a supervisor those of its branches)."""
    from .models import Ticket
    from .models.tickets import OPEN_STATUSES

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"open_tickets": [], "open_ticket_count": 0} for pk in ids}
    if not ids:
        return data
    rows = (Ticket.objects.visible_to(user)
            .filter(customer_id__in=ids, status__in=[str(status) for status in OPEN_STATUSES])
            .only("id", "customer_id", "type", "status", "priority", "subject", "created_at", "resolution_due",
                  "first_response_due")
            .order_by("customer_id", "-priority", "created_at", "id"))
    for ticket in rows:
        entry = data[ticket.customer_id]  # type: ignore[index]
        entry["open_ticket_count"] += 1
        if len(entry["open_tickets"]) < OPEN_TICKETS_SHOWN:
            entry["open_tickets"].append(ticket)
    return data


class OpenTicketOut(Schema):
    id: int
    number: str = Field(description="The ticket number shown to people, e.g. T0000042.")
    type: str
    status: str
    priority: int = Field(description="1 low, 2 normal, 3 high, 4 urgent.")
    subject: str
    created_at: dt.datetime
    due: dt.datetime | None = Field(description="When the resolution is due (the SLA clock), if set.")

    @staticmethod
    def resolve_due(obj: Any) -> dt.datetime | None:
        return obj.resolution_due


class OpenTicketsPanelOut(Schema):
    """The open-tickets panel's fields in each screen pop item."""

    open_tickets: list[OpenTicketOut] = Field(
        description=f"The open tickets (received, accepted, investigating), urgent first; at most "
                    f"{OPEN_TICKETS_SHOWN}.")
    open_ticket_count: int = Field(description="How many open tickets the customer has in all.")


OPEN_TICKETS_PANEL = CustomerPanel(
    key="open_tickets", title=_("Open tickets"), order=18, loader=open_tickets_load,
    template="service/_open_tickets_panel.html", permission="service.view_ticket", schema=OpenTicketsPanelOut,
    queries=1,
)
