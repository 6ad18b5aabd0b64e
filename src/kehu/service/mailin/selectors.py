"""Reads of e-mail in: a ticket's attachments and received e-mails, for users who may see the ticket."""

from __future__ import annotations

from typing import Any

from kehu.org.models import User

from ..models import InboundEmail, Ticket, TicketAttachment


def attachment_get(*, user: User, pk: int) -> TicketAttachment:
    """An attachment of a ticket the user may see; ``DoesNotExist`` otherwise (404, another branch's too)."""
    return TicketAttachment.objects.select_related("ticket").get(pk=pk, ticket__in=Ticket.objects.visible_to(user))


def ticket_mail(*, ticket: Ticket, user: User) -> dict[str, Any] | None:
    """The ticket page's e-mail section: the files that came by e-mail and the messages received (None: no e-mail)."""
    if not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists():
        return None
    attachments = list(TicketAttachment.objects.filter(ticket=ticket).order_by("id")[:50])
    emails = list(InboundEmail.objects.filter(ticket=ticket).order_by("-received_at")[:20])
    if not attachments and not emails:
        return None
    return {"attachments": attachments, "emails": emails}
