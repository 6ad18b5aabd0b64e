"""Lost customers (客户流失): why a customer was lost, by whom it was marked and when it was won back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LostReason(models.TextChoices):
    SERVICE = "service", _("Service")
    PRODUCT = "product", _("Product")
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Competitor")
    PERSONAL = "personal", _("Personal reasons")
    MOVED = "moved", _("Moved away")


class LostRecord(models.Model):
    """A customer marked lost. ``branch`` and ``tier`` are the customer's when it was marked (the lost-rate report
    groups by them as they were). ``won_back_at`` is set when the customer buys again or is marked current; at most
    one record of a customer is open (not won back) at a time."""

    class WonBackBy(models.TextChoices):
        PURCHASE = "purchase", _("Bought again")
        STATUS = "status", _("Marked current")

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+", db_index=False)  # lost_customer_idx
    reason = models.CharField(_("reason"), max_length=12, choices=LostReason.choices)
    details = models.TextField(_("details"), max_length=2000, blank=True, default="")
    lost_at = models.DateTimeField(_("lost at"), default=timezone.now)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    branch = models.ForeignKey("org.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+",
                               db_index=False)  # lost_branch_time_idx
    tier = models.CharField(_("tier"), max_length=32, blank=True, default="")
    won_back_at = models.DateTimeField(_("won back at"), null=True, blank=True)
    won_back_by = models.CharField(_("won back by"), max_length=10, choices=WonBackBy.choices, blank=True,
                                   default="")

    class Meta:
        verbose_name = _("lost customer")
        verbose_name_plural = _("lost customers")
        indexes = [
            models.Index(fields=["customer", "lost_at"], name="lost_customer_idx"),
            models.Index(fields=["branch", "lost_at"], name="lost_branch_time_idx"),
            models.Index(fields=["lost_at"], name="lost_time_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(won_back_at__isnull=True),
                                    name="lost_one_open_per_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.reason} {self.lost_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.won_back_at is None
