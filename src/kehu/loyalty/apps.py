from decimal import Decimal

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    """Membership and loyalty: programmes, levels, cards and the points ledger."""

    name = "kehu.loyalty"
    verbose_name = _("Membership and loyalty")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kehu.core.registry import (
            DemoStep,
            register_demo_step,
            register_grants,
            register_merge_policy,
            register_panel,
            register_timeline_kind,
        )
        from kehu.org.roles import Role
        from kehu.purchases.hooks import register_transaction_listener
        from kehu.work.registry import (
            ApprovalKind,
            NotificationKind,
            register_approval_kind,
            register_notification_kind,
        )

        from .demo import load_loyalty_demo
        from .panels import LOYALTY_PANEL
        from .roles import GRANTS
        from .services import accrue_on_record, merge_ledger_rows, merge_memberships, on_adjustment_decided
        from .timeline import CARD_KIND, LEVEL_CHANGE_KIND

        register_grants(self.label, GRANTS)
        register_panel(LOYALTY_PANEL)
        register_timeline_kind(LEVEL_CHANGE_KIND)
        register_timeline_kind(CARD_KIND)
        register_notification_kind(NotificationKind("loyalty_level_change", _("Member level changes")))
        register_notification_kind(NotificationKind("loyalty_points_expiring", _("Points about to expire")))
        register_approval_kind(ApprovalKind(
            "points_adjustment", _("Points adjustment"),
            # the authority amount is the number of points moved
            default_authority={Role.BRANCH_MANAGER: Decimal("5000"), Role.ADMINISTRATOR: None},
            on_decided=on_adjustment_decided,
            url=lambda approval: "/loyalty/"))
        register_merge_policy("loyalty.Membership", "transfer", merge_memberships)
        for model in ("loyalty.PointsAccount", "loyalty.PointsEntry", "loyalty.LevelChange",
                      "loyalty.PointsAdjustment", "loyalty.Card"):
            register_merge_policy(model, "transfer", merge_ledger_rows)
        register_merge_policy("loyalty.PartnerExchange", "transfer", merge_ledger_rows)  # moved by the membership's
        register_transaction_listener("loyalty-accrual", accrue_on_record)
        register_demo_step(DemoStep("loyalty", _("Members, cards and points"), 120, load_loyalty_demo))
        # coupons (kehu.loyalty.coupons): the timeline kind, coupons earned by purchases, the expiry task
        from .coupons import tasks as _coupon_tasks  # noqa: F401 - registers the Celery task
        from .coupons.services import issue_on_transactions
        from .coupons.timeline import COUPON_KIND

        register_timeline_kind(COUPON_KIND)
        register_transaction_listener("loyalty-coupons", issue_on_transactions)
        from .coupons.demo import load_coupon_demo

        register_demo_step(DemoStep("loyalty-coupons", _("Coupon batches and coupons"), 121, load_coupon_demo))
