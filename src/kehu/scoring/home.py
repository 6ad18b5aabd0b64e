"""The scoring app's section of the home dashboard (registered in ``ScoringConfig.ready``): the open alerts on the
customers the user looks after (account managers: the customers they own; managers: their scope)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import HomeSection

HOME_ALERTS = 6


def alerts_section_load(user: Any) -> dict[str, Any]:
    """The newest open alerts the user may see and the counts of open and acknowledged ones (two queries)."""
    from .models import Alert
    from .selectors import alert_counts, alert_list

    return {"alerts": list(alert_list(user=user, status=Alert.Status.OPEN)[:HOME_ALERTS]),
            "counts": alert_counts(user=user)}


ALERTS_SECTION = HomeSection(key="alerts", title=_("Customers at risk"), order=10, loader=alerts_section_load,
                             template="scoring/_home_alerts.html", permission="customers.view_customer", queries=2)
