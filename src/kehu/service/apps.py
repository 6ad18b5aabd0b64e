from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """Service: tickets and complaints, SLA in business hours, knowledge base, satisfaction surveys, lost
    customers, the agent's screen and e-mail in."""

    name = "kehu.service"
    verbose_name = _("Service")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kehu.core.registry import register_grants

        from .kb.registration import register as register_kb
        from .mailin.registration import register as register_mailin
        from .roles import GRANTS
        from .sla.registration import register as register_sla
        from .surveys.registration import register as register_surveys

        register_grants(self.label, GRANTS)
        register_mailin()
        register_kb()
        register_sla()
        register_surveys()
