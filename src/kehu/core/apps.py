from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib import admin

        # the admin is Kehu's configuration screen, not "Django administration"
        admin.site.site_header = _("Kehu administration")
        admin.site.site_title = _("Kehu")
        admin.site.index_title = _("Configuration")
