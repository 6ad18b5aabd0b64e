"""Service models. One module per part; each part's helper adds its own module and lists its models here."""

from .kb import Article, ArticleCategory, ArticleStatus, ArticleUse, ArticleVersion, VersionStatus
from .mailin import InboundEmail, TicketAttachment, ticket_attachment_path
from .sla import BranchCalendar, BusinessCalendar, CalendarDay, SlaEvent, SlaPolicy, TicketSla
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
    "Article",
    "ArticleCategory",
    "ArticleStatus",
    "ArticleUse",
    "ArticleVersion",
    "VersionStatus",
    "BranchCalendar",
    "BusinessCalendar",
    "CalendarDay",
    "SlaEvent",
    "SlaPolicy",
    "TicketSla",
    "SCORE_RANGE",
    "Channel",
    "InboundEmail",
    "Priority",
    "ServiceTeam",
    "SmsOutbox",
    "SurveyChannel",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyResponse",
    "SurveyStatus",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketMessage",
    "TicketStatus",
    "TicketStatusChange",
    "TicketType",
    "ticket_attachment_path",
]
