"""Service recovery (补救): compensation or goodwill given to a customer after a complaint, with its cost, approved
through the shared approvals (``kehu.work``, kind ``service_compensation``, amount = cost)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket


class Compensation(models.Model):
    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        GIFT = "gift", _("Gift")
        POINTS = "points", _("Points")
        COUPON = "coupon", _("Coupon")
        GOODWILL = "goodwill", _("Goodwill gesture")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE,
                               related_name="compensations", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        indexes = [models.Index(fields=["ticket", "created_at"], name="compensation_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cost}"
