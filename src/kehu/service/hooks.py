"""Listeners told when a ticket is created or changes status, so the parts of service (SLA targets, satisfaction
surveys) and later modules react without the ticket services importing them. A listener is registered in
``ServiceConfig.ready()`` (or a later app's) and is called inside the ticket's transaction: a failing listener
fails the change (SLA targets and surveys must not be silently lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


@dataclass(frozen=True)
class TicketSection:
    """A section of the ticket page contributed by a part of service (the SLA clock, knowledge-base answers, the
    satisfaction survey) or a later module. ``loader(ticket=, user=)`` returns the template's context (a dict) or
    ``None`` to hide the section; ``template`` is rendered with ``section``, ``data``, ``ticket`` and ``request``."""

    key: str
    title: Any
    order: int
    template: str
    loader: Callable[..., dict[str, Any] | None]


ticket_sections: Registry[TicketSection] = Registry("ticket page sections")


def register_ticket_section(section: TicketSection) -> TicketSection:
    return ticket_sections.register(section.key, section)


def ticket_section_list() -> list[TicketSection]:
    return sorted(ticket_sections.values(), key=lambda section: (section.order, section.key))
