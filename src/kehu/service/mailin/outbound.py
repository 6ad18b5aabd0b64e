"""Replies to the customer by e-mail: a reply added to an e-mail ticket gets its own Message-ID, threaded to the
customer's last message (``In-Reply-To``/``References``) and tagged ``[T0000123]`` in the subject, so that the
customer's answer finds its ticket again. Sent by a background task after the commit."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from django.conf import settings

from kehu.core.queue import dispatch

from ..models import Channel, InboundEmail, Ticket, TicketMessage


def mail_domain(ticket: Ticket) -> str:
    configured = str(getattr(settings, "KEHU_MAILIN_DOMAIN", "") or "")
    if configured:
        return configured
    team_address = ticket.team.email if ticket.team_id and ticket.team else ""
    return team_address.rsplit("@", 1)[-1].lower() if "@" in team_address else "kehu.localhost"


def reply_address(ticket: Ticket) -> str:
    """Where replies go: the caller's e-mail, else the customer's."""
    if ticket.caller_email:
        return ticket.caller_email
    if ticket.customer_id and ticket.customer and ticket.customer.email:
        return ticket.customer.email
    return ""


def thread_ids(ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's e-mail so far, oldest first (at most 20: the first and the latest)."""
    ids = list(InboundEmail.objects.filter(ticket=ticket).order_by("id").values_list("message_id", flat=True)[:1])
    ids += list(TicketMessage.objects.filter(ticket=ticket).exclude(message_id="").order_by("-id")
                .values_list("message_id", flat=True)[:19])[::-1]
    return list(dict.fromkeys(ids))


def reply_listener(*, ticket: Ticket, event: str, from_status: str = "", actor: Any = None) -> None:
    """Ticket listener (event ``message``): give a new reply on an e-mail ticket its Message-ID and queue it."""
    if event != "message" or ticket.channel != Channel.EMAIL:
        return
    message = TicketMessage.objects.filter(ticket=ticket).order_by("-id").first()
    if message is None or message.kind != TicketMessage.Kind.REPLY or message.message_id:
        return
    if not reply_address(ticket):
        return
    references = thread_ids(ticket)
    message_id = make_msgid(domain=mail_domain(ticket))
    parent = (TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.INBOUND).exclude(message_id="")
              .order_by("-id").values_list("message_id", flat=True).first())
    parent = parent or (references[0] if references else "")
    TicketMessage.objects.filter(pk=message.pk).update(message_id=message_id[:250], in_reply_to=parent)
    from .tasks import send_reply_task

    dispatch(send_reply_task, message.pk)


def tagged_subject(ticket: Ticket) -> str:
    subject = ticket.subject
    tag = f"[{ticket.number}]"
    if tag not in subject:
        subject = f"{subject} {tag}"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def send_reply(*, message_pk: int) -> bool:
    """Send one reply (the task's body). False when there is nothing to send (gone, or no address any more)."""
    from django.core.mail import EmailMessage

    message = (TicketMessage.objects.select_related("ticket", "ticket__team", "ticket__customer")
               .filter(pk=message_pk, kind=TicketMessage.Kind.REPLY).first())
    if message is None or not message.message_id:
        return False
    ticket = message.ticket
    address = reply_address(ticket)
    if not address:
        return False
    references = [mid for mid in thread_ids(ticket) if mid != message.message_id]
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if references:
        headers["References"] = " ".join(references)
    sender = (ticket.team.email if ticket.team_id and ticket.team and ticket.team.email
              else settings.DEFAULT_FROM_EMAIL)
    email = EmailMessage(subject=tagged_subject(ticket), body=message.body, from_email=sender, to=[address],
                         headers=headers, reply_to=[sender])
    email.send(fail_silently=False)
    return True
