from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasesConfig(AppConfig):
    name = "kehu.purchases"
    verbose_name = _("Purchases")

    def ready(self) -> None:
        from kehu.core.registry import register_grants, register_import_target, register_panel, register_timeline_kind

        from .panels import PURCHASES_PANEL
        from .roles import GRANTS
        from .timeline import TRANSACTION_KIND

        register_panel(PURCHASES_PANEL)
        register_grants(self.label, GRANTS)
        register_import_target("transactions", _("Transactions"), "kehu.imports.targets.transactions.TransactionTarget",
                               permissions=("purchases.add_transaction",))
        register_timeline_kind(TRANSACTION_KIND)
