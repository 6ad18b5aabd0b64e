from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for trying Kehu (``kehu demo``). Depends on every domain app; nothing depends on it."""

    name = "kehu.demo"
    verbose_name = _("Demo data")
