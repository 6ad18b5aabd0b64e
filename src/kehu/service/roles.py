"""The permissions of the ``service`` app granted to each staff role (registered in ``ServiceConfig.ready``).

Rows are scoped further by ``Ticket.objects.visible_to``: agents their teams' tickets, branch managers (supervisors)
their branches' and the review of complaints, auditors read everything and change nothing."""

from kehu.org.roles import Role


def merge_grants(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    """The union of two role → permissions dicts (each part of service adds its permissions with one line)."""
    merged = {role: list(perms) for role, perms in a.items()}
    for role, perms in b.items():
        merged.setdefault(role, [])
        merged[role] += [perm for perm in perms if perm not in merged[role]]
    return merged


_VIEW = ["service.view_ticket", "service.view_ticketmessage", "service.view_serviceteam", "service.view_ticketcategory"]
_WORK = ["service.add_ticket", "service.change_ticket", "service.add_ticketmessage", "service.view_compensation",
         "service.add_compensation"]

GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _VIEW
    + _WORK
    + [
        "service.review_ticket",
        "service.merge_ticket",
        "service.add_serviceteam",
        "service.change_serviceteam",
        "service.add_ticketcategory",
        "service.change_ticketcategory",
    ],
    Role.BRANCH_MANAGER: _VIEW + _WORK + ["service.review_ticket", "service.merge_ticket"],
    Role.SERVICE_AGENT: _VIEW + _WORK + ["service.merge_ticket"],
    Role.ACCOUNT_MANAGER: _VIEW + _WORK,
    Role.AUDITOR: [*_VIEW, "service.view_compensation"],
}


from .kb.roles import KB_GRANTS  # noqa: E402
from .lost.roles import LOST_GRANTS  # noqa: E402
from .mailin.roles import MAILIN_GRANTS  # noqa: E402
from .sla.roles import SLA_GRANTS  # noqa: E402
from .surveys.roles import SURVEYS_GRANTS  # noqa: E402

GRANTS = merge_grants(GRANTS, MAILIN_GRANTS)
GRANTS = merge_grants(GRANTS, KB_GRANTS)
GRANTS = merge_grants(GRANTS, SLA_GRANTS)
GRANTS = merge_grants(GRANTS, SURVEYS_GRANTS)
GRANTS = merge_grants(GRANTS, LOST_GRANTS)
