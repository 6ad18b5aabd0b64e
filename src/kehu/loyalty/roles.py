"""The permissions of the ``loyalty`` app granted to each staff role (registered in ``LoyaltyConfig.ready``).

Everyone may read (rows are scoped further by the customers' row scope); store staff (account managers, service
agents) and branch managers issue cards, change their status, redeem, move stored value between cards and exchange
points with alliance partners; adjustments are requested by them and decided through ``work`` approvals; branch
(store) managers define their stores' promotions within the group's rules and see the settlement statements of
their stores; administrators (the group administrator) configure programmes, levels, rules, the group's rules and
the partners and see every statement; auditors read everything, statements included."""

from kehu.org.roles import ALL_ROLES, Role

_VIEW = ["loyalty.view_programme", "loyalty.view_level", "loyalty.view_earningrule", "loyalty.view_membership",
         "loyalty.view_card", "loyalty.view_pointsaccount", "loyalty.view_pointsentry",
         "loyalty.view_pointsadjustment", "loyalty.view_grouprules", "loyalty.view_partner"]
_COUNTER = ["loyalty.add_card", "loyalty.change_card", "loyalty.add_pointsentry", "loyalty.add_pointsadjustment",
            "loyalty.add_partnerexchange"]
_STORE_MANAGER = ["loyalty.manage_store_promotion", "loyalty.view_settlement", "loyalty.view_partnerexchange"]
_CONFIGURE = ["loyalty.add_programme", "loyalty.change_programme", "loyalty.add_level", "loyalty.change_level",
              "loyalty.delete_level", "loyalty.add_earningrule", "loyalty.change_earningrule",
              "loyalty.delete_earningrule", "loyalty.change_grouprules", "loyalty.add_partner",
              "loyalty.change_partner"]

GRANTS: dict[str, list[str]] = {role: list(_VIEW) for role in ALL_ROLES}
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT):
    GRANTS[_role] += _COUNTER
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER):
    GRANTS[_role] += _STORE_MANAGER
GRANTS[Role.ADMINISTRATOR] += _CONFIGURE
# the group administrator closes a month's settlement (keeps its statements) and may reopen it (recorded)
GRANTS[Role.ADMINISTRATOR] += ["loyalty.close_settlement", "loyalty.reopen_settlement",
                               "loyalty.view_settlementclose"]

# coupons (kehu.loyalty.coupons): everyone sees them; the counter uses them; branch managers and administrators
# create batches, issue, void and reissue (within the branches they run)
for _role in ALL_ROLES:
    GRANTS[_role] += ["loyalty.view_couponbatch", "loyalty.view_coupon"]
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT):
    GRANTS[_role] += ["loyalty.use_coupon"]
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER):
    GRANTS[_role] += ["loyalty.add_couponbatch", "loyalty.change_couponbatch", "loyalty.add_coupon",
                      "loyalty.void_coupon"]
GRANTS[Role.AUDITOR] += ["loyalty.view_settlement", "loyalty.view_partnerexchange"]
