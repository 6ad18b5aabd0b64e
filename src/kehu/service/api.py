"""The tickets API (mounted at ``/api/tickets``): list, create, read, transition, messages, assign, merge and
compensation. Internal notes never appear in a customer-facing output (``customer_facing=true``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import INT_MAX, BranchRef, RowId, StaffRef
from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import selectors, services
from .models import Channel, Compensation, Priority, Ticket, TicketMessage, TicketStatus, TicketType
from .recovery.services import compensation_request

router = Router(tags=["tickets"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class NamedRef(Schema):
    id: int
    name: str


class TicketOut(Schema):
    id: int
    number: str
    type: TicketType
    channel: Channel
    customer_id: int | None
    caller_name: str
    subject: str
    description: str
    category: NamedRef | None
    priority: int
    status: TicketStatus
    team: NamedRef | None
    assignee: StaffRef | None
    branch: BranchRef
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    merged_into_id: int | None
    reopened: int
    version: int


class TicketPage(Schema):
    count: int
    items: list[TicketOut]


class TicketIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: RowId | None = Field(None, description="None: an unknown caller (give a name, number or e-mail).")
    type: TicketType
    channel: Channel
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    caller_name: str = Field("", max_length=100)
    caller_phone: str = Field("", max_length=20)
    caller_email: str = Field("", max_length=254)
    category_id: RowId | None = None
    team_id: RowId | None = None
    assignee_id: RowId | None = None


class CreatedOut(Schema):
    id: int
    number: str
    priority: int
    status: str


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: TicketStatus
    comment: str = Field("", max_length=5000)
    version: int | None = Field(None, ge=1, le=INT_MAX, description="The version you read (409 if it changed).")


class MessageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["reply", "note"]
    body: str = Field(min_length=1, max_length=50000)


class MessageOut(Schema):
    id: int
    kind: str
    body: str
    author: StaffRef | None
    created_at: dt.datetime


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    assignee_id: RowId | None
    team_id: RowId | None = None
    priority: Priority | None = None
    version: int | None = Field(None, ge=1, le=INT_MAX)


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: RowId = Field(description="The ticket merged into this one.")


class CompensationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Compensation.Kind
    cost: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    description: str = Field("", max_length=500)


class CompensationOut(Schema):
    id: int
    kind: str
    cost: Decimal
    status: str
    description: str
    created_at: dt.datetime


class ListParams(PageParams):
    q: str = Field("", max_length=100, description="A ticket number or words of the subject.")
    status: TicketStatus | None = None
    type: TicketType | None = None
    team_id: RowId | None = None
    customer_id: RowId | None = None
    mine: bool = False
    open: bool = False


def _conflict(error: Exception) -> Status[dict[str, Any]]:
    return Status(409, {"error": {"code": "transition_refused", "message": str(error), "fields": {}}})


def _ticket(actor: User, pk: int) -> Ticket:
    return selectors.ticket_get(user=actor, pk=pk)


def _pick(actor: User, model: Any, pk: int | None, field: str, queryset: Any = None) -> Any:
    if pk is None:
        return None
    found = (queryset if queryset is not None else model.objects).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [_("Choose one of the listed values.")]})
    return found


@router.get("", response={200: TicketPage, **COMMON_ERRORS}, url_name="ticket_list",
            summary="List the tickets you may see, newest first")
def list_tickets(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    tickets = selectors.ticket_list(user=_actor(request), q=params.q, status=params.status or "",
                                    type=params.type or "", team_id=params.team_id, mine=params.mine,
                                    open_only=params.open, customer_id=params.customer_id)
    return paginate(tickets, params)


@router.post("", response={201: CreatedOut, **COMMON_ERRORS}, url_name="ticket_create",
             summary="Record a ticket (404 for a customer outside your scope)")
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    from django.core.exceptions import PermissionDenied

    actor = _actor(request)
    if not actor.has_perm("service.add_ticket"):
        raise PermissionDenied(_("You may not record tickets."))
    customer = None
    if payload.customer_id is not None:
        customer = Customer.objects.visible_to(actor).select_related("branch").get(pk=payload.customer_id)
    from .models import TicketCategory

    category = _pick(actor, TicketCategory, payload.category_id, "category_id",
                     TicketCategory.objects.filter(active=True))
    team = _pick(actor, None, payload.team_id, "team_id", selectors.team_list(user=actor))
    assignee = _pick(actor, None, payload.assignee_id, "assignee_id", staff_list(user=actor))
    branch = actor.branches.first() if customer is None and team is None else None
    with renamed_fields({"customer": "customer_id", "team": "team_id", "category": "category_id"}):
        ticket = services.ticket_create(
            actor=actor, type=payload.type, channel=payload.channel, subject=payload.subject,
            description=payload.description, customer=customer, caller_name=payload.caller_name,
            caller_phone=payload.caller_phone, caller_email=payload.caller_email, category=category, team=team,
            assignee=assignee, branch=branch)
    return Status(201, {"id": ticket.pk, "number": ticket.number, "priority": ticket.priority,
                        "status": ticket.status})


@router.get("/{int:ticket_id}", response={200: TicketOut, **COMMON_ERRORS}, url_name="ticket_detail",
            summary="A ticket (404 outside your scope)")
def get_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return _ticket(_actor(request), ticket_id)


@router.post("/{int:ticket_id}/transition", response={200: TicketOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="ticket_transition",
             summary="Move a ticket along its workflow (409 transition_refused with the reason)")
def transition(request: HttpRequest, ticket_id: int, payload: TransitionIn) -> Any:
    actor = _actor(request)
    try:
        services.ticket_transition(actor=actor, ticket=_ticket(actor, ticket_id), to=payload.to,
                                   comment=payload.comment, expected_version=payload.version)
    except services.TransitionRefused as error:
        return _conflict(error)
    return _ticket(actor, ticket_id)


@router.get("/{int:ticket_id}/messages", response={200: list[MessageOut], **COMMON_ERRORS},
            url_name="ticket_messages",
            summary="The messages, oldest first; customer_facing=true leaves the internal notes out")
def list_messages(request: HttpRequest, ticket_id: int, customer_facing: bool = False) -> Any:
    ticket = _ticket(_actor(request), ticket_id)
    return list(selectors.ticket_messages(ticket=ticket, customer_facing=customer_facing)[:500])


@router.post("/{int:ticket_id}/messages", response={201: MessageOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="ticket_message_add", summary="Add a reply to the customer or an internal note")
def add_message(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Any:
    from django.core.exceptions import PermissionDenied

    actor = _actor(request)
    ticket = _ticket(actor, ticket_id)
    if not selectors.ticket_may_change(user=actor, ticket=ticket) or not actor.has_perm(
            "service.add_ticketmessage"):
        raise PermissionDenied(_("You may not change this ticket."))
    if ticket.status == TicketStatus.MERGED:
        return _conflict(services.TransitionRefused(
            _("This ticket was merged into another one: work on that ticket.")))
    message = services.ticket_message_add(ticket=ticket, kind=payload.kind, body=payload.body, author=actor)
    return Status(201, message)


@router.post("/{int:ticket_id}/assign", response={200: TicketOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="ticket_assign", summary="Give a ticket to someone (and a team, a priority)")
def assign(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Any:
    actor = _actor(request)
    ticket = _ticket(actor, ticket_id)
    changes: dict[str, Any] = {"assignee": _pick(actor, None, payload.assignee_id, "assignee_id",
                                                 staff_list(user=actor))}
    if payload.team_id is not None:
        changes["team"] = _pick(actor, None, payload.team_id, "team_id", selectors.team_list(user=actor))
    if payload.priority is not None:
        changes["priority"] = int(payload.priority)
    try:
        with renamed_fields({"assignee": "assignee_id", "team": "team_id"}):
            services.ticket_update(actor=actor, ticket=ticket, expected_version=payload.version, **changes)
    except services.TransitionRefused as error:
        return _conflict(error)
    return _ticket(actor, ticket_id)


@router.post("/{int:ticket_id}/merge", response={200: TicketOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="ticket_merge", summary="Merge a duplicate ticket into this one")
def merge(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Any:
    actor = _actor(request)
    keep = _ticket(actor, ticket_id)
    duplicate = _ticket(actor, payload.duplicate_id)
    try:
        with renamed_fields({"merge": "duplicate_id"}):
            services.ticket_merge(actor=actor, keep=keep, merge=duplicate)
    except services.TransitionRefused as error:
        return _conflict(error)
    return _ticket(actor, ticket_id)


@router.post("/{int:ticket_id}/compensation", response={201: CompensationOut, **COMMON_ERRORS},
             url_name="ticket_compensation",
             summary="Offer compensation or goodwill (submitted for approval: kind service_compensation)")
def compensation(request: HttpRequest, ticket_id: int, payload: CompensationIn) -> Any:
    actor = _actor(request)
    ticket = _ticket(actor, ticket_id)
    created = compensation_request(actor=actor, ticket=ticket, kind=payload.kind, cost=payload.cost,
                                   description=payload.description)
    return Status(201, created)


__all__ = ["router", "TicketMessage"]
