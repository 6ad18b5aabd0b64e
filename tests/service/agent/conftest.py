"""Fixtures of the agent's screen and the open-tickets panel: a service team in store SH1 with the agent in it,
tickets through the skeleton's writer, an API client with a real token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiClient


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create

    def make(who: Any, language: str = "en") -> ApiClient:
        user = users[who] if isinstance(who, str) else who
        _token, key = api_token_create(user=user, name="tests")
        return ApiClient(key, language=language)

    return make


@pytest.fixture
def team(org, users):
    from kehu.service.models import ServiceTeam

    team = ServiceTeam.objects.create(name="上海客服组", branch=org["sh1"], lead=users["branch_manager"])
    team.members.add(users["service_agent"])
    return team


@pytest.fixture
def make_ticket(users, team):
    from kehu.service import services

    def make(customer, subject: str = "咨询", *, status: str = "received", priority: int | None = None,
             ticket_type: str = "inquiry", in_team: bool = True, **fields):
        ticket = services.ticket_create(actor=users["administrator"], type=ticket_type, channel="phone",
                                        subject=subject, customer=customer, priority=priority,
                                        team=team if in_team else None, **fields)
        if status != "received":
            from kehu.service.models import Ticket

            Ticket.objects.filter(pk=ticket.pk).update(status=status)
            ticket.status = status
        return ticket

    return make


@pytest.fixture
def client():
    """The Django test client asking for English pages (the project's default language is Chinese)."""
    from django.test import Client

    return Client(headers={"Accept-Language": "en"})
