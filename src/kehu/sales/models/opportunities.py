"""Opportunities (销售机会): pipelines with configurable stages (each with a default probability), loss reasons,
the opportunity with its product lines and its stage history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Branch, User


class Pipeline(models.Model):
    """A sales process: its stages in order. Exactly one pipeline is the default (new opportunities go there)."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="pipeline_one_default")]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("stage kind", "Open")
    WON = "won", pgettext_lazy("stage kind", "Won")
    LOST = "lost", pgettext_lazy("stage kind", "Lost")


class Stage(models.Model):
    """A step of a pipeline: ``order`` sorts the board's columns, ``probability`` (percent) is what an opportunity
    entering the stage is given, ``kind`` says whether it closes the deal (won, lost)."""

    id = models.BigAutoField(primary_key=True)
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                 related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=60)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "order", "id"]
        constraints = [models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_max")]

    def __str__(self) -> str:
        return f"{self.name} ({self.probability}%)"


class LossReason(models.Model):
    """Why a deal was lost (configurable in the admin)."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class OpportunityStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity status", "Open")
    WON = "won", pgettext_lazy("opportunity status", "Won")
    LOST = "lost", pgettext_lazy("opportunity status", "Lost")


class OpportunityQuerySet(models.QuerySet["Opportunity"]):
    def visible_to(self, user: User, action: str = "view") -> OpportunityQuerySet:
        """Row scope of opportunities, decided here only (as leads, without a pool).

        ``view``: administrators and auditors all; branch managers (and other roles with the permission) the
        opportunities of their branches and below, and their own; account managers their own.
        ``change``: administrators all; branch managers their branches'; account managers their own; auditors none.
        """
        from kehu.org.roles import Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.has_perm("sales.view_opportunity"):
            return self.none()
        roles = user_roles(user)
        ids = branch_ids_in_scope(user)
        if action == "view":
            if ids is None:
                return self
            if roles & {Role.BRANCH_MANAGER, Role.ADMINISTRATOR} or not roles & {Role.ACCOUNT_MANAGER}:
                return self.filter(Q(branch_id__in=ids) | Q(owner=user))
            return self.filter(owner=user)
        if user_is_read_only(user) or not user.has_perm("sales.change_opportunity"):
            return self.none()
        if Role.ADMINISTRATOR in roles or user.is_superuser:
            return self
        if Role.BRANCH_MANAGER in roles:
            return self.filter(Q(branch_id__in=ids or []) | Q(owner=user))
        return self.filter(owner=user)


class Opportunity(models.Model):
    """A deal being worked (销售机会), for a customer or a lead (exactly one): its pipeline and stage,
    ``probability`` (the stage's default when it enters a stage, may be changed), ``amount`` (the sum of its lines;
    kept by the services), expected close date, next step, competitors, ``committed`` (the owner commits to it in
    the forecast), ``status`` and, once closed, ``closed_at``, ``cycle_days`` (created → closed) and for a lost deal
    its reason. ``reached_order`` is the highest open stage it reached (the funnel counts by it);
    ``stage_entered_at`` starts the clock of the time in stage. ``version`` detects concurrent edits."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False)  # opp_customer_idx
    lead = models.ForeignKey("sales.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="opportunities", db_index=False)  # opp_lead_idx
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="opportunities", db_index=False)  # opp_owner_status_idx
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+",
                               db_index=False)  # opp_branch_status_idx
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+",
                                 db_index=False)  # opp_board_idx
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+",
                              db_index=False)  # opp_stage_new_idx
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    expected_close = models.DateField(_("expected close"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True, default="")
    competitors = models.TextField(_("competitors"), max_length=1000, blank=True, default="")
    committed = models.BooleanField(_("committed"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=OpportunityStatus.choices,
                              default=OpportunityStatus.OPEN)
    loss_reason = models.ForeignKey(LossReason, verbose_name=_("loss reason"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False)
    loss_note = models.CharField(_("note"), max_length=500, blank=True, default="")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cycle_days = models.PositiveIntegerField(_("days to close"), null=True, blank=True)
    reached_order = models.PositiveSmallIntegerField(default=0, editable=False)
    stage_entered_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["customer"], name="opp_customer_idx", condition=Q(customer__isnull=False)),
            models.Index(fields=["lead"], name="opp_lead_idx", condition=Q(lead__isnull=False)),
            models.Index(fields=["owner", "status"], name="opp_owner_status_idx"),
            models.Index(fields=["branch", "status"], name="opp_branch_status_idx"),
            models.Index(fields=["stage", "-created_at"], name="opp_stage_new_idx"),
            # the board's columns: open deals soonest to close first, closed ones latest closed first
            models.Index(fields=["stage", "expected_close", "id"], name="opp_stage_close_idx"),
            models.Index(fields=["stage", "-closed_at", "-id"], name="opp_stage_closed_idx",
                         condition=Q(closed_at__isnull=False)),
            models.Index(fields=["status", "expected_close"], name="opp_status_close_idx"),
            models.Index(fields=["status", "closed_at"], name="opp_status_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(customer__isnull=False, lead__isnull=True)
                                   | Q(customer__isnull=True, lead__isnull=False), name="opp_customer_xor_lead"),
            models.CheckConstraint(condition=~Q(status="lost") | Q(loss_reason__isnull=False),
                                   name="opp_lost_has_reason"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="opp_probability_max"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == OpportunityStatus.OPEN

    @property
    def weighted(self):  # type: ignore[no-untyped-def]
        from decimal import Decimal

        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class OpportunityLine(models.Model):
    """A product of the deal: quantity × unit price = amount (kept by the services)."""

    id = models.BigAutoField(primary_key=True)
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("purchases.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+", db_index=False)  # opp_line_product_idx
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")
        indexes = [models.Index(fields=["product"], name="opp_line_product_idx")]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class StageChange(models.Model):
    """The stage history, append-only: from which stage (none: created) to which, when, by whom, and how long the
    opportunity had been in the stage it left (``seconds_in_previous``)."""

    id = models.BigAutoField(primary_key=True)
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes",
                                    db_index=False)  # opp_stage_change_idx
    from_stage = models.ForeignKey(Stage, verbose_name=_("from"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    to_stage = models.ForeignKey(Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False)
    seconds_in_previous = models.PositiveBigIntegerField(_("time in previous stage"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["opportunity", "at"], name="opp_stage_change_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"
