"""The 360 page's "Plans and events" panel (registered in ``RelationsConfig.ready``): the customer's current
maintenance plans, recent events and gifts, and the gift form. Batched: four queries whatever the number of
customers."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel

RECENT = 5


def _ranked(queryset: Any, order: list[Any]) -> Any:
    return (queryset.annotate(kehu_rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=order))
            .filter(kehu_rank__lte=RECENT).order_by("customer_id", "kehu_rank"))


def plans_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: up to 5 plans not yet summarised (newest first), 5 newest event invitations, 5 newest gifts,
    and whether the user may give gifts (the gift form)."""
    from ..models import Event, EventInvitee, Gift, GiftOccasion, MaintenancePlan, PlanCustomer, PlanStatus
    from .selectors import customers_for_plans

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"plans": [], "events": [], "gifts": [], "may_give": False} for pk in ids}
    if not ids:
        return data
    links = _ranked(PlanCustomer.objects.filter(customer_id__in=ids, plan__in=MaintenancePlan.objects.visible_to(user))
                    .exclude(plan__status=PlanStatus.SUMMARISED).select_related("plan", "plan__owner"),
                    [F("plan__created_at").desc(), F("plan_id").desc()])
    for link in links:
        data[link.customer_id]["plans"].append(link.plan)
    invitations = _ranked(EventInvitee.objects.filter(customer_id__in=ids, event__in=Event.objects.visible_to(user))
                          .select_related("event"), [F("event__date").desc(), F("id").desc()])
    for invitation in invitations:
        data[invitation.customer_id]["events"].append(invitation)
    if user.has_perm("relations.view_gift"):
        for gift in _ranked(Gift.objects.filter(customer_id__in=ids), [F("given_on").desc(), F("id").desc()]):
            data[gift.customer_id]["gifts"].append(gift)
    for pk in customers_for_plans(user=user).filter(pk__in=ids).values_list("pk", flat=True):
        data[pk]["may_give"] = user.has_perm("relations.add_gift")
    running = (PlanStatus.APPROVED, PlanStatus.IN_PROGRESS)
    for entry in data.values():
        entry["running_plans"] = [plan for plan in entry["plans"] if plan.status in running]
        entry["occasions"] = GiftOccasion.choices
    return data


PLANS_PANEL = CustomerPanel(
    key="plans_events", title=_("Plans and events"), order=16, loader=plans_panel_load,
    template="relations/plans/_panel.html", permission="relations.view_maintenanceplan", queries=4,
)
