"""Service models. One module per part; each part's helper adds its own module and lists its models here."""

from .recovery import Compensation
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
    "Compensation",
    "Priority",
    "ServiceTeam",
    "Ticket",
    "TicketCategory",
    "TicketMessage",
    "TicketStatus",
    "TicketStatusChange",
    "TicketType",
]
