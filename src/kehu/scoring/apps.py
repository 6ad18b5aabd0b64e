from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    """Customer value: RFM, tier schemes, value matrices, lifetime value (BG/NBD, Gamma-Gamma), churn alerts."""

    name = "kehu.scoring"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        from kehu.core.registry import (
            register_grants,
            register_home_section,
            register_merge_policy,
            register_panel,
            register_timeline_kind,
        )

        from .home import ALERTS_SECTION
        from .panels import CUSTOMER_VALUE_PANEL
        from .roles import GRANTS
        from .timeline import ALERT_KIND, TIER_CHANGE_KIND

        register_panel(CUSTOMER_VALUE_PANEL)
        register_grants(self.label, GRANTS)
        # a merged customer's summary is derived from its transactions (now the kept customer's): dropped, and the
        # next scoring run computes the kept customer's from all of them; tier changes and alerts are re-pointed
        register_merge_policy("scoring.CustomerSummary", "recompute")
        register_timeline_kind(TIER_CHANGE_KIND)
        register_timeline_kind(ALERT_KIND)
        register_home_section(ALERTS_SECTION)
