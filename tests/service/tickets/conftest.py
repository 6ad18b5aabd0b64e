from __future__ import annotations

import pytest

from tests.work.conftest import api_as  # noqa: F401 - shared fixtures


@pytest.fixture
def team(org, users):
    from kehu.service.models import ServiceTeam

    team = ServiceTeam.objects.create(name="华东客服组", branch=org["east"])
    team.members.add(users["service_agent"])
    return team


@pytest.fixture
def customer(make_customer):
    return make_customer("王小明")


@pytest.fixture
def make_ticket(users, customer):
    from kehu.service import services

    def make(type: str = "complaint", status: str = "received", *, actor=None, cust=None, **fields):
        ticket = services.ticket_create(actor=actor or users["service_agent"], type=type, channel="phone",
                                        subject=fields.pop("subject", "送货延迟"), customer=cust or customer,
                                        **fields)
        if status != "received":
            from kehu.service.models import Ticket

            Ticket.objects.filter(pk=ticket.pk).update(status=status)
            ticket.refresh_from_db()
        return ticket

    return make
