"""The audit record of two customers merged into one (written by :func:`kehu.customers.merge.customer_merge`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MergeRecord(models.Model):
    """The audit record of two customers merged into one: who, when, what moved and which value won per field.

    ``merged_snapshot`` keeps every stored value of the customer that disappeared, so nothing is lost silently;
    ``field_choices`` records, per conflicting field, the value kept and the value dropped. (Moved here from the
    ``imports`` app with its rows: migrations ``customers/0016`` and ``imports/0008``.)
    """

    kept_customer = models.ForeignKey("customers.Customer", verbose_name=_("customer kept"), null=True,
                                      on_delete=models.SET_NULL, related_name="merges_kept")
    merged_customer_id = models.BigIntegerField(_("merged customer id"))
    merged_code = models.CharField(_("merged customer code"), max_length=40)
    merged_name = models.CharField(_("merged customer name"), max_length=200)
    merged_snapshot = models.JSONField(_("values of the merged customer"), default=dict)
    field_choices = models.JSONField(_("values chosen per field"), default=dict)
    moved = models.JSONField(_("rows moved"), default=dict)
    reason = models.CharField(_("reason"), max_length=255, blank=True, default="")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merge record")
        verbose_name_plural = _("merge records")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_code} → {self.kept_customer_id}"
