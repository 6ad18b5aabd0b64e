"""The personal-data access log (PIPL)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customer import Customer


class PersonalDataAccess(models.Model):
    """Access log of personal data (PIPL art. 51–56): every reveal of a masked value, every export, and every find
    of customers by a full phone or ID number (call-centre lookup, search box, API search, duplicate check)."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Reveal")
        EXPORT = "export", _("Export")
        LOOKUP = "lookup", _("Lookup")
        SEARCH = "search", _("Search")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="personal_data_accesses")
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    fields = models.CharField(_("fields"), max_length=200)
    reason = models.CharField(_("reason"), max_length=255)
    accessed_at = models.DateTimeField(_("accessed at"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-accessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.customer_id}"
