"""SLA targets through the ticket listener: the most specific policy, the branch's calendar with the public days,
a priority change."""

import datetime as dt

import pytest

from kehu.service import hooks
from kehu.service.models import BranchCalendar, BusinessCalendar, CalendarDay, Ticket, TicketSla

from .conftest import at

pytestmark = pytest.mark.django_db


def test_the_most_specific_active_policy_wins(make_ticket, policies, customers):
    from kehu.customers.models import CustomerTier

    CustomerTier.objects.create(customer=customers["mine"], tier="A")
    monday = at(2026, 3, 2, 9, 0)
    complaint = make_ticket(monday, customer=customers["mine"], type="complaint")
    inquiry = make_ticket(monday, customer=customers["mine"], type="inquiry")
    unknown = make_ticket(monday)
    urgent = make_ticket(monday, priority=4)
    assert TicketSla.objects.get(ticket=complaint).policy == policies["tier_a_complaint"]
    assert TicketSla.objects.get(ticket=complaint).tier == "A"
    assert TicketSla.objects.get(ticket=inquiry).policy == policies["tier_a"]
    assert TicketSla.objects.get(ticket=unknown).policy == policies["any"]
    assert TicketSla.objects.get(ticket=urgent).policy == policies["urgent"]
    complaint.refresh_from_db()
    assert complaint.first_response_due == at(2026, 3, 2, 11, 0)
    # 480 business minutes from Monday 09:00 (lunch 12–13): Monday 18:00
    assert complaint.resolution_due == at(2026, 3, 2, 18, 0)
    sla = TicketSla.objects.get(ticket=urgent)
    assert sla.response_warn_at == at(2026, 3, 2, 9, 7, 30)  # 50 % of 15 minutes


def test_due_times_cross_the_night_the_weekend_a_holiday_and_a_working_saturday(make_ticket, policies):
    # default policy: 4 h first response, 40 h resolution
    friday_late = make_ticket(at(2026, 3, 6, 16, 0))  # Friday 16:00 + 4 h → Monday 11:00
    assert friday_late.first_response_due == at(2026, 3, 9, 11, 0)
    # Friday Feb 13 2026 16:00 + 4 h → Saturday Feb 14 (调休上班) 11:00
    before_festival = make_ticket(at(2026, 2, 13, 16, 0))
    assert before_festival.first_response_due == at(2026, 2, 14, 11, 0)
    # 40 h from Friday Feb 13 16:00: 2 h Friday, 8 h Saturday 14, the festival Feb 15–23 closed, then Tue 24, Wed 25,
    # Thu 26 (24 h) and 6 h of Friday 27 (09–12, 13–16) → Friday 27 16:00
    assert before_festival.resolution_due == at(2026, 2, 27, 16, 0)
    # at night on New Year's Eve 2025: Jan 1 2026 closed… Jan 4 (Sunday) a working day
    new_year = make_ticket(at(2025, 12, 31, 22, 0))
    assert new_year.first_response_due == at(2026, 1, 4, 14, 0)  # 09–12, lunch, 13–14


def test_branch_calendar_walks_up_the_tree_and_own_days_override(make_ticket, policies, org):
    weekend_shop = BusinessCalendar.objects.create(name="门店", saturday="10:00-16:00", sunday="10:00-16:00")
    BranchCalendar.objects.create(branch=org["east"], calendar=weekend_shop)  # SH1 is below East
    ticket = make_ticket(at(2026, 3, 6, 17, 0))  # Friday 17:00 + 4 h: 1 h Fri, 3 h Saturday from 10:00
    assert ticket.first_response_due == at(2026, 3, 7, 13, 0)
    assert TicketSla.objects.get(ticket=ticket).calendar == weekend_shop
    CalendarDay.objects.create(calendar=weekend_shop, date=dt.date(2026, 3, 14), kind="holiday", name="盘点")
    stocktake = make_ticket(at(2026, 3, 13, 17, 0))  # Saturday 14 closed for the stocktake → Sunday
    assert stocktake.first_response_due == at(2026, 3, 15, 13, 0)


def test_a_priority_change_recomputes_from_the_receipt(make_ticket, policies):
    ticket = make_ticket(at(2026, 3, 2, 9, 0))
    assert ticket.first_response_due == at(2026, 3, 2, 14, 0)
    Ticket.objects.filter(pk=ticket.pk).update(priority=4)
    ticket.refresh_from_db()
    hooks.ticket_changed(ticket=ticket, event="priority")
    ticket.refresh_from_db()
    assert ticket.first_response_due == at(2026, 3, 2, 9, 15)
    assert TicketSla.objects.get(ticket=ticket).policy == policies["urgent"]


def test_without_a_policy_no_targets(make_ticket):
    ticket = make_ticket(at(2026, 3, 2, 9, 0))
    assert ticket.first_response_due is None and ticket.resolution_due is None
    assert TicketSla.objects.get(ticket=ticket).policy is None


def test_the_seed_has_the_official_days_and_is_idempotent(public_days):
    from django.apps import apps

    from kehu.service.sla.holidays import seed_public_days

    assert seed_public_days(apps) == 0
    spring = CalendarDay.objects.get(calendar=None, date=dt.date(2025, 1, 28))
    assert spring.kind == "holiday" and spring.name == "春节"
    assert CalendarDay.objects.get(calendar=None, date=dt.date(2026, 2, 28)).kind == "working"
    assert CalendarDay.objects.filter(calendar=None, date__year=2027).exists()
    assert BusinessCalendar.objects.filter(is_default=True).count() == 1


def test_calendar_validation_messages():
    from django.core.exceptions import ValidationError

    calendar = BusinessCalendar(name="坏", monday="18:00-09:00", time_zone="Mars/Base")
    with pytest.raises(ValidationError) as error:
        calendar.full_clean()
    assert {"monday", "time_zone"} <= set(error.value.message_dict)
    day = CalendarDay(date=dt.date(1, 1, 1), kind="holiday", name="x", hours="09:00-10:00")
    with pytest.raises(ValidationError) as error:
        day.full_clean()
    assert {"date", "hours"} <= set(error.value.message_dict)
