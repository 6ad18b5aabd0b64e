"""Service models. One module per part; each part's helper adds its own module and lists its models here."""

from .sla import BranchCalendar, BusinessCalendar, CalendarDay, SlaEvent, SlaPolicy, TicketSla
from .tickets import (
    Channel,
    Priority,
    ServiceTeam,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
    TicketType,
)

__all__ = [
    "BranchCalendar",
    "BusinessCalendar",
    "CalendarDay",
    "SlaEvent",
    "SlaPolicy",
    "TicketSla",
    "Channel",
    "Priority",
    "ServiceTeam",
    "Ticket",
    "TicketCategory",
    "TicketMessage",
    "TicketStatus",
    "TicketStatusChange",
    "TicketType",
]
