"""The permissions of the ``loyalty`` app granted to each staff role (registered in ``LoyaltyConfig.ready``).

Everyone may read (rows are scoped further by the customers' row scope); store staff (account managers, service
agents) and branch managers issue cards, change their status and redeem; adjustments are requested by them and
decided through ``work`` approvals; administrators configure programmes, levels and rules."""

from kehu.org.roles import ALL_ROLES, Role

_VIEW = ["loyalty.view_programme", "loyalty.view_level", "loyalty.view_earningrule", "loyalty.view_membership",
         "loyalty.view_card", "loyalty.view_pointsaccount", "loyalty.view_pointsentry",
         "loyalty.view_pointsadjustment"]
_COUNTER = ["loyalty.add_card", "loyalty.change_card", "loyalty.add_pointsentry", "loyalty.add_pointsadjustment"]
_CONFIGURE = ["loyalty.add_programme", "loyalty.change_programme", "loyalty.add_level", "loyalty.change_level",
              "loyalty.delete_level", "loyalty.add_earningrule", "loyalty.change_earningrule",
              "loyalty.delete_earningrule"]

GRANTS: dict[str, list[str]] = {role: list(_VIEW) for role in ALL_ROLES}
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT):
    GRANTS[_role] += _COUNTER
GRANTS[Role.ADMINISTRATOR] += _CONFIGURE

# coupons (kehu.loyalty.coupons): everyone sees them; the counter uses them; branch managers and administrators
# create batches, issue, void and reissue (within the branches they run)
for _role in ALL_ROLES:
    GRANTS[_role] += ["loyalty.view_couponbatch", "loyalty.view_coupon"]
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT):
    GRANTS[_role] += ["loyalty.use_coupon"]
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER):
    GRANTS[_role] += ["loyalty.add_couponbatch", "loyalty.change_couponbatch", "loyalty.add_coupon",
                      "loyalty.void_coupon"]
