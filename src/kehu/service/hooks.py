"""Listeners told when a ticket is created or changes status, so the parts of service (SLA targets, satisfaction
surveys) and later modules react without the ticket services importing them. A listener is registered in
``ServiceConfig.ready()`` (or a later app's) and is called inside the ticket's transaction: a failing listener
fails the change (SLA targets and surveys must not be silently lost)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kehu.core.registry import Registry

if TYPE_CHECKING:
    from kehu.org.models import User

    from .models import Ticket

TicketListener = Callable[..., object]
ticket_listeners: Registry[TicketListener] = Registry("ticket listeners")


def register_ticket_listener(key: str, listener: TicketListener) -> TicketListener:
    """``listener(ticket=, event=, from_status=, actor=)``; ``event`` is ``"created"``, ``"status"`` (a transition,
    ``from_status`` the old status), ``"priority"``, ``"assigned"`` or ``"message"`` (a reply or note added)."""
    return ticket_listeners.register(key, listener)


def ticket_changed(*, ticket: Ticket, event: str, actor: User | None = None, from_status: str = "") -> None:
    for _key, listener in ticket_listeners.items():
        listener(ticket=ticket, event=event, from_status=from_status, actor=actor)
