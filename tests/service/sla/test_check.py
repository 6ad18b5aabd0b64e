"""The sla-check job: warnings and breaches once per ticket and kind (run twice: nothing new), notifications to the
assignee and the team lead, the command's last line, the Celery task."""

import io

import pytest
from django.core.management import CommandError, call_command

from kehu.service.models import SlaEvent, Ticket
from kehu.service.sla.services import sla_check
from kehu.service.sla.tasks import sla_check_task
from kehu.work.models import Notification

from .conftest import at

pytestmark = pytest.mark.django_db


def run(now: str) -> str:
    out = io.StringIO()
    call_command("sla-check", "--now", now, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_running_twice_records_and_notifies_once(make_ticket, policies, team, users):
    # default policy: first response 240 min (warn at 80 % = 192 min), resolution 2400 min (warn at 1920)
    late = make_ticket(at(2026, 3, 2, 9, 0))  # response due 14:00, warning 12:12 (lunch) → 13:12
    answered = make_ticket(at(2026, 3, 2, 9, 0))
    Ticket.objects.filter(pk=answered.pk).update(first_response_at=at(2026, 3, 2, 10, 0))
    fresh = make_ticket(at(2026, 3, 2, 13, 0))  # warning 13:00 + 192 min = 16:12
    assert run("2026-03-02T13:30:00+08:00") == "sla warnings 1, breaches 0"
    assert list(SlaEvent.objects.values_list("ticket_id", "kind")) == [(late.pk, "warn_response")]
    assert run("2026-03-02T13:30:00+08:00") == "sla warnings 0, breaches 0"
    assert run("2026-03-02T14:00:00+08:00") == "sla warnings 0, breaches 1"
    assert run("2026-03-02T14:00:00+08:00") == "sla warnings 0, breaches 0"
    events = set(SlaEvent.objects.values_list("ticket_id", "kind"))
    assert events == {(late.pk, "warn_response"), (late.pk, "breach_response")}
    assert SlaEvent.objects.get(ticket=late, kind="breach_response").at == at(2026, 3, 2, 14, 0)
    assert not SlaEvent.objects.filter(ticket__in=[answered, fresh]).exists()
    agent, lead = users["service_agent"], team.lead
    assert Notification.objects.filter(recipient=agent, kind="sla_warning").count() == 1
    assert Notification.objects.filter(recipient=lead, kind="sla_breach").count() == 1
    assert late.number in Notification.objects.get(recipient=lead).title
    # a week later everything unanswered and unresolved is breached; resolved tickets are left alone
    Ticket.objects.filter(pk=fresh.pk).update(status="resolved", resolved_at=at(2026, 3, 3, 9, 0))
    result = sla_check(now=at(2026, 3, 20, 9, 0))
    assert (result.warnings, result.breaches) == (0, 2)  # late: resolution; answered: resolution
    assert sla_check(now=at(2026, 3, 20, 9, 0)).breaches == 0
    assert Notification.objects.filter(kind="sla_breach").count() == 3


def test_warning_is_skipped_when_already_breached_and_a_digest_when_many(make_ticket, policies, team, users):
    tickets = [make_ticket(at(2026, 3, 2, 9, 0)) for _ in range(7)]
    result = sla_check(now=at(2026, 3, 2, 15, 0))
    assert (result.warnings, result.breaches) == (0, 7)
    assert SlaEvent.objects.filter(kind="warn_response").count() == 0
    messages = Notification.objects.filter(recipient=team.lead, kind="sla_breach")
    assert messages.count() == 1 and "7" in messages.get().title
    assert tickets[0].number in messages.get().body


def test_the_celery_task_and_hostile_arguments(make_ticket, policies):
    make_ticket(at(2020, 3, 2, 9, 0))
    assert sla_check_task() == "sla warnings 0, breaches 2"
    assert sla_check_task() == "sla warnings 0, breaches 0"
    for bad in ("tomorrow", "9999-01-01", "0001-01-01T00:00"):
        with pytest.raises(CommandError):
            call_command("sla-check", "--now", bad, stdout=io.StringIO())
