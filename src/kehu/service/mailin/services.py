"""Turning received e-mail into tickets: one transaction per message, idempotent by Message-ID.

A message that answers a known ticket message (``In-Reply-To``/``References``) or names a ticket in its subject
(``[T0000123]``) is added to that ticket as the customer's inbound message; any other becomes a new e-mail ticket of
the team it was sent to, for the customer with that e-mail address (else an unknown caller with ``caller_email``).
Every message is logged in ``InboundEmail`` whose unique ``message_id`` makes a second delivery a no-op."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from kehu.customers.models import Contact, Customer
from kehu.relations import attachments as attachment_checks

from .. import services as ticket_services
from ..models import (
    Channel,
    InboundEmail,
    ServiceTeam,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
    TicketType,
)
from ..models.tickets import OPEN_STATUSES
from .parsing import ParsedMail, message_id_for, parse

logger = logging.getLogger(__name__)

WEBHOOK_MAILBOX = "webhook"


@dataclass
class IngestResult:
    log: InboundEmail
    duplicate: bool = False

    @property
    def ticket(self) -> Ticket | None:
        return self.log.ticket


def mail_ingest(*, raw: bytes, mailbox: str, default_team: ServiceTeam | None = None) -> IngestResult:
    """Record one raw RFC 822 message. A message already logged (same Message-ID) changes nothing
    (``duplicate``); one that cannot become a ticket is logged as rejected with the reason."""
    try:
        mail: ParsedMail | None = parse(raw)
        error = ""
    except ValidationError as invalid:
        mail, error = None, " ".join(invalid.messages)
    message_id = mail.message_id if mail is not None else message_id_for(raw, "")
    with transaction.atomic():
        existing = InboundEmail.objects.select_related("ticket").filter(message_id=message_id).first()
        if existing is not None:
            return IngestResult(existing, duplicate=True)
        log = InboundEmail(message_id=message_id, mailbox=mailbox[:200], status=InboundEmail.Status.REJECTED,
                           error=error, sender=mail.sender if mail else "", subject=mail.subject if mail else "")
        try:
            with transaction.atomic():
                log.save()
        except IntegrityError:  # the same message delivered twice at once: the other one recorded it
            return IngestResult(InboundEmail.objects.select_related("ticket").get(message_id=message_id), True)
        if mail is not None:
            stored: list[TicketAttachment] = []
            try:
                with transaction.atomic():
                    _file_mail(mail=mail, log=log, default_team=default_team, stored=stored)
            except ValidationError as invalid:
                for attachment in stored:
                    attachment.file.delete(save=False)
                log.status, log.ticket, log.ticket_message = InboundEmail.Status.REJECTED, None, None
                log.error = " ".join(invalid.messages)[:5000]
            except Exception:
                for attachment in stored:
                    attachment.file.delete(save=False)
                raise
        log.save()
    return IngestResult(log)


def team_for(recipients: list[str]) -> ServiceTeam | None:
    """The active team whose address the message was sent to (the first recipient that is one)."""
    if not recipients:
        return None
    teams = {team.email_lower: team for team in ServiceTeam.objects.annotate(email_lower=Lower("email"))
             .filter(active=True, email_lower__in=recipients).select_related("branch")}
    for address in recipients:
        if address in teams:
            return teams[address]
    return None


def thread_ticket(mail: ParsedMail) -> Ticket | None:
    """The ticket a message answers: by the Message-IDs it names, else by the ``[T…]`` tag in its subject. A ticket
    merged into another gives the one it was merged into."""
    ticket: Ticket | None = None
    ids = mail.thread_ids
    if ids:
        found = (TicketMessage.objects.filter(message_id__in=ids).order_by("-id").values_list("ticket_id", flat=True)
                 .first())
        if found is None:
            found = (InboundEmail.objects.filter(message_id__in=ids, ticket__isnull=False).order_by("-id")
                     .values_list("ticket_id", flat=True).first())
        if found is not None:
            ticket = Ticket.objects.filter(pk=found).first()
    if ticket is None and mail.ticket_number is not None:
        ticket = Ticket.objects.filter(pk=mail.ticket_number).first()
    hops = 0
    while ticket is not None and ticket.merged_into_id and hops < 10:
        ticket, hops = Ticket.objects.filter(pk=ticket.merged_into_id).first(), hops + 1
    return ticket


def customer_for(address: str, team: ServiceTeam | None) -> Customer | None:
    """The customer with this e-mail address (their own, else one of their contacts'), the team's branch first."""
    for queryset in (Customer.objects.filter(email=address),
                     Customer.objects.filter(pk__in=Contact.objects.filter(email=address).values("customer_id")[:20])):
        candidates = list(queryset.order_by("id")[:20])
        if candidates:
            if team is not None:
                for customer in candidates:
                    if customer.branch_id == team.branch_id:
                        return customer
            return candidates[0]
    return None


def reopen_for_customer_reply(*, ticket: Ticket, log: InboundEmail) -> bool:
    """CALL SITE for the ticket workflow (h-tickets): a customer's e-mail on a resolved or closed ticket should
    reopen it through the workflow's transition service. The workflow is not on this branch yet, so nothing changes
    here; the lead wires the transition in at the merge. Returns whether the ticket was reopened."""
    logger.info("e-mail %s answers ticket %s in status %s (reopening waits for the workflow)",
                log.message_id, ticket.pk, ticket.status)
    return False


def _file_mail(*, mail: ParsedMail, log: InboundEmail, default_team: ServiceTeam | None,
               stored: list[TicketAttachment]) -> None:
    team = team_for(mail.recipients) or default_team
    log.team = team
    ticket = thread_ticket(mail)
    message: TicketMessage | None = None
    if ticket is not None:
        body = mail.body or mail.subject or _("(empty message)")
        message = ticket_services.ticket_message_add(
            ticket=ticket, kind=TicketMessage.Kind.INBOUND, body=body, message_id=mail.message_id[:250],
            in_reply_to=mail.in_reply_to[:250])
        log.status = InboundEmail.Status.THREADED
        if ticket.status not in OPEN_STATUSES and ticket.status != TicketStatus.MERGED:
            reopen_for_customer_reply(ticket=ticket, log=log)
    else:
        if team is None:
            raise ValidationError(_("The message was not sent to the address of an active service team."))
        customer = customer_for(mail.sender, team)
        ticket = ticket_services.ticket_create(
            actor=None, type=TicketType.INQUIRY, channel=Channel.EMAIL,
            subject=mail.subject or _("(no subject)"), description=mail.body[:20000], customer=customer,
            caller_name="" if customer else mail.sender_name, caller_email="" if customer else mail.sender,
            team=team)
        log.status = InboundEmail.Status.CREATED
    log.ticket, log.ticket_message = ticket, message
    skipped: list[str] = []
    for part in mail.attachments:
        upload = ContentFile(part.content, name=attachment_checks.clean_name(part.name))
        try:
            content_type = attachment_checks.sniff(upload)
        except ValidationError as invalid:
            skipped.append(f"{upload.name}: {' '.join(invalid.messages)}")
            continue
        attachment = TicketAttachment(ticket=ticket, message=message, name=str(upload.name),
                                      content_type=content_type, size=upload.size)
        upload.seek(0)
        attachment.file.save("upload", upload, save=False)
        stored.append(attachment)
        attachment.save()
    if skipped:
        log.error = (_("Attachments not kept: %(files)s") % {"files": "; ".join(skipped)})[:5000]
