"""Fixtures for the SLA tests: the public days seeded, policies, a team with a lead, a ticket maker."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.work.conftest import api_as, customers, today  # noqa: F401 - shared fixtures

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def public_days(db):
    """The mainland days as migration 0002_sla seeds them (again after a transactional test's flush)."""
    from django.apps import apps

    from kehu.service.sla.holidays import seed_public_days

    seed_public_days(apps)


@pytest.fixture
def policies(db):
    from kehu.service.models import SlaPolicy

    return {
        "any": SlaPolicy.objects.create(name="默认", first_response_minutes=240, resolution_minutes=2400),
        "tier_a": SlaPolicy.objects.create(name="A 类客户", tier="A", first_response_minutes=60,
                                           resolution_minutes=960),
        "tier_a_complaint": SlaPolicy.objects.create(name="A 类投诉", tier="A", type="complaint",
                                                     first_response_minutes=120, resolution_minutes=480),
        "urgent": SlaPolicy.objects.create(name="紧急", priority=4, first_response_minutes=15,
                                           resolution_minutes=240, warn_percent=50),
        "inactive": SlaPolicy.objects.create(name="停用", tier="A", type="complaint", priority=2, active=False,
                                             first_response_minutes=1, resolution_minutes=2),
    }


@pytest.fixture
def team(users, org, make_user):
    from kehu.service.models import ServiceTeam

    lead = make_user("branch_manager", org["sh1"], username="lead1")
    team = ServiceTeam.objects.create(name="上海客服组", branch=org["sh1"], lead=lead)
    team.members.add(users["service_agent"])
    return team


@pytest.fixture
def make_ticket(users, team, public_days):
    from kehu.service import services

    def make(created_at: dt.datetime, *, customer=None, type: str = "inquiry", priority: int = 2, **extra):
        extra.setdefault("assignee", users["service_agent"])
        return services.ticket_create(
            actor=users["service_agent"], type=type, channel="phone", subject="查询积分", customer=customer,
            caller_name="" if customer else "李先生", team=team, priority=priority, created_at=created_at, **extra)

    return make
