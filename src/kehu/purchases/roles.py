"""The permissions of the ``purchases`` app granted to each staff role (registered in ``PurchasesConfig.ready``)."""

from kehu.org.roles import ALL_ROLES, Role

_VIEW = ["purchases.view_transaction", "purchases.view_product", "purchases.view_category"]

GRANTS: dict[str, list[str]] = {role: list(_VIEW) for role in ALL_ROLES}
GRANTS[Role.ADMINISTRATOR] += ["purchases.add_transaction", "purchases.change_transaction", "purchases.add_product",
                               "purchases.change_product", "purchases.add_category", "purchases.change_category"]
GRANTS[Role.BRANCH_MANAGER] += ["purchases.add_transaction"]
GRANTS[Role.ACCOUNT_MANAGER] += ["purchases.add_transaction"]
