"""What maintenance plans, events and gifts register (called from ``RelationsConfig.ready``): the approval kind
``maintenance_plan`` (branch managers up to an amount, administrators without limit), the task kind of plan
actions, the timeline kinds ``plan``, ``event`` and ``gift``, the 360 page's panel and the demo step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

# a branch manager approves plans of their branches up to this budget; above it an administrator (or an
# ApprovalAuthority row) decides
BRANCH_MANAGER_PLAN_AUTHORITY = Decimal("50000.00")


def _plan_url(approval: Any) -> str:
    from django.urls import reverse

    return reverse("relations:plan", args=[approval.subject_id])


def register_plans() -> None:
    from kehu.core.registry import DemoStep, register_demo_step, register_panel, register_timeline_kind
    from kehu.org.roles import Role
    from kehu.work.registry import ApprovalKind, TaskKind, register_approval_kind, register_task_kind

    from .demo import load_plans_demo
    from .panels import PLANS_PANEL
    from .services import APPROVAL_KIND, plan_on_decided
    from .timeline import EVENT_KIND, GIFT_KIND, PLAN_KIND

    register_approval_kind(ApprovalKind(
        APPROVAL_KIND, _("Maintenance plan"),
        default_authority={Role.BRANCH_MANAGER: BRANCH_MANAGER_PLAN_AUTHORITY, Role.ADMINISTRATOR: None},
        on_decided=plan_on_decided, url=_plan_url))
    register_task_kind(TaskKind("plan_action", _("Plan action")))
    for kind in (PLAN_KIND, EVENT_KIND, GIFT_KIND):
        register_timeline_kind(kind)
    register_panel(PLANS_PANEL)
    register_demo_step(DemoStep("plans", _("Maintenance plans, events and gifts"), 110, load_plans_demo))
