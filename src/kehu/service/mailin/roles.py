"""E-mail in's permissions per role: administrators and auditors read the log of received e-mail (the admin)."""

from kehu.org.roles import Role

MAILIN_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: ["service.view_inboundemail"],
    Role.AUDITOR: ["service.view_inboundemail"],
}


def merge_grants(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    """Both dicts' permissions per role, without repeats (the lead keeps one copy of this at the merge)."""
    merged = {role: list(codenames) for role, codenames in a.items()}
    for role, codenames in b.items():
        merged[role] = list(dict.fromkeys([*merged.get(role, []), *codenames]))
    return merged
