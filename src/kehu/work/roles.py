"""The permissions of the ``work`` app granted to each staff role (registered in ``WorkConfig.ready``).

Rows are scoped further by ``Task.objects.visible_to`` (own tasks; branch managers their branches'; auditors read
everything, change nothing) and by the approval authority (``work.services.approval_authority``)."""

from kehu.org.roles import ALL_ROLES, Role

_VIEW = ["work.view_task", "work.view_approval", "work.view_notification"]
_WORK = ["work.add_task", "work.change_task"]

GRANTS: dict[str, list[str]] = {role: list(_VIEW) for role in ALL_ROLES}
for _role in (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT, Role.MARKETER,
              Role.CREDIT_OFFICER):
    GRANTS[_role] += _WORK
GRANTS[Role.ADMINISTRATOR] += ["work.view_approvalauthority", "work.add_approvalauthority",
                               "work.change_approvalauthority", "work.delete_approvalauthority"]
