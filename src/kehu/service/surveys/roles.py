"""The survey part's permissions per role, merged into ``service.roles.GRANTS`` by one line."""

from kehu.org.roles import Role

_VIEW = ["service.view_surveyinvitation", "service.view_surveyresponse"]

SURVEYS_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _VIEW + ["service.view_smsoutbox"],
    Role.BRANCH_MANAGER: list(_VIEW),
    Role.SERVICE_AGENT: list(_VIEW),
    Role.ACCOUNT_MANAGER: list(_VIEW),
    Role.AUDITOR: list(_VIEW),
}


def merge_grants(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    """The permissions of both grant dicts, per role (order kept, no duplicates)."""
    merged = {role: list(perms) for role, perms in a.items()}
    for role, perms in b.items():
        merged.setdefault(role, [])
        merged[role] += [perm for perm in perms if perm not in merged[role]]
    return merged
