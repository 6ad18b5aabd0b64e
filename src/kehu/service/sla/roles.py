"""The SLA permissions of each staff role (merged into ``service.roles.GRANTS``)."""

from kehu.org.roles import Role

_VIEW = ["service.view_slapolicy", "service.view_businesscalendar", "service.view_calendarday",
         "service.view_slaevent"]
_EDIT = [f"service.{action}_{model}" for model in ("slapolicy", "businesscalendar", "calendarday", "branchcalendar")
         for action in ("add", "change", "delete")] + ["service.view_branchcalendar"]

SLA_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _VIEW + _EDIT,
    Role.BRANCH_MANAGER: list(_VIEW),
    Role.SERVICE_AGENT: list(_VIEW),
    Role.AUDITOR: list(_VIEW),
}
