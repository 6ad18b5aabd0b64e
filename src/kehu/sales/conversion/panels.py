"""The "Opportunities" panel of the customer 360 page and of the screen pop (``/api/customers/lookup``), registered
in ``SalesConfig.ready``: a customer's open opportunities with their stage, amount and expected close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from kehu.core.registry import CustomerPanel

OPPORTUNITIES_SHOWN = 20


def opportunities_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: ``open_opportunities`` (soonest expected close first, at most ``OPPORTUNITIES_SHOWN``) and
    ``open_opportunity_count``, in one query (the stage joined) whatever the number of customers, along
    ``opp_customer_idx``, scoped by ``Opportunity.objects.visible_to``."""
    from ..models import Opportunity, OpportunityStatus

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"open_opportunities": [], "open_opportunity_count": 0} for pk in ids}
    if not ids:
        return data
    rows = (Opportunity.objects.visible_to(user)
            .filter(customer_id__in=ids, status=OpportunityStatus.OPEN)
            .select_related("stage", "owner"))
    rows = rows.order_by("customer_id", "expected_close", "id")
    for opportunity in rows:
        entry = data[opportunity.customer_id]  # type: ignore[index]
        entry["open_opportunity_count"] += 1
        if len(entry["open_opportunities"]) < OPPORTUNITIES_SHOWN:
            entry["open_opportunities"].append(opportunity)
    return data


class OpenOpportunityOut(Schema):
    id: int
    name: str
    stage: str = Field(description="The stage's name.")
    amount: Decimal
    probability: int = Field(description="Percent.")
    expected_close: dt.date

    @staticmethod
    def resolve_stage(obj: Any) -> str:
        return obj.stage.name


class OpportunitiesPanelOut(Schema):
    """The opportunities panel's fields in each screen pop item."""

    open_opportunities: list[OpenOpportunityOut] = Field(
        description=f"The open opportunities, soonest expected close first; at most {OPPORTUNITIES_SHOWN}.")
    open_opportunity_count: int = Field(description="How many open opportunities the customer has in all.")


OPPORTUNITIES_PANEL = CustomerPanel(
    key="opportunities", title=_("Opportunities"), order=17, loader=opportunities_load,
    template="sales/conversion/_opportunities_panel.html", permission="sales.view_opportunity",
    schema=OpportunitiesPanelOut, queries=1,
)
