from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core.registry import register_grants

        from .roles import GRANTS

        register_grants(self.label, GRANTS)
