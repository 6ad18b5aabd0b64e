"""The relationship strengthening table (客户关系强化表) of an organisation customer: our people (general manager,
deputies, department heads) paired with theirs, how strong the tie is, the main competitor's tie, the measures to
strengthen it, when, and who is responsible. Edited by several people: ``version`` refuses a stale write (409)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Contact, Customer


class OurLevel(models.TextChoices):
    GENERAL_MANAGER = "general_manager", _("General manager")
    DEPUTY = "deputy", _("Deputy general manager")
    DEPARTMENT_MANAGER = "department_manager", _("Department manager")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    OTHER = "other", _("Other")


class Strength(models.IntegerChoices):
    NONE = 0, _("None")
    WEAK = 1, _("Weak")
    FAIR = 2, _("Fair")
    GOOD = 3, _("Good")
    STRONG = 4, _("Strong")
    CLOSE = 5, _("Very close")


class StrengtheningRow(models.Model):
    """One pairing of the table. Our side: a member of staff (``our_staff``) or a name typed in (``our_name``), at a
    level (``our_level``) with a title; their side: one of the customer's contacts (``their_contact``) or a name and
    title typed in. ``strength`` and ``competitor_strength`` on a 0–5 scale."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="strengthening_rows")
    our_level = models.CharField(_("our level"), max_length=24, choices=OurLevel.choices,
                                 default=OurLevel.GENERAL_MANAGER)
    our_staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("our person"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    our_name = models.CharField(_("our person (name)"), max_length=100, blank=True, default="")
    our_title = models.CharField(_("our title"), max_length=100, blank=True, default="")
    their_contact = models.ForeignKey(Contact, verbose_name=_("their person"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+", db_index=False)
    their_name = models.CharField(_("their person (name)"), max_length=100, blank=True, default="")
    their_title = models.CharField(_("their title"), max_length=100, blank=True, default="")
    strength = models.PositiveSmallIntegerField(_("current strength"), choices=Strength.choices,
                                                default=Strength.FAIR,
                                                validators=[MinValueValidator(0), MaxValueValidator(5)])
    competitor = models.CharField(_("main competitor"), max_length=100, blank=True, default="")
    competitor_strength = models.PositiveSmallIntegerField(_("competitor's strength"), choices=Strength.choices,
                                                           null=True, blank=True,
                                                           validators=[MinValueValidator(0), MaxValueValidator(5)])
    measures = models.TextField(_("measures"), blank=True, default="", max_length=2000)
    schedule = models.CharField(_("schedule"), max_length=200, blank=True, default="")
    due_date = models.DateField(_("by"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False)
    notes = models.CharField(_("notes"), max_length=255, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("strengthening row")
        verbose_name_plural = _("strengthening table")
        ordering = ["customer", "our_level", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(strength__gte=0, strength__lte=5), name="strengthening_strength_range"),
            models.CheckConstraint(condition=Q(competitor_strength__isnull=True)
                                   | Q(competitor_strength__gte=0, competitor_strength__lte=5),
                                   name="strengthening_competitor_range"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.our_level}"

    @property
    def our_display(self) -> str:
        return str(self.our_staff) if self.our_staff_id else self.our_name

    @property
    def their_display(self) -> str:
        return self.their_contact.name if self.their_contact_id and self.their_contact else self.their_name
