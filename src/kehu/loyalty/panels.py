"""The loyalty panel of the customer 360 page (registered in ``LoyaltyConfig.ready``): memberships with level and
points balance, and the cards."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel


def loyalty_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: memberships (one query, with level, programme and account) and cards (one more)."""
    from .models import Card, Membership

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"memberships": [], "cards": []} for pk in ids}
    if not ids:
        return data
    for membership in (Membership.objects.filter(customer_id__in=ids)
                       .select_related("programme", "level", "points_account").order_by("joined_at")):
        data[membership.customer_id]["memberships"].append(membership)
    for card in Card.objects.filter(customer_id__in=ids).order_by("-issued_at", "-id"):
        if card.customer_id is not None:
            data[card.customer_id]["cards"].append(card)
    return data


LOYALTY_PANEL = CustomerPanel(
    key="loyalty", title=_("Membership and points"), order=25, loader=loyalty_panel_load,
    template="loyalty/_panel.html", permission="loyalty.view_membership", queries=2,
)
