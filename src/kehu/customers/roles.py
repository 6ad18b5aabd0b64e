"""The permissions of the ``customers`` app granted to each staff role (registered in ``CustomersConfig.ready``)."""

from kehu.org.roles import Role

_VIEW = ["customers.view_customer", "customers.view_contact", "customers.view_consent",
         "customers.view_customerrelationship"]
_CHANGE = [
    "customers.add_customer", "customers.change_customer", "customers.add_contact", "customers.change_contact",
    "customers.delete_contact", "customers.add_consent", "customers.add_customerrelationship",
    "customers.delete_customerrelationship",
]

GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: [*_VIEW, *_CHANGE, "customers.transfer_customer", "customers.delete_customer",
                         "customers.view_personal_data", "customers.view_personaldataaccess"],
    Role.BRANCH_MANAGER: [*_VIEW, *_CHANGE, "customers.transfer_customer", "customers.view_personal_data"],
    Role.ACCOUNT_MANAGER: [*_VIEW, *_CHANGE, "customers.view_personal_data"],
    Role.SERVICE_AGENT: [*_VIEW, "customers.add_consent"],
    Role.MARKETER: [*_VIEW],
    Role.CREDIT_OFFICER: [*_VIEW, "customers.view_personal_data"],
    Role.AUDITOR: [*_VIEW, "customers.view_personaldataaccess", "customers.view_historicalcustomer"],
}
