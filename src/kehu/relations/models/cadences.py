"""Cadences by tier (接触频率): how often each kind of contact is due for the customers of a tier of the primary tier
scheme and/or of a management class (关键客户: call every week, greeting SMS every month, visit every quarter).

``kehu cadence`` (and the daily beat job) turns the rules into tasks set-based (``relations.cadences.services``);
the coverage report reads how many customers were contacted on cadence (``relations.cadences.selectors``)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models.choices import ManagementClass

from .contacts import ContactChannel

MAX_EVERY = 365


class CadenceUnit(models.TextChoices):
    DAY = "day", pgettext_lazy("cadence unit", "day")
    WEEK = "week", pgettext_lazy("cadence unit", "week")
    MONTH = "month", pgettext_lazy("cadence unit", "month")
    QUARTER = "quarter", pgettext_lazy("cadence unit", "quarter")
    YEAR = "year", pgettext_lazy("cadence unit", "year")


# an interval is counted in days, the same on SQLite and PostgreSQL (see docs/architecture.md, Decisions)
UNIT_DAYS = {CadenceUnit.DAY: 1, CadenceUnit.WEEK: 7, CadenceUnit.MONTH: 30, CadenceUnit.QUARTER: 91,
             CadenceUnit.YEAR: 365}


class CadenceRule(models.Model):
    """Contact the customers of ``tier`` (a code of the primary tier scheme; empty: any tier) and of
    ``management_class`` (empty: any class) by ``channel`` at least every ``every`` ``unit``s. A customer matches a
    rule when it matches both of its conditions; a rule with neither applies to every active customer.
    ``version`` refuses a stale edit (409)."""

    tier = models.CharField(_("tier"), max_length=32, blank=True, default="",
                            help_text=_("A tier of the primary tier scheme; empty: any tier."))
    management_class = models.CharField(_("management class"), max_length=16, blank=True, default="",
                                        choices=ManagementClass.choices,
                                        help_text=_("Empty: any management class."))
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    every = models.PositiveSmallIntegerField(_("every"), default=1,
                                             validators=[MinValueValidator(1), MaxValueValidator(MAX_EVERY)])
    unit = models.CharField(_("unit"), max_length=8, choices=CadenceUnit.choices, default=CadenceUnit.MONTH)
    title = models.CharField(_("task title"), max_length=200, blank=True, default="",
                             help_text=_("What the due task says, e.g. “节日问候短信”; empty: the channel."))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["tier", "management_class", "channel", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(every__gte=1, every__lte=MAX_EVERY),
                                   name="cadence_every_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} / {self.interval_label}"

    @property
    def interval_days(self) -> int:
        return self.every * UNIT_DAYS[CadenceUnit(self.unit)]

    @property
    def interval_label(self) -> str:
        from django.utils.translation import gettext, ngettext

        labels = {
            CadenceUnit.DAY: ngettext("every day", "every %(n)d days", self.every),
            CadenceUnit.WEEK: ngettext("every week", "every %(n)d weeks", self.every),
            CadenceUnit.MONTH: ngettext("every month", "every %(n)d months", self.every),
            CadenceUnit.QUARTER: ngettext("every quarter", "every %(n)d quarters", self.every),
            CadenceUnit.YEAR: ngettext("every year", "every %(n)d years", self.every),
        }
        text = labels.get(CadenceUnit(self.unit)) if self.unit in CadenceUnit.values else None
        return (text or gettext("every %(n)d days")) % {"n": self.every}

    @property
    def task_title(self) -> str:
        return self.title or str(self.get_channel_display())
