"""The permissions of the ``relations`` app granted to each staff role (registered in ``RelationsConfig.ready``).

Rows are scoped further: contacts by the customers' row scope, and logging by
``selectors.customers_for_logging`` (account managers their own customers, branch managers their branches,
auditors read only)."""

from kehu.org.roles import ALL_ROLES, Role

_VIEW = ["relations.view_contactrecord"]
_LOG = ["relations.add_contactrecord"]

GRANTS: dict[str, list[str]] = {role: list(_VIEW) for role in ALL_ROLES}
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT):
    GRANTS[_role] += _LOG
GRANTS[Role.ADMINISTRATOR] += ["relations.change_contactrecord", "relations.delete_contactrecord"]
# cadence rules: every role reads them (the coverage report names them), administrators manage them
for _role in ALL_ROLES:
    GRANTS[_role] += ["relations.view_cadencerule"]
GRANTS[Role.ADMINISTRATOR] += ["relations.add_cadencerule", "relations.change_cadencerule",
                               "relations.delete_cadencerule"]
