"""Every write of tickets: one transaction each, keyword arguments.

The skeleton's two writers (``ticket_create``, ``ticket_message_add``) are what the other parts of service (e-mail
in, the agent's screen, surveys) build on; the ticket workflow (transitions, assignment, merge) joins them here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.models import Branch, User

from . import hooks
from .models import (
    Channel,
    Priority,
    ServiceTeam,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatusChange,
    TicketType,
)


@transaction.atomic
def ticket_create(
    *,
    actor: User | None,
    type: str,
    channel: str,
    subject: str,
    description: str = "",
    customer: Customer | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    caller_email: str = "",
    category: TicketCategory | None = None,
    team: ServiceTeam | None = None,
    assignee: User | None = None,
    priority: int | None = None,
    branch: Branch | None = None,
    created_at=None,
) -> Ticket:
    """Record a new ticket (status received) for a customer or an unknown caller. Its branch is the customer's,
    else the team's, else the given one. Listeners (SLA targets, the timeline) run in the same transaction."""
    if type not in TicketType.values:
        raise ValidationError({"type": _("Unknown ticket type.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("A subject is required.")})
    if customer is None and not (caller_name or caller_phone or caller_email):
        raise ValidationError({"customer": _("Name the customer, or the caller's name, number or e-mail.")})
    if customer is not None:
        branch = customer.branch
    elif team is not None:
        branch = team.branch
    if branch is None:
        raise PermissionDenied(_("The ticket needs a customer, a team or a branch."))
    ticket = Ticket.objects.create(
        type=type,
        channel=channel,
        subject=subject[:200],
        description=description,
        customer=customer,
        caller_name=caller_name,
        caller_phone=caller_phone,
        caller_email=caller_email,
        category=category,
        team=team,
        assignee=assignee,
        priority=priority or Priority.NORMAL,
        branch=branch,
        created_by=actor if actor is not None and actor.pk else None,
        created_at=created_at or timezone.now(),
    )
    TicketStatusChange.objects.create(
        ticket=ticket, from_status="", to_status=ticket.status, actor=ticket.created_by, created_at=ticket.created_at
    )
    hooks.ticket_changed(ticket=ticket, event="created", actor=actor)
    return ticket


@transaction.atomic
def ticket_message_add(
    *,
    ticket: Ticket,
    kind: str,
    body: str,
    author: User | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    created_at=None,
) -> TicketMessage:
    """Add a reply, an internal note or the customer's inbound message. The first reply to the customer is the
    ticket's first response."""
    if kind not in TicketMessage.Kind.values:
        raise ValidationError({"kind": _("Unknown message kind.")})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("The message is empty.")})
    now = created_at or timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        body=body,
        author=author,
        message_id=message_id,
        in_reply_to=in_reply_to,
        created_at=now,
    )
    if kind == TicketMessage.Kind.REPLY and ticket.first_response_at is None:
        Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=now)
        ticket.first_response_at = now
    hooks.ticket_changed(ticket=ticket, event="message", actor=author)
    return message
