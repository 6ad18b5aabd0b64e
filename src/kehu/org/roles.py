"""The staff roles (Django groups): their names, labels and scope. Their permissions are declared by each app and
synchronised by ``kehu.org.services.sync_roles``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class Role:
    ADMINISTRATOR = "administrator"
    BRANCH_MANAGER = "branch_manager"
    ACCOUNT_MANAGER = "account_manager"
    SERVICE_AGENT = "service_agent"
    MARKETER = "marketer"
    CREDIT_OFFICER = "credit_officer"
    AUDITOR = "auditor"


ROLE_LABELS = {
    Role.ADMINISTRATOR: _("Administrator"),
    Role.BRANCH_MANAGER: _("Branch manager"),
    Role.ACCOUNT_MANAGER: _("Account manager"),
    Role.SERVICE_AGENT: _("Service agent"),
    Role.MARKETER: _("Marketer"),
    Role.CREDIT_OFFICER: _("Credit officer"),
    Role.AUDITOR: _("Auditor"),
}
ALL_ROLES = list(ROLE_LABELS)

# Roles whose users see every customer regardless of branch.
GLOBAL_VIEW_ROLES = {Role.ADMINISTRATOR, Role.AUDITOR}
# Roles that may change every customer they can see (account managers change only their own).
SCOPE_CHANGE_ROLES = {Role.ADMINISTRATOR, Role.BRANCH_MANAGER}
OWN_CHANGE_ROLES = {Role.ACCOUNT_MANAGER}
# Roles whose users may own customers (be their account manager): what every owner picker offers
# (``org.selectors.owner_list``). Auditors, service agents, marketers and credit officers serve customers they do
# not own.
OWNER_ROLES = {Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER}

# The permissions each role holds are declared by the app that owns them (``<app>/roles.py``, registered with
# ``kehu.core.registry.register_grants`` in its ``AppConfig.ready``); ``kehu.org.services.sync_roles`` builds the
# role groups from them after every migrate.
