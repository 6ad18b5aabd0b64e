"""The strengthening table panel of an organisation's 360 page (one query for the rows, one for the right to edit)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel


def strengthening_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    from ..models import StrengtheningRow
    from .selectors import customers_for_strengthening

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"rows": [], "may_edit": False} for pk in ids}
    if not ids:
        return data
    for row in (StrengtheningRow.objects.filter(customer_id__in=ids)
                .select_related("our_staff", "their_contact", "owner").order_by("customer_id", "our_level", "id")):
        data[row.customer_id]["rows"].append(row)
    for pk in customers_for_strengthening(user=user).filter(pk__in=ids).values_list("pk", flat=True):
        data[pk]["may_edit"] = True
    return data


STRENGTHENING_PANEL = CustomerPanel(
    key="strengthening", title=_("Relationship strengthening"), order=24, loader=strengthening_panel_load,
    template="relations/strengthening/_panel.html", permission="relations.view_strengtheningrow", queries=2,
)
