from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """Pages that gather several apps (the home dashboard, the personal-data access log): above ``customers`` and
    ``org`` in the layers, so that ``org`` imports no later app."""

    name = "kehu.home"
    verbose_name = _("Home")

    def ready(self) -> None:
        from .sections import register_sections

        register_sections()
