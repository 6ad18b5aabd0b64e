"""The ticket skeleton's two writers, through the services (the workflow's tests come with its API and pages)."""

import pytest
from django.core.exceptions import ValidationError

from kehu.service import hooks, services
from kehu.service.models import Ticket, TicketMessage, TicketStatusChange

pytestmark = pytest.mark.django_db


def test_ticket_for_an_unknown_caller_takes_the_given_branch_and_calls_the_listeners():
    from kehu.org.models import Branch

    branch = Branch.objects.create(name="测试支行", code="T01")
    seen = []
    with hooks.ticket_listeners.temporarily("test-seen", lambda **kw: seen.append(kw["event"])):
        ticket = services.ticket_create(
            actor=None,
            type="inquiry",
            channel="phone",
            subject=" 营业时间 ",
            caller_phone="+8613800138000",
            branch=branch,
        )
        message = services.ticket_message_add(ticket=ticket, kind="reply", body="九点到五点")
    assert ticket.subject == "营业时间" and ticket.branch == branch and ticket.number == f"T{ticket.pk:07d}"
    assert TicketStatusChange.objects.filter(ticket=ticket, to_status="received").count() == 1
    assert Ticket.objects.get(pk=ticket.pk).first_response_at == message.created_at
    assert seen == ["created", "message"]
    with pytest.raises(ValidationError):
        services.ticket_create(actor=None, type="rant", channel="phone", subject="x", caller_name="a", branch=branch)
    with pytest.raises(ValidationError):
        services.ticket_message_add(ticket=ticket, kind="note", body="  ")
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_a_status_change_reads_with_the_statuses_names_in_the_request_language():
    from django.utils import translation

    change = TicketStatusChange(from_status="", to_status="received")
    with translation.override("zh-hans"):
        assert str(change) == "— → 已受理登记"
    with translation.override("en"):
        assert str(TicketStatusChange(from_status="resolved", to_status="closed")) == "Resolved → Closed"
