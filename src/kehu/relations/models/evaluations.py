"""Relationship evaluation (客户关系评估表): templates of weighted indicators, evaluations of a customer with one score
per indicator, a weighted total out of 100, a grade and a recommendation (improve / maintain / end the relationship)
by thresholds kept on the template. Every evaluation is kept (the trend on the 360 page is their totals)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.org.models import Branch, User

MANUAL = "manual"


class Recommendation(models.TextChoices):
    IMPROVE = "improve", _("Improve the relationship")
    MAINTAIN = "maintain", _("Maintain the relationship")
    TERMINATE = "terminate", _("End the relationship")


class EvaluationTemplate(models.Model):
    """A form of evaluation: its indicators and thresholds. ``maintain_from``: a total at or above it recommends
    maintaining; ``terminate_below``: a total below it recommends ending; between the two, improving. Grades A/B/C/D
    by ``grade_a_from`` / ``grade_b_from`` / ``grade_c_from``. ``period_months``: the window computed indicators read
    (contacts, satisfaction, growth). ``periodic``: the monthly run (``kehu evaluate``) evaluates key customers with
    it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, default="", max_length=2000)
    is_active = models.BooleanField(_("active"), default=True)
    periodic = models.BooleanField(_("evaluate key customers monthly"), default=False)
    period_months = models.PositiveSmallIntegerField(_("period (months)"), default=12,
                                                     validators=[MinValueValidator(1), MaxValueValidator(60)])
    maintain_from = models.DecimalField(_("maintain from (total)"), max_digits=5, decimal_places=2,
                                        default=Decimal("70"),
                                        validators=[MinValueValidator(0), MaxValueValidator(100)])
    terminate_below = models.DecimalField(_("end below (total)"), max_digits=5, decimal_places=2,
                                          default=Decimal("40"),
                                          validators=[MinValueValidator(0), MaxValueValidator(100)])
    grade_a_from = models.DecimalField(_("grade A from"), max_digits=5, decimal_places=2, default=Decimal("85"),
                                       validators=[MinValueValidator(0), MaxValueValidator(100)])
    grade_b_from = models.DecimalField(_("grade B from"), max_digits=5, decimal_places=2, default=Decimal("70"),
                                       validators=[MinValueValidator(0), MaxValueValidator(100)])
    grade_c_from = models.DecimalField(_("grade C from"), max_digits=5, decimal_places=2, default=Decimal("50"),
                                       validators=[MinValueValidator(0), MaxValueValidator(100)])
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("evaluation template")
        verbose_name_plural = _("evaluation templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def recommendation_for(self, total: Decimal) -> str:
        if total >= self.maintain_from:
            return Recommendation.MAINTAIN
        if total < self.terminate_below:
            return Recommendation.TERMINATE
        return Recommendation.IMPROVE

    def grade_for(self, total: Decimal) -> str:
        if total >= self.grade_a_from:
            return "A"
        if total >= self.grade_b_from:
            return "B"
        if total >= self.grade_c_from:
            return "C"
        return "D"


class EvaluationIndicator(models.Model):
    """One line of a template (分析指标): its weight (the template's weights add up to 100), the highest score, and
    where the score comes from: ``manual`` (entered by the evaluator) or a registered computed source
    (``kehu.relations.evaluation_sources``). ``target``: what earns the full score for sources that count (e.g. 12
    contacts in the period). ``default_score``: a manual score the monthly run uses when the customer has no earlier
    evaluation to carry it from."""

    template = models.ForeignKey(EvaluationTemplate, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("indicator"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)])
    max_score = models.DecimalField(_("highest score"), max_digits=7, decimal_places=2, default=Decimal("100"),
                                    validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100000)])
    source = models.CharField(_("source"), max_length=40, default=MANUAL)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(10**9)])
    default_score = models.DecimalField(_("default score"), max_digits=7, decimal_places=2, default=Decimal("0"),
                                        validators=[MinValueValidator(0), MaxValueValidator(100000)])
    description = models.CharField(_("basis of the score"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_label(self) -> str:
        from kehu.relations.evaluations.sources import source_choices

        return dict(source_choices()).get(self.source, self.source)


class EvaluationQuerySet(models.QuerySet["Evaluation"]):
    def visible_to(self, user: User) -> EvaluationQuerySet:
        """The evaluations of the customers the user may see."""
        if not user.has_perm("relations.view_evaluation"):
            return self.none()
        return self.filter(customer__in=Customer.objects.visible_to(user))


class Evaluation(models.Model):
    """One evaluation of a customer with a template on a date (客户关系评估表), by a member of staff or by the monthly
    run (``evaluator`` empty, ``automatic``). Unique per customer, template and date: the run is idempotent and a
    second evaluation the same day is refused. ``branch``: the customer's branch when evaluated (filters)."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="evaluations", db_index=False)  # evaluation_customer_date_idx
    template = models.ForeignKey(EvaluationTemplate, verbose_name=_("template"), on_delete=models.PROTECT,
                                 related_name="evaluations")
    evaluated_on = models.DateField(_("date"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    automatic = models.BooleanField(_("automatic"), default=False)
    total = models.DecimalField(_("total"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=2)
    recommendation = models.CharField(_("recommendation"), max_length=16, choices=Recommendation.choices)
    notes = models.TextField(_("notes"), blank=True, default="", max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [
            models.Index(fields=["customer", "evaluated_on"], name="evaluation_customer_date_idx"),
            models.Index(fields=["evaluated_on"], name="evaluation_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "template", "evaluated_on"], name="unique_evaluation_day"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(total__lte=100), name="evaluation_total_range"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.evaluated_on} {self.total}"


class EvaluationScore(models.Model):
    """The score of one indicator in an evaluation, with the measured value of a computed source (``value``: e.g.
    the share of wallet in %, the contacts counted) and the basis (得分依据)."""

    id = models.BigAutoField(primary_key=True)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(EvaluationIndicator, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    value = models.DecimalField(_("measured value"), max_digits=16, decimal_places=2, null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        constraints = [models.UniqueConstraint(fields=["evaluation", "indicator"], name="unique_evaluation_score")]

    def __str__(self) -> str:
        return f"{self.evaluation_id}/{self.indicator_id}: {self.score}"
