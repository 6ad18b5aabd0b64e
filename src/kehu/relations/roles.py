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
# evaluations (客户关系评估表) and the strengthening table (客户关系强化表): everyone who sees the customer reads them;
# administrators, branch managers and account managers write them (rows scoped by ``visible_to(user, "change")``);
# administrators keep the templates
_EVALUATION_VIEW = ["relations.view_evaluation", "relations.view_evaluationtemplate",
                    "relations.view_strengtheningrow"]
for _role in ALL_ROLES:
    GRANTS[_role] += _EVALUATION_VIEW
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER):
    GRANTS[_role] += ["relations.add_evaluation", "relations.add_strengtheningrow",
                      "relations.change_strengtheningrow", "relations.delete_strengtheningrow"]
GRANTS[Role.ADMINISTRATOR] += ["relations.add_evaluationtemplate", "relations.change_evaluationtemplate"]
# maintenance plans, events and gifts (relations/plans): everyone with the contact log reads them; those who log
# contacts draft plans, organise events and give gifts (rows scoped by PlanQuerySet / EventQuerySet.visible_to)
_PLANS_VIEW = ["relations.view_maintenanceplan", "relations.view_event", "relations.view_gift"]
_PLANS_WORK = ["relations.add_maintenanceplan", "relations.change_maintenanceplan", "relations.add_event",
               "relations.change_event", "relations.add_gift"]
for _role in ALL_ROLES:
    GRANTS[_role] += _PLANS_VIEW
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER):
    GRANTS[_role] += _PLANS_WORK
# cadence rules: every role reads them (the coverage report names them), administrators manage them
for _role in ALL_ROLES:
    GRANTS[_role] += ["relations.view_cadencerule"]
GRANTS[Role.ADMINISTRATOR] += ["relations.add_cadencerule", "relations.change_cadencerule",
                               "relations.delete_cadencerule"]
