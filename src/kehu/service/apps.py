from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """Service: tickets and complaints, SLA in business hours, knowledge base, satisfaction surveys, lost
    customers, the agent's screen and e-mail in."""

    name = "kehu.service"
    verbose_name = _("Service")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kehu.core.registry import DemoStep, register_demo_step, register_grants, register_timeline_kind

        from .agent.registration import register as register_agent
        from .demo import load_tickets_demo
        from .kb.registration import register as register_kb
        from .lost.registration import register as register_lost
        from .mailin.registration import register as register_mailin
        from .recovery.registration import register as register_recovery
        from .roles import GRANTS
        from .sla.registration import register as register_sla
        from .surveys.registration import register as register_surveys
        from .timeline import TICKET_KIND

        register_grants(self.label, GRANTS)
        register_timeline_kind(TICKET_KIND)
        register_demo_step(DemoStep("tickets", _("Tickets"), 130, load_tickets_demo))
        register_recovery()
        register_mailin()
        register_kb()
        register_sla()
        register_surveys()
        register_agent()
        register_lost()
