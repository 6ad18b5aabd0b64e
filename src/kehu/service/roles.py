"""The permissions of the ``service`` app granted to each staff role (registered in ``ServiceConfig.ready``).

Rows are scoped further by ``Ticket.objects.visible_to``: agents their teams' tickets, branch managers (supervisors)
their branches' and the review of complaints, auditors read everything and change nothing."""

from kehu.org.roles import Role

_VIEW = ["service.view_ticket", "service.view_ticketmessage", "service.view_serviceteam", "service.view_ticketcategory"]
_WORK = ["service.add_ticket", "service.change_ticket", "service.add_ticketmessage"]

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
    Role.AUDITOR: list(_VIEW),
}


def merge_grants(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    """The union of two parts' grants, role by role, in order and without repeats."""
    return {role: list(dict.fromkeys(a.get(role, []) + b.get(role, []))) for role in {*a, *b}}


from .kb.roles import KB_GRANTS  # noqa: E402
from .mailin.roles import MAILIN_GRANTS  # noqa: E402
from .sla.roles import SLA_GRANTS  # noqa: E402
from .surveys.roles import SURVEYS_GRANTS  # noqa: E402

GRANTS = merge_grants(GRANTS, MAILIN_GRANTS)
GRANTS = merge_grants(GRANTS, KB_GRANTS)
GRANTS = merge_grants(GRANTS, SLA_GRANTS)
GRANTS = merge_grants(GRANTS, SURVEYS_GRANTS)
