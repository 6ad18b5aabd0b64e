"""E-mail in: the log of every message read from the team mailbox or posted to the webhook (one row per Message-ID,
so a message is never turned into a ticket twice) and the files that came attached to e-mails."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tickets import ServiceTeam, Ticket, TicketMessage


class InboundEmail(models.Model):
    """One e-mail received (``mailbox``: the IMAP mailbox or ``webhook``). ``message_id`` is unique: the same message
    read twice (a crash before it was marked seen, a webhook retried) is recognised and not added again. A message
    without a Message-ID gets one made from the digest of its bytes."""

    class Status(models.TextChoices):
        CREATED = "created", _("New ticket")
        THREADED = "threaded", _("Added to a ticket")
        REJECTED = "rejected", _("Rejected")

    id = models.BigAutoField(primary_key=True)
    message_id = models.CharField(_("e-mail Message-ID"), max_length=250, unique=True)
    mailbox = models.CharField(_("mailbox"), max_length=200)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    sender = models.CharField(_("sender"), max_length=254, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=200, blank=True, default="")
    team = models.ForeignKey(ServiceTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False)
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbound_emails")
    ticket_message = models.ForeignKey(TicketMessage, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.TextField(_("error"), blank=True, default="", max_length=5000)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [models.Index(fields=["received_at"], name="inbound_email_received_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_status_display()})"


def ticket_attachment_path(instance: TicketAttachment, filename: str) -> str:
    """A random name under ``MEDIA_ROOT/tickets/``: the sender's file name is kept in the row, never in the path."""
    import secrets

    return f"tickets/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}"


class TicketAttachment(models.Model):
    """A file that came with an e-mail on a ticket. Checked for size and type like the contact log's attachments
    (``kehu.relations.attachments``), stored under a random name, served only through
    ``service:mailin_attachment`` to users who may see the ticket."""

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="attachments", db_index=False)
    file = models.FileField(upload_to=ticket_attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ticket attachment")
        verbose_name_plural = _("ticket attachments")

    def __str__(self) -> str:
        return self.name
