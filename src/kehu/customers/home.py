"""The customers app's section of the home dashboard (registered in ``CustomersConfig.ready``): the newest timeline
rows (``Activity``) of the customers the user owns: purchases, tier changes, alerts, transfers, lifecycle changes."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import HomeSection

HOME_CHANGES = 8


def recent_changes_section_load(user: Any) -> dict[str, Any]:
    """The newest activities of the customers the user owns (and may see), one query."""
    from .models import Activity, Customer
    from .timeline import timeline_items, visible_activities

    mine = Customer.objects.visible_to(user).filter(owner=user).values("pk")
    activities = (visible_activities(user, Activity.objects.filter(customer__in=mine, occurred_at__lte=timezone.now()))
                  .select_related("customer", "actor").order_by("-occurred_at", "-id")[:HOME_CHANGES])
    return {"items": timeline_items(activities)}


RECENT_CHANGES_SECTION = HomeSection(
    key="recent_changes", title=_("My customers' recent changes"), order=20, loader=recent_changes_section_load,
    template="customers/_home_recent_changes.html", permission="customers.view_customer",
    roles=frozenset({"account_manager"}), queries=1,
)
