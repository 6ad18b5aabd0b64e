"""The ticket workflow: which status may follow which, per type. Complaints go received → accepted → investigating →
resolved → confirmed with the customer → closed → reviewed; the other types received → accepted → resolved →
closed. Reopening (from resolved, confirmed or closed) goes back to investigating (complaints) or accepted."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import TicketStatus as S
from .models import TicketType

COMPLAINT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.ACCEPTED,),
    S.ACCEPTED: (S.INVESTIGATING,),
    S.INVESTIGATING: (S.RESOLVED,),
    S.RESOLVED: (S.CONFIRMED, S.INVESTIGATING),
    S.CONFIRMED: (S.CLOSED, S.INVESTIGATING),
    S.CLOSED: (S.REVIEWED, S.INVESTIGATING),
    S.REVIEWED: (),
    S.MERGED: (),
}
OTHER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.ACCEPTED,),
    S.ACCEPTED: (S.RESOLVED,),
    S.RESOLVED: (S.CLOSED, S.ACCEPTED),
    S.CLOSED: (S.ACCEPTED,),
    S.MERGED: (),
}
REOPEN_FROM = (S.RESOLVED, S.CONFIRMED, S.CLOSED)
# moves that ask the user to confirm on the page (they end or reopen the work)
CONFIRM = (S.CLOSED, S.REVIEWED, S.INVESTIGATING, S.ACCEPTED)


def transitions_for(ticket_type: str) -> dict[str, tuple[str, ...]]:
    return COMPLAINT_TRANSITIONS if ticket_type == TicketType.COMPLAINT else OTHER_TRANSITIONS


def allowed_targets(ticket_type: str, status: str) -> tuple[str, ...]:
    return transitions_for(ticket_type).get(status, ())


def is_reopen(ticket_type: str, from_status: str, to_status: str) -> bool:
    return from_status in REOPEN_FROM and to_status == (
        S.INVESTIGATING if ticket_type == TicketType.COMPLAINT else S.ACCEPTED)


def refusal(ticket_type: str, from_status: str, to_status: str) -> str | None:
    """None if the move is allowed, else the reason in the request's language."""
    if to_status not in S.values:
        return _("Unknown status.")
    if from_status == S.MERGED:
        return _("This ticket was merged into another one: work on that ticket.")
    if to_status == S.MERGED:
        return _("A ticket becomes merged only by merging it into another one.")
    if to_status in (S.INVESTIGATING, S.CONFIRMED, S.REVIEWED) and ticket_type != TicketType.COMPLAINT:
        return _("Only complaints are investigated, confirmed with the customer and reviewed.")
    if to_status == from_status:
        return _("The ticket is already in this status.")
    if to_status in allowed_targets(ticket_type, from_status):
        return None
    return _("A ticket cannot go from “%(from)s” to “%(to)s”.") % {"from": S(from_status).label,
                                                                   "to": S(to_status).label}
