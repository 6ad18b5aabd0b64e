"""Service models. One module per part; each part's helper adds its own module and lists its models here."""

from .surveys import SCORE_RANGE, SmsOutbox, SurveyChannel, SurveyInvitation, SurveyKind, SurveyResponse, SurveyStatus
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
    "SCORE_RANGE",
    "Channel",
    "Priority",
    "ServiceTeam",
    "SmsOutbox",
    "SurveyChannel",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyResponse",
    "SurveyStatus",
    "Ticket",
    "TicketCategory",
    "TicketMessage",
    "TicketStatus",
    "TicketStatusChange",
    "TicketType",
]
