"""The permissions of the ``sales`` app granted to each staff role (registered in ``SalesConfig.ready``).

Rows are scoped further by ``Lead.objects.visible_to``: account managers work their own leads and the pool of their
branches, branch managers their branches' leads (and assign them), auditors read everything and change nothing."""

from kehu.org.roles import Role

_VIEW = ["sales.view_lead", "sales.view_leadcontact", "sales.view_leadevent"]
_WORK = ["sales.add_lead", "sales.change_lead", "sales.add_leadcontact"]
_MANAGE = ["sales.assign_lead", "sales.view_handover", "sales.view_assignmentrule", "sales.change_assignmentrule",
           "sales.add_assignmentrule"]

GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _VIEW + _WORK + _MANAGE + ["sales.delete_lead", "sales.delete_assignmentrule"],
    Role.BRANCH_MANAGER: _VIEW + _WORK + _MANAGE,
    Role.ACCOUNT_MANAGER: _VIEW + _WORK,
    Role.MARKETER: list(_VIEW),
    Role.AUDITOR: [*_VIEW, "sales.view_handover"],
}
