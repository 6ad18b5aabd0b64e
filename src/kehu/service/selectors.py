"""Every read of tickets more than a ``.get``: lists with filters and search, one ticket in scope, its messages and
history, the teams and categories a user may pick."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kehu.org.models import User

from . import workflow
from .models import ServiceTeam, Ticket, TicketCategory, TicketMessage, TicketStatusChange
from .models.tickets import OPEN_STATUSES


def ticket_list(*, user: User, q: str = "", status: str = "", type: str = "", team_id: int | None = None,
                mine: bool = False, open_only: bool = False, customer_id: int | None = None) -> QuerySet[Ticket]:
    """The tickets the user may see, newest first, filtered. ``q``: a number (``T0000012`` or ``12``) or words of
    the subject."""
    tickets = Ticket.objects.visible_to(user)
    q = (q or "").strip()
    if q:
        digits = q[1:] if q[:1] in "Tt" and q[1:].isdigit() else q
        condition = Q(subject__icontains=q)
        if digits.isdigit() and len(digits) <= 18:
            condition |= Q(pk=int(digits))
        tickets = tickets.filter(condition)
    if status:
        tickets = tickets.filter(status=status)
    if type:
        tickets = tickets.filter(type=type)
    if team_id is not None:
        tickets = tickets.filter(team_id=team_id)
    if mine:
        tickets = tickets.filter(assignee=user)
    if open_only:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if customer_id is not None:
        tickets = tickets.filter(customer_id=customer_id)
    return tickets.select_related("customer", "team", "assignee", "category", "branch").order_by("-created_at", "-pk")


def ticket_get(*, user: User, pk: int) -> Ticket:
    """One ticket in the user's scope (``Ticket.DoesNotExist`` outside it, as for a missing one)."""
    ids = Ticket.objects.visible_to(user).filter(pk=pk).values("pk")
    return Ticket.objects.select_related("customer", "team", "assignee", "category", "branch", "created_by",
                                         "merged_into").get(pk__in=ids)


def ticket_may_change(*, user: User, ticket: Ticket) -> bool:
    return Ticket.objects.visible_to(user, "change").filter(pk=ticket.pk).exists()


def ticket_messages(*, ticket: Ticket, customer_facing: bool = False) -> QuerySet[TicketMessage]:
    """The messages, oldest first; ``customer_facing`` leaves the internal notes out."""
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "pk")
    if customer_facing:
        messages = messages.exclude(kind=TicketMessage.Kind.NOTE)
    return messages


def ticket_history(*, ticket: Ticket) -> QuerySet[TicketStatusChange]:
    return TicketStatusChange.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "pk")


def ticket_next_statuses(*, user: User, ticket: Ticket) -> list[str]:
    """The statuses the user may move the ticket to now (the page's buttons)."""
    targets = list(workflow.allowed_targets(ticket.type, ticket.status))
    if not user.has_perm("service.review_ticket"):
        targets = [t for t in targets if t != "reviewed"]
    return targets


def team_list(*, user: User) -> QuerySet[ServiceTeam]:
    """Active teams of the user's branches, the branches above them and those the user is a member of (all for
    administrators and auditors)."""
    from kehu.org.selectors import branch_ids_in_scope

    teams = ServiceTeam.objects.filter(active=True).select_related("branch")
    ids = branch_ids_in_scope(user)
    if ids is None:
        return teams
    above = {int(part) for branch in user.branches.all() for part in branch.path.split("/") if part.isdigit()}
    member = ServiceTeam.objects.filter(members=user).values("pk")
    return teams.filter(Q(branch_id__in=[*ids, *above]) | Q(pk__in=member))


def category_list() -> QuerySet[TicketCategory]:
    return TicketCategory.objects.filter(active=True).order_by("name")
