"""Service models. One module per part; each part's helper adds its own module and lists its models here."""

from .lost import LostReason, LostRecord
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
    "Channel",
    "LostReason",
    "LostRecord",
    "Priority",
    "ServiceTeam",
    "Ticket",
    "TicketCategory",
    "TicketMessage",
    "TicketStatus",
    "TicketStatusChange",
    "TicketType",
]
