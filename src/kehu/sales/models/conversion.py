"""Conversion and onboarding: a lead converted into a customer (``LeadConversion``) and the onboarding of a won
opportunity (``Onboarding``). Both rows are written once, under a lock, so a retried call finds them and writes
nothing new (``sales.conversion.services``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadConversion(models.Model):
    """A lead converted: the customer it became or was linked to (``created``: a new customer was made), who did it
    and when, and what moved (contact copies, tasks and opportunities re-pointed, timeline rows copied), so the move
    can be reviewed. One row per lead (the lead's status is ``converted`` from then on)."""

    id = models.BigAutoField(primary_key=True)
    lead = models.OneToOneField("sales.Lead", verbose_name=_("lead"), on_delete=models.CASCADE,
                                related_name="conversion")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="+", db_index=False)  # lead_conversion_customer_idx
    created = models.BooleanField(_("customer created"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("converted by"), null=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False)
    converted_at = models.DateTimeField(_("converted at"))
    contact_ids = models.JSONField(default=list)
    task_ids = models.JSONField(default=list)
    opportunity_ids = models.JSONField(default=list)
    events_copied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("lead conversion")
        verbose_name_plural = _("lead conversions")
        indexes = [models.Index(fields=["customer"], name="lead_conversion_customer_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id} → {self.customer_id}"


class Onboarding(models.Model):
    """The onboarding of a won opportunity's customer: the purchase transactions recorded for its product lines and
    the onboarding tasks started (ids kept). One row per opportunity: winning again or retrying finds it."""

    id = models.BigAutoField(primary_key=True)
    opportunity = models.OneToOneField("sales.Opportunity", verbose_name=_("opportunity"), on_delete=models.CASCADE,
                                       related_name="onboarding")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="+", db_index=False)  # onboarding_customer_idx
    started_at = models.DateTimeField(_("started at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)
    transaction_ids = models.JSONField(default=list)
    task_ids = models.JSONField(default=list)
    notified = models.PositiveIntegerField(_("people notified"), default=0)

    class Meta:
        verbose_name = _("onboarding")
        verbose_name_plural = _("onboardings")
        indexes = [models.Index(fields=["customer"], name="onboarding_customer_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id} → {self.customer_id}"
