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

# staff KPIs (kehu.relations.kpis): account managers see their own line, branch managers their branches' staff,
# administrators and auditors everyone; administrators change the configuration (admin)
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.AUDITOR):
    GRANTS[_role] += ["relations.view_staff_kpis"]
GRANTS[Role.ADMINISTRATOR] += ["relations.view_kpiconfiguration", "relations.change_kpiconfiguration"]
