from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core.registry import register_grants, register_home_section, register_import_target

        from .home import RECENT_CHANGES_SECTION
        from .roles import GRANTS

        register_grants(self.label, GRANTS)
        register_home_section(RECENT_CHANGES_SECTION)
        from .timeline import register_kinds

        register_kinds()
        from .relationships import register as register_relationships

        register_relationships()  # links between customers: the 360 panel and the "relationship" timeline kind
        # the target code still lives in kehu.imports.targets (named by path, imported when an import runs)
        register_import_target("customers", _("Customers"), "kehu.imports.targets.customers.CustomerTarget",
                               permissions=("customers.add_customer", "customers.change_customer"))
        register_import_target("contacts", _("Contacts"), "kehu.imports.targets.contacts.ContactTarget",
                               permissions=("customers.add_contact",))
