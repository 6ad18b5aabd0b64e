"""Reads of the work machinery: task lists ("my work"), the inbox and the approvals waiting for a user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kehu.org.models import User
from kehu.org.roles import SCOPE_CHANGE_ROLES, Role
from kehu.org.selectors import user_roles

from .models import Approval, Notification, Task

SECTION_ROWS = 50
NO_TIER = "-"


def task_list(*, user: User, scope: str = "mine", status: str | None = Task.Status.OPEN, customer_id: int | None = None,
              owner_id: int | None = None, due_before: dt.date | None = None, tier: str | None = None
              ) -> QuerySet[Task]:
    """Tasks the user may see; ``scope`` "mine" (owned by the user) or "team" (all in the user's scope: a branch
    manager's branches), by status, customer, owner, due date and the customer's tier (``-``: customers without a
    tier and tasks without a customer)."""
    tasks = Task.objects.visible_to(user)
    if scope == "mine":
        tasks = tasks.filter(owner=user)
    if status:
        tasks = tasks.filter(status=status)
    if customer_id is not None:
        tasks = tasks.filter(customer_id=customer_id)
    if owner_id is not None:
        tasks = tasks.filter(owner_id=owner_id)
    if due_before is not None:
        tasks = tasks.filter(due_date__lt=due_before)
    if tier == NO_TIER:
        tasks = tasks.filter(Q(customer__isnull=True) | Q(customer__primary_tier__isnull=True))
    elif tier:
        tasks = tasks.filter(customer__primary_tier__tier=tier)
    return (tasks.select_related("customer", "customer__primary_tier", "owner")
            .order_by("due_date", "-priority", "id"))


def user_sees_team_tasks(user: User) -> bool:
    """Branch managers and administrators may switch "my work" to their branches' tasks; auditors read them all."""
    return bool(user_roles(user) & (SCOPE_CHANGE_ROLES | {Role.AUDITOR}))


@dataclass
class WorkSection:
    key: str
    title: Any
    tasks: list[Task]
    count: int


@dataclass
class MyWork:
    today: dt.date
    week_end: dt.date
    sections: list[WorkSection]
    tiers: list[tuple[str, str, int]] = field(default_factory=list)  # tier, label, open tasks due this week


def my_work(*, user: User, scope: str = "mine", tier: str | None = None, today: dt.date | None = None) -> MyWork:
    """The open tasks of "my work": overdue, due today, due later this week (to Sunday), each the first 50 with the
    count; and the open tasks due by Sunday per customer tier, to filter by. Five queries whatever the number of
    tasks."""
    from django.utils.translation import gettext_lazy as _

    day = today or timezone.localdate()
    week_end = day + dt.timedelta(days=6 - day.weekday())
    base = task_list(user=user, scope=scope, tier=tier)
    windows = [
        ("overdue", _("Overdue"), Q(due_date__lt=day)),
        ("today", _("Today"), Q(due_date=day)),
        ("week", _("This week"), Q(due_date__gt=day, due_date__lte=week_end)),
    ]
    counts = base.order_by().aggregate(**{key: Count("pk", filter=condition) for key, _title, condition in windows})
    sections = [WorkSection(key, title, list(base.filter(condition)[:SECTION_ROWS]), counts[key])
                for key, title, condition in windows]
    by_tier = (task_list(user=user, scope=scope).filter(due_date__lte=week_end).order_by()
               .values("customer__primary_tier__tier", "customer__primary_tier__label").annotate(n=Count("pk")))
    tiers: dict[str, tuple[str, str, int]] = {}
    for row in by_tier:
        key = row["customer__primary_tier__tier"] or NO_TIER
        label = row["customer__primary_tier__label"] or key
        previous = tiers.get(key)
        tiers[key] = (key, label, row["n"] + (previous[2] if previous else 0))
    return MyWork(today=day, week_end=week_end, sections=sections, tiers=sorted(tiers.values()))


def task_get(*, user: User, pk: int) -> Task:
    """One task the user may see (``Task.DoesNotExist`` otherwise: 404)."""
    return Task.objects.visible_to(user).select_related("customer", "owner", "created_by", "completed_by").get(pk=pk)


UNREAD_SHOWN_MAX = 99


def unread_count(*, user: User, cap: int = UNREAD_SHOWN_MAX) -> int:
    """The user's unread messages, counted up to ``cap + 1`` (the header shows "99+"): every page asks, so it reads
    at most a hundred index entries rather than counting a neglected inbox."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return len(Notification.objects.filter(recipient=user, read_at=None).values_list("pk", flat=True)[: cap + 1])


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at=None)
    return notifications.order_by("-created_at", "-id")


def approval_list(*, user: User, status: str | None = None) -> QuerySet[Approval]:
    approvals = Approval.objects.visible_to(user)
    if status:
        approvals = approvals.filter(status=status)
    return approvals.select_related("submitted_by", "decided_by", "customer", "branch").order_by("-submitted_at")


def approvals_waiting(*, user: User) -> list[Approval]:
    """The pending approvals this user may decide (authority, amount, branch scope, not their own)."""
    from .services import approval_may_decide

    pending = approval_list(user=user, status=Approval.Status.PENDING).exclude(submitted_by=user)[:200]
    authorities: dict[str, Any] = {}  # one authority query per kind, not per approval
    return [approval for approval in pending
            if approval_may_decide(user=user, approval=approval, authorities=authorities)]


def approval_get(*, user: User, pk: int) -> Approval:
    return approval_list(user=user).prefetch_related("decisions__actor").get(pk=pk)
