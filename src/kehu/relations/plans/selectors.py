"""Reads of maintenance plans, events and gifts, scoped by ``visible_to`` (another branch's ids do not exist)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import user_is_read_only

from ..models import Event, EventInvitee, Gift, MaintenancePlan, PlanAction

ZERO = Decimal("0.00")


def customers_for_plans(*, user: User) -> QuerySet[Customer]:
    """The customers a user may draft plans for, give gifts to: administrators all, branch managers their branches,
    account managers the customers they own; auditors none."""
    if user_is_read_only(user) or not user.has_perm("relations.add_maintenanceplan"):
        return Customer.objects.none()
    return Customer.objects.visible_to(user, "change")


def plan_list(*, user: User, search: str = "", status: str = "", owner_id: int | None = None,
              branch_id: int | None = None, customer_id: int | None = None) -> QuerySet[MaintenancePlan]:
    """Plans the user may see, newest first, with owner and branch and the number of customers."""
    plans = MaintenancePlan.objects.visible_to(user)
    if search:
        plans = plans.filter(Q(title__icontains=search) | Q(objective__icontains=search)
                             | Q(plan_customers__customer__name__icontains=search)
                             | Q(plan_customers__customer__code__iexact=search)).distinct()
    if status:
        plans = plans.filter(status=status)
    if owner_id is not None:
        plans = plans.filter(owner_id=owner_id)
    if branch_id is not None:
        plans = plans.filter(branch_id=branch_id)
    if customer_id is not None:
        plans = plans.filter(plan_customers__customer_id=customer_id)
    return (plans.select_related("owner", "branch").annotate(customer_count=Count("plan_customers", distinct=True))
            .order_by("-created_at", "-id"))


def plan_get(*, user: User, pk: int) -> MaintenancePlan:
    return (MaintenancePlan.objects.visible_to(user).select_related("owner", "branch", "approval", "summarised_by")
            .prefetch_related("plan_customers__customer", "actions__task", "actions__customer", "actions__owner")
            .get(pk=pk))


def may_change_plan(*, user: User, plan: MaintenancePlan) -> bool:
    return MaintenancePlan.objects.visible_to(user, "change").filter(pk=plan.pk).exists()


@dataclass
class PlanBudget:
    """A plan's money: the budget, what is committed (planned but not yet spent) and what is spent."""

    budget: Decimal
    spent: Decimal
    committed: Decimal
    events: Decimal
    gifts: Decimal
    actions: Decimal

    @property
    def used(self) -> Decimal:
        return self.spent + self.committed

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.used

    @property
    def overrun(self) -> Decimal:
        return max(self.used - self.budget, ZERO)

    @property
    def over_budget(self) -> bool:
        return self.used > self.budget


def plan_budget(*, plan: MaintenancePlan, today: dt.date | None = None) -> PlanBudget:
    """Three aggregate queries. Spent: the costs of the plan's events held (dated today or earlier), its gifts and
    its actions' recorded costs. Committed: the costs of its events still to come and its actions' planned costs not
    yet recorded."""
    day = today or timezone.localdate()
    events = Event.objects.filter(plan=plan).aggregate(
        held=Sum("cost", filter=Q(date__lte=day)), coming=Sum("cost", filter=Q(date__gt=day)))
    gifts = Gift.objects.filter(plan=plan).aggregate(total=Sum("cost"))["total"] or ZERO
    actions = PlanAction.objects.filter(plan=plan).aggregate(
        recorded=Sum("recorded_cost"), planned=Sum("cost", filter=Q(recorded_cost__isnull=True)))
    events_held, events_coming = events["held"] or ZERO, events["coming"] or ZERO
    recorded, planned = actions["recorded"] or ZERO, actions["planned"] or ZERO
    return PlanBudget(budget=plan.budget, spent=events_held + gifts + recorded,
                      committed=events_coming + planned, events=events_held + events_coming, gifts=gifts,
                      actions=recorded + planned)


def event_list(*, user: User, search: str = "", kind: str = "", branch_id: int | None = None,
               plan_id: int | None = None) -> QuerySet[Event]:
    events = Event.objects.visible_to(user)
    if search:
        events = events.filter(Q(name__icontains=search) | Q(place__icontains=search))
    if kind:
        events = events.filter(kind=kind)
    if branch_id is not None:
        events = events.filter(branch_id=branch_id)
    if plan_id is not None:
        events = events.filter(plan_id=plan_id)
    return (events.select_related("branch", "organiser", "plan")
            .annotate(invited=Count("invitees"), attended_count=Count("invitees", filter=Q(invitees__attended=True)))
            .order_by("-date", "-id"))


def event_get(*, user: User, pk: int) -> Event:
    return Event.objects.visible_to(user).select_related("branch", "organiser", "plan").get(pk=pk)


def may_change_event(*, user: User, event: Event) -> bool:
    return Event.objects.visible_to(user, "change").filter(pk=event.pk).exists()


def invitee_list(*, user: User, event: Event) -> QuerySet[EventInvitee]:
    """The invitees of an event the user may see, restricted to the customers the user may see."""
    return (EventInvitee.objects.filter(event=event, customer__in=Customer.objects.visible_to(user))
            .select_related("customer").order_by("customer__name", "id"))


def gift_list(*, user: User, customer_id: int | None = None, plan_id: int | None = None) -> QuerySet[Gift]:
    gifts = Gift.objects.filter(customer__in=Customer.objects.visible_to(user))
    if not user.has_perm("relations.view_gift"):
        return gifts.none()
    if customer_id is not None:
        gifts = gifts.filter(customer_id=customer_id)
    if plan_id is not None:
        gifts = gifts.filter(plan_id=plan_id)
    return gifts.select_related("customer", "given_by", "plan").order_by("-given_on", "-id")
