"""The staff roles (Django groups) and the permissions each holds. The groups are created by a data migration."""

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

_VIEW = [
    "customers.view_customer",
    "customers.view_contact",
    "customers.view_consent",
    "purchases.view_transaction",
    "purchases.view_product",
    "purchases.view_category",
]
_CHANGE_CUSTOMERS = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_contact",
    "customers.change_contact",
    "customers.delete_contact",
    "customers.add_consent",
    "customers.transfer_customer",
]

# Permission codenames ("app_label.codename") per role.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: [
        *_VIEW,
        *_CHANGE_CUSTOMERS,
        "customers.delete_customer",
        "customers.view_personal_data",
        "customers.view_personaldataaccess",
        "purchases.add_transaction",
        "purchases.change_transaction",
        "purchases.add_product",
        "purchases.change_product",
        "purchases.add_category",
        "purchases.change_category",
        "scoring.run_scoring",
    ],
    Role.BRANCH_MANAGER: [
        *_VIEW,
        *_CHANGE_CUSTOMERS,
        "customers.view_personal_data",
        "purchases.add_transaction",
        "scoring.run_scoring",
    ],
    Role.ACCOUNT_MANAGER: [
        *_VIEW,
        "customers.add_customer",
        "customers.change_customer",
        "customers.add_contact",
        "customers.change_contact",
        "customers.delete_contact",
        "customers.add_consent",
        "customers.view_personal_data",
        "purchases.add_transaction",
    ],
    Role.SERVICE_AGENT: [*_VIEW, "customers.add_consent"],
    Role.MARKETER: [*_VIEW],
    Role.CREDIT_OFFICER: [*_VIEW, "customers.view_personal_data"],
    Role.AUDITOR: [*_VIEW, "customers.view_personaldataaccess", "customers.view_historicalcustomer"],
}
