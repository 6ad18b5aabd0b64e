"""The customer value panel of the 360 page (registered in ``ScoringConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel


def customer_value_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, Any]:
    """Per customer: its :class:`kehu.scoring.selectors.CustomerScores` with each tier's "since" date (five queries
    whatever the number)."""
    from .selectors import customer_scores_many

    return customer_scores_many(customer_ids=customer_ids)  # type: ignore[return-value]


# on the 360 page only: the screen pop shows the tier, which the customer carries (CustomerTier)
CUSTOMER_VALUE_PANEL = CustomerPanel(
    key="customer_value", title=_("Customer value"), order=10, loader=customer_value_load,
    template="scoring/_customer_value_panel.html", schema=None, queries=5,
)
