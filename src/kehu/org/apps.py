from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import pgettext_lazy


def _sync_roles_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from .services import sync_roles

    sync_roles(using=using)


class OrgConfig(AppConfig):
    name = "kehu.org"
    verbose_name = pgettext_lazy("staff, branches and roles", "Organisation")

    def ready(self) -> None:
        # once per migrate (and per flush of a transactional test): the roles from every app's grants
        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="kehu-sync-roles")
