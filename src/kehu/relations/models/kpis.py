"""Staff KPIs (员工客户维护考核): the configuration of the monthly 100-point score of seed 001 (信息量 50 分、贡献率 50
分; 客户信息收集一周不低于 10 户、一月不低于 50 户; 贡献率不低于本月单位业绩的 70%). The figures are computed on read
(``kehu.relations.kpis.selectors``), not stored: see docs/architecture.md, "Staff KPIs are computed on read"."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class KpiConfiguration(models.Model):
    """The one row of KPI settings (administrators edit it in the admin). Without a stored row the defaults of the
    seed apply. The weights of the two halves add up to 100 points."""

    SINGLETON_ID = 1

    weekly_quota = models.PositiveIntegerField(
        _("weekly information quota"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Customers whose information a staff member should collect or complete each week."))
    monthly_quota = models.PositiveIntegerField(
        _("monthly information quota"), default=50, validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Customers whose information a staff member should collect or complete each month."))
    information_weight = models.PositiveSmallIntegerField(
        _("information points"), default=50, validators=[MaxValueValidator(100)],
        help_text=_("Points of the monthly score for information collected (at quota)."))
    contribution_weight = models.PositiveSmallIntegerField(
        _("contribution points"), default=50, validators=[MaxValueValidator(100)],
        help_text=_("Points of the monthly score for the contribution of the staff member's customers (at target)."))
    contribution_share = models.PositiveSmallIntegerField(
        _("contribution target (%)"), default=70, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("A staff member reaches the contribution target when their customers spend this share of the "
                    "average spend of the customers of their branch's staff."))
    bonus_cap = models.PositiveSmallIntegerField(
        _("largest achievement (%)"), default=120, validators=[MinValueValidator(100), MaxValueValidator(300)],
        help_text=_("Above target, points grow in proportion up to this share of the target (with 120, at most "
                    "1.2 times the points)."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("staff KPI configuration")
        verbose_name_plural = _("staff KPI configuration")
        permissions = [("view_staff_kpis", _("Can see staff KPIs"))]
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="kpi_configuration_single_row")]

    def __str__(self) -> str:
        return str(_("Staff KPI configuration"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if (self.information_weight or 0) + (self.contribution_weight or 0) != 100:
            raise ValidationError({"contribution_weight": _("The information and contribution points must add up "
                                                            "to 100.")})
        if self.weekly_quota and self.monthly_quota and self.weekly_quota > self.monthly_quota:
            raise ValidationError({"weekly_quota": _("The weekly quota cannot be larger than the monthly one.")})
