"""Maintenance plans (客户关系维护方案) with their scheduled actions and summary (维护总结表), events
(联谊会, 客户俱乐部, 新品发布会) with invitees and attendance, and gifts. Plans are approved through ``kehu.work``
approvals; actions become ``work.Task`` rows on approval; events' attendance and gifts are contact records too
(channels ``event`` and ``gift``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import Branch, User

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class PlanStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("plan status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("plan status", "Submitted")
    APPROVED = "approved", pgettext_lazy("plan status", "Approved")
    REJECTED = "rejected", pgettext_lazy("plan status", "Rejected")
    IN_PROGRESS = "in_progress", pgettext_lazy("plan status", "In progress")
    SUMMARISED = "summarised", pgettext_lazy("plan status", "Summarised")


class PlanQuerySet(models.QuerySet["MaintenancePlan"]):
    def visible_to(self, user: User, action: str = "view") -> PlanQuerySet:
        """``view``: administrators and auditors all; others the plans of their branches and below and their own.
        ``change``: administrators all; branch managers their branches'; account managers the plans they own;
        auditors nothing."""
        from kehu.org.roles import SCOPE_CHANGE_ROLES, Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.has_perm("relations.view_maintenanceplan"):
            return self.none()
        ids = branch_ids_in_scope(user)
        if action == "view":
            return self if ids is None else self.filter(Q(branch_id__in=ids) | Q(owner=user))
        if user_is_read_only(user) or not user.has_perm("relations.change_maintenanceplan"):
            return self.none()
        roles = user_roles(user)
        if Role.ADMINISTRATOR in roles:
            return self
        if roles & SCOPE_CHANGE_ROLES:
            return self.filter(Q(branch_id__in=ids or []) | Q(owner=user))
        return self.filter(owner=user)


class MaintenancePlan(models.Model):
    """A maintenance plan for one customer or a group: objective, methods and measures, owner, budget, period and a
    schedule of actions. draft → submitted → approved | rejected (edited and submitted again) → in progress →
    summarised (results, cost spent, next plan). Each decision is a ``work.ApprovalDecision`` of its approval."""

    id = models.BigAutoField(primary_key=True)
    title = models.CharField(_("title"), max_length=200)
    objective = models.TextField(_("objective"), max_length=5000)
    measures = models.TextField(_("methods and measures"), blank=True, default="", max_length=5000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="maintenance_plans")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    budget = models.DecimalField(_("budget"), **MONEY)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    customers: models.ManyToManyField[Customer, PlanCustomer] = models.ManyToManyField(
        Customer, through="PlanCustomer", related_name="maintenance_plans", verbose_name=_("customers"))
    approval = models.ForeignKey("work.Approval", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)
    results = models.TextField(_("results"), blank=True, default="", max_length=5000)
    cost_spent = models.DecimalField(_("cost spent"), null=True, blank=True, **MONEY)
    next_plan = models.TextField(_("next plan"), blank=True, default="", max_length=5000)
    summarised_at = models.DateTimeField(_("summarised at"), null=True, blank=True)
    summarised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        indexes = [models.Index(fields=["branch", "status"], name="plan_branch_status_idx"),
                   models.Index(fields=["owner", "status"], name="plan_owner_status_idx")]
        constraints = [models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                              name="plan_period_order")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.REJECTED)


class PlanCustomer(models.Model):
    """A customer a plan is for (a plan may cover a group)."""

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="plan_customers")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("customer of a plan")
        verbose_name_plural = _("customers of plans")
        constraints = [models.UniqueConstraint(fields=["plan", "customer"], name="plan_customer_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.customer_id}"


class PlanAction(models.Model):
    """One scheduled action of a plan (a visit, a call, a gift, a training). Becomes a ``work.Task`` (kind
    ``plan_action``, source this action) when the plan is approved. ``cost`` is what is planned; ``recorded_cost``
    what it actually cost (counted as spent)."""

    id = models.BigAutoField(primary_key=True)
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=200)
    due_date = models.DateField(_("due date"))
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    cost = models.DecimalField(_("planned cost"), default=0, **MONEY)
    recorded_cost = models.DecimalField(_("recorded cost"), null=True, blank=True, **MONEY)
    task = models.ForeignKey("work.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class EventKind(models.TextChoices):
    GATHERING = "gathering", _("Customer gathering")
    CLUB = "club", _("Customer club")
    LAUNCH = "launch", _("Product launch")
    OTHER = "other", pgettext_lazy("event kind", "Other")


class EventQuerySet(models.QuerySet["Event"]):
    def visible_to(self, user: User, action: str = "view") -> EventQuerySet:
        """``view``: the events of the user's branches and below (administrators and auditors all). ``change``: the
        same for administrators and branch managers; account managers the events they organise."""
        from kehu.org.roles import SCOPE_CHANGE_ROLES, Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.has_perm("relations.view_event"):
            return self.none()
        ids = branch_ids_in_scope(user)
        if action == "view":
            return self if ids is None else self.filter(Q(branch_id__in=ids) | Q(organiser=user))
        if user_is_read_only(user) or not user.has_perm("relations.change_event"):
            return self.none()
        roles = user_roles(user)
        if Role.ADMINISTRATOR in roles:
            return self
        if roles & SCOPE_CHANGE_ROLES:
            return self.filter(Q(branch_id__in=ids or []) | Q(organiser=user))
        return self.filter(organiser=user)


class Event(models.Model):
    """An event for customers (联谊会, 客户俱乐部, 新品发布会): when, where, which branch, what it cost, optionally
    under a maintenance plan (its cost counts against the plan's budget)."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices, default=EventKind.GATHERING)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True, default="")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("organiser"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    cost = models.DecimalField(_("cost"), default=0, **MONEY)
    plan = models.ForeignKey(MaintenancePlan, verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="events")
    notes = models.TextField(_("notes"), blank=True, default="", max_length=5000)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["branch", "date"], name="event_branch_date_idx")]

    def __str__(self) -> str:
        return self.name


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class EventInvitee(models.Model):
    """A customer invited to an event, their answer and whether they came (attendance writes a contact record)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitees")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("invitation"), max_length=16, choices=InvitationStatus.choices,
                              default=InvitationStatus.INVITED)
    attended = models.BooleanField(_("attended"), default=False)
    contact = models.ForeignKey("relations.ContactRecord", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)

    class Meta:
        verbose_name = _("invitee")
        verbose_name_plural = _("invitees")
        constraints = [models.UniqueConstraint(fields=["event", "customer"], name="event_invitee_unique")]
        indexes = [models.Index(fields=["customer"], name="event_invitee_customer_idx")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.customer_id}"


class GiftOccasion(models.TextChoices):
    FESTIVAL = "festival", _("Festival")
    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Anniversary")
    THANKS = "thanks", _("Thanks")
    VISIT = "visit", pgettext_lazy("gift occasion", "Visit")
    OTHER = "other", pgettext_lazy("gift occasion", "Other")


class Gift(models.Model):
    """A gift given to a customer (礼品): what, what it cost, when, why, optionally under a plan. Its contact record
    (channel ``gift``) keeps it in the contact log; the cost lives here so plans' budgets add it up in SQL."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="gifts")
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    description = models.CharField(_("gift"), max_length=200)
    cost = models.DecimalField(_("cost"), **MONEY)
    given_on = models.DateField(_("given on"))
    occasion = models.CharField(_("occasion"), max_length=16, choices=GiftOccasion.choices,
                                default=GiftOccasion.FESTIVAL)
    plan = models.ForeignKey(MaintenancePlan, verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="gifts")
    contact = models.OneToOneField("relations.ContactRecord", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="gift")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("given by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")

    def __str__(self) -> str:
        return self.description
