"""The lost-customer panel of the 360 page: the open lost record (reason, since when) or the "Mark lost" button."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel


def lost_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: its newest lost record (open or won back), one query whatever the number of customers."""
    from ..models import LostRecord

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"record": None} for pk in ids}
    for record in LostRecord.objects.filter(customer_id__in=ids).order_by("customer_id", "-lost_at", "-id"):
        if data[record.customer_id]["record"] is None:
            data[record.customer_id]["record"] = record
    return data


LOST_PANEL = CustomerPanel(
    key="lost", title=_("Lost customer"), order=85, loader=lost_panel_load, template="service/lost/_panel.html",
    permission="service.view_lostrecord", queries=1,
)
