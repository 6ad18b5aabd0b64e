"""Service models. One module per part; each part's helper adds its own module and lists its models here."""

from .lost import LostReason, LostRecord
from .mailin import InboundEmail, TicketAttachment, ticket_attachment_path
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
    "InboundEmail",
    "LostReason",
    "LostRecord",
    "Priority",
    "ServiceTeam",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketMessage",
    "TicketStatus",
    "TicketStatusChange",
    "TicketType",
    "ticket_attachment_path",
]
