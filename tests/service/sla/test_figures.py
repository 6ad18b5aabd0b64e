"""SLA figures (page, CSV, API), the ticket page's SLA clock, the calendar days page; hostile input answers 4xx."""

import pytest
from django.urls import reverse

from kehu.service.hooks import ticket_sections
from kehu.service.models import Ticket
from kehu.service.sla.selectors import sla_figures, ticket_clock

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(make_ticket, policies):
    """Three March 2026 tickets of the team: answered on time and resolved late, answered late, unanswered."""
    on_time = make_ticket(at(2026, 3, 2, 9, 0))
    Ticket.objects.filter(pk=on_time.pk).update(first_response_at=at(2026, 3, 2, 10, 0), status="resolved",
                                                resolved_at=at(2026, 3, 20, 9, 0))
    late = make_ticket(at(2026, 3, 2, 9, 0))
    Ticket.objects.filter(pk=late.pk).update(first_response_at=at(2026, 3, 3, 9, 0))
    silent = make_ticket(at(2026, 3, 3, 9, 0))
    return [on_time, late, silent]


def test_figures_per_team_tier_and_month(march, users, team):
    rows = sla_figures(user=users["administrator"], month=None, team_id=None, now=at(2026, 4, 1, 9, 0))
    assert len(rows) == 1
    row = rows[0]
    assert (row.month, row.team, row.tier, row.tickets) == ("2026-03", team.name, "", 3)
    assert row.response_on_time_percent == pytest.approx(33.3)  # 1 of 3 (the silent one is overdue)
    assert row.resolution_on_time_percent == 0.0  # resolved late; the others overdue
    assert row.median_response_minutes == 270  # 60 and 480 business minutes
    assert row.median_resolution_minutes is not None
    # someone of another branch sees none of them
    assert sla_figures(user=users["bj_account_manager"], now=at(2026, 4, 1, 9, 0)) == []


def test_the_page_its_csv_and_the_api(march, client, users, api_as, team, django_assert_max_num_queries):
    client.force_login(users["administrator"])
    url = reverse("service:sla_report")
    response = client.get(url, {"month": "2026-03"})
    assert response.status_code == 200
    assert team.name in response.content.decode() and "<svg" in response.content.decode()
    csv = client.get(url, {"month": "2026-03", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"2026-03,{team.name},,3,33.3,0.0,270")
    api = api_as("administrator")
    data = api.get("/api/sla/figures?month=2026-03").json()
    assert data["items"][0]["tickets"] == 3 and data["items"][0]["team_id"] == team.pk
    assert api.get(f"/api/sla/figures?month=2026-03&team={team.pk + 1}").json()["items"] == []
    for bad in ("9999-99", "=1+1", "2026-13", "0001-01", "2026-03\x00"):
        assert 400 <= api.get(f"/api/sla/figures?month={bad}").status_code < 500
        assert client.get(url, {"month": bad}).status_code == 400
    assert 400 <= api.get("/api/sla/figures?team=abc").status_code < 500
    assert api_as("marketer").get("/api/sla/figures").status_code == 403
    # the page's queries do not grow with the tickets
    with django_assert_max_num_queries(30):
        client.get(url, {"month": "2026-03"})


def test_the_page_queries_do_not_grow_with_tickets(march, make_ticket, client, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["administrator"])
    url = reverse("service:sla_report")
    client.get(url, {"month": "2026-03"})  # the session is saved on the first request
    with CaptureQueriesContext(connection) as before:
        client.get(url, {"month": "2026-03"})
    for day in range(4, 14):
        make_ticket(at(2026, 3, day, 10, 0))
    with CaptureQueriesContext(connection) as after:
        client.get(url, {"month": "2026-03"})
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_ticket_page_clock(march, users):
    on_time, late, silent = march
    section = ticket_sections.get("sla")
    assert section is not None and section.loader is ticket_clock
    silent.refresh_from_db()
    clock = ticket_clock(ticket=silent, user=users["service_agent"], now=at(2026, 3, 3, 12, 0))
    response = {row["key"]: row for row in clock["rows"]}["response"]
    assert response["minutes_left"] == 60 and not response["breached"]  # due 14:00; the lunch hour is not counted
    later = ticket_clock(ticket=silent, user=users["service_agent"], now=at(2026, 3, 4, 9, 30))
    response = {row["key"]: row for row in later["rows"]}["response"]
    assert response["breached"] and response["minutes_left"] < 0
    from django.template.loader import render_to_string

    html = render_to_string(section.template, {"data": later, "ticket": silent})
    assert "2026-03-03" in html


def test_the_calendar_days_page(public_days, client, users):
    client.force_login(users["administrator"])
    response = client.get(reverse("service:sla_calendar_days"), {"year": "2026"})
    assert response.status_code == 200 and "调休上班" in response.content.decode()
    assert client.get(reverse("service:sla_calendar_days"), {"year": "99999"}).status_code == 200
    client.force_login(users["marketer"])
    assert client.get(reverse("service:sla_calendar_days")).status_code == 403
