from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    """Sales force automation: leads, duplicate matching, assignment and the shared pool; opportunities in
    pipelines, the kanban board and the forecast; conversion and onboarding (``conversion``)."""

    name = "kehu.sales"
    verbose_name = _("Sales")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kehu.core.registry import (
            DemoStep,
            register_demo_step,
            register_grants,
            register_import_target,
            register_timeline_kind,
        )
        from kehu.work.registry import NotificationKind, TaskKind, register_notification_kind, register_task_kind

        from .demo import load_sales_demo
        from .intake.demo import load_intake_demo
        from .opportunities.demo import load_opportunities_demo
        from .opportunities.timeline import OPPORTUNITY_KIND
        from .roles import GRANTS

        register_grants(self.label, GRANTS)
        register_task_kind(TaskKind("lead_follow_up", _("Lead follow-up"), contact_channel=""))
        register_notification_kind(NotificationKind("lead_assigned", _("A lead was assigned to me"),
                                                    email_by_default=False))
        register_demo_step(DemoStep("sales", _("Leads"), 120, load_sales_demo))
        register_demo_step(DemoStep("opportunities", _("Opportunities"), 125, load_opportunities_demo))
        register_demo_step(DemoStep("intake", _("Web intake"), 126, load_intake_demo))
        register_timeline_kind(OPPORTUNITY_KIND)
        # conversion and onboarding (sales/conversion)
        from kehu.core.registry import register_panel

        from .conversion.demo import load_conversion_demo
        from .conversion.panels import OPPORTUNITIES_PANEL
        from .conversion.timeline import LEAD_KIND

        register_timeline_kind(LEAD_KIND)
        register_panel(OPPORTUNITIES_PANEL)
        register_task_kind(TaskKind("onboarding", _("Onboarding"), contact_channel=""))
        register_notification_kind(NotificationKind("customer_won", _("A new customer was won (onboarding)"),
                                                    email_by_default=False))
        register_demo_step(DemoStep("conversion", _("Converted leads and onboarding"), 127, load_conversion_demo))
        register_import_target("leads", _("Leads"), "kehu.sales.imports.LeadTarget", permissions=("sales.add_lead",))
