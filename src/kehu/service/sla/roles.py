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


def merge_grants(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    """Both grant dicts in one (the lead keeps one definition of this at the merge)."""
    merged = {role: list(perms) for role, perms in a.items()}
    for role, perms in b.items():
        merged.setdefault(role, [])
        merged[role] += [perm for perm in perms if perm not in merged[role]]
    return merged
