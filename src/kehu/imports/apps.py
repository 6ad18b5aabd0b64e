from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Generic CSV/XLSX import: mapping, preview, row errors, upsert; and exports."""

    name = "kehu.imports"
    verbose_name = _("Imports and exports")
