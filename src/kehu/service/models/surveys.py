"""Satisfaction surveys: a CSAT invitation after a ticket closes and periodic NPS waves, answered on a public page
behind a signed, expiring, single-use token (``service/surveys/tokens.py``), and the answers.

The token itself is never stored: only the SHA-256 of its random nonce (``token_hash``), written when the invitation
is sent (the token exists only in the message that leaves). ``answered_at`` is set once, by a conditional UPDATE."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Branch


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT (after a ticket)")
    NPS = "nps", _("NPS (periodic)")


class SurveyChannel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("survey channel", "E-mail")
    SMS = "sms", pgettext_lazy("survey channel", "SMS")


class SurveyStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("survey status", "Queued")
    SENT = "sent", pgettext_lazy("survey status", "Sent")
    FAILED = "failed", pgettext_lazy("survey status", "Failed to send")
    ANSWERED = "answered", pgettext_lazy("survey status", "Answered")


SCORE_RANGE = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10)}


class SurveyInvitation(models.Model):
    """One survey sent to one customer. CSAT: one per ticket (``ticket`` unique). NPS: one per customer and
    ``period`` ("YYYY-MM" of the wave). ``branch`` and ``team`` are kept for the figures (the customer's branch, the
    ticket's team) as they were when the invitation was made."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", db_index=False
    )  # survey_customer_idx
    ticket = models.ForeignKey(
        "service.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", db_index=False,
    )  # survey_one_per_ticket
    period = models.CharField(_("period"), max_length=7, blank=True, default="")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "service.ServiceTeam", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=5, choices=SurveyChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.QUEUED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(ticket__isnull=False),
                                    name="survey_one_per_ticket"),
            models.UniqueConstraint(fields=["customer", "period"], condition=Q(kind="nps"),
                                    name="survey_nps_once_per_period"),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="survey_customer_idx"),
            models.Index(fields=["kind", "period"], name="survey_kind_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.customer_id}"


class SurveyResponse(models.Model):
    """The answer to an invitation (one at most): CSAT 1–5, NPS 0–10. ``customer``, ``kind``, ``branch`` and
    ``team`` are copied from the invitation so the figures and the panel read one table."""

    id = models.BigAutoField(primary_key=True)
    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", db_index=False
    )  # survey_response_customer_idx
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    team = models.ForeignKey(
        "service.ServiceTeam", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), max_length=2000, blank=True, default="")
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="csat", score__gte=1, score__lte=5) | Q(kind="nps", score__gte=0, score__lte=10)),
                name="survey_score_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "kind", "answered_at"], name="survey_response_customer_idx"),
            models.Index(fields=["answered_at"], name="survey_response_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} ({self.customer_id})"


class SmsOutbox(models.Model):
    """Text messages the development SMS provider "sent": stored here (and logged) instead of leaving."""

    id = models.BigAutoField(primary_key=True)
    to = models.CharField(_("to"), max_length=32)
    body = models.TextField(_("message"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS outbox message")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.to} {self.created_at:%Y-%m-%d %H:%M}"
