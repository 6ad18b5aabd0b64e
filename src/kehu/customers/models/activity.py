"""The customer timeline: one append-only row per thing that happened to a customer, written by the services in
the same transaction as the change it records (``kehu.customers.timeline``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.org.models import Branch

from .customer import Customer


class Activity(models.Model):
    """One event of a customer's timeline. ``kind`` is a registered timeline kind (``kehu.core.registry``);
    ``subject_type`` ("app_label.model") and ``subject_id`` name the row it records, ``data`` what the timeline
    shows of it. Rows are never changed (a correction is a new row)."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="activities", db_index=False)  # activity_customer_time_idx
    occurred_at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=32)
    # no indexes on actor and branch: every read is a customer's timeline, and imports write these rows in bulk
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)
    subject_type = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["customer", "occurred_at"], name="activity_customer_time_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("timeline activities are append-only")
        super().save(*args, **kwargs)
