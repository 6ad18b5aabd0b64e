"""The API of maintenance plans (``/api/plans``), events (``/api/events``) and gifts (``/api/gifts``). Thin: parse,
call a selector or a service, serialise. Another branch's ids answer 404; a stale ``version`` 409. Plans are decided
through ``/api/approvals/{approval_id}/decision`` (the plan's ``approval_id``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import INT_MAX, BranchRef, RowId, StaffRef
from kehu.customers.models import Customer, ManagementClass
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from ..models import Event, EventKind, Gift, GiftOccasion, MaintenancePlan, PlanAction, PlanStatus
from . import selectors, services

plans_router = Router(tags=["maintenance plans"])
events_router = Router(tags=["events"])
gifts_router = Router(tags=["gifts"])

Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)]
Version = Annotated[int, Field(ge=1, le=INT_MAX, description="The version you read; a stale one answers 409.")]


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


def _staff(actor: User, pk: int, field: str) -> User:
    user = staff_list(user=actor).filter(pk=pk).first() or (actor if actor.pk == pk else None)
    if user is None:
        raise ValidationError({field: [_("Choose an active member of staff in your branches.")]})
    return user


def _customers(actor: User, ids: list[int]) -> list[Customer]:
    """The customers named (all visible to the actor, else 404; the service checks that the actor may plan)."""
    found = list(Customer.objects.visible_to(actor).filter(pk__in=ids))
    if len(found) < len(set(ids)):
        raise Http404
    return found


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class ActionOut(Schema):
    id: int
    title: str
    due_date: dt.date
    customer: CustomerRef | None
    owner: StaffRef | None
    cost: Decimal
    recorded_cost: Decimal | None
    task_id: int | None


class BudgetOut(Schema):
    budget: Decimal
    spent: Decimal
    committed: Decimal
    remaining: Decimal
    over_budget: bool
    events: Decimal
    gifts: Decimal
    actions: Decimal


class PlanListItem(Schema):
    id: int
    title: str
    status: PlanStatus
    owner: StaffRef
    branch: BranchRef
    budget: Decimal
    period_start: dt.date
    period_end: dt.date
    customer_count: int
    approval_id: int | None
    version: int


class PlanOut(PlanListItem):
    objective: str
    measures: str
    customers: list[CustomerRef]
    actions: list[ActionOut]
    results: str
    cost_spent: Decimal | None
    next_plan: str
    summarised_at: dt.datetime | None
    budget_figures: BudgetOut
    created_at: dt.datetime

    @staticmethod
    def resolve_customers(obj: MaintenancePlan) -> list[Customer]:
        return [link.customer for link in obj.plan_customers.all()]

    @staticmethod
    def resolve_actions(obj: MaintenancePlan) -> list[PlanAction]:
        return list(obj.actions.all())

    @staticmethod
    def resolve_customer_count(obj: MaintenancePlan) -> int:
        return len(obj.plan_customers.all())

    @staticmethod
    def resolve_budget_figures(obj: MaintenancePlan) -> selectors.PlanBudget:
        return selectors.plan_budget(plan=obj)


class PlanPage(Schema):
    count: int
    items: list[PlanListItem]


class PlanListParams(PageParams):
    q: str | None = Field(None, max_length=100, description="Search title, objective, customers' names and codes.")
    status: PlanStatus | None = None
    owner_id: RowId | None = None
    branch_id: RowId | None = None
    customer_id: RowId | None = None


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    due_date: dt.date
    cost: Money = Decimal(0)
    customer_id: RowId | None = Field(None, description="One of the plan's customers (default: its only one).")
    owner_id: RowId | None = Field(None, description="Default: the plan's owner.")


class PlanIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    objective: str = Field(min_length=1, max_length=5000)
    measures: str = Field("", max_length=5000)
    customer_ids: list[RowId] = Field(min_length=1, max_length=services.CUSTOMERS_PER_PLAN)
    owner_id: RowId | None = Field(None, description="Default: yourself.")
    budget: Money
    period_start: dt.date
    period_end: dt.date
    actions: list[ActionIn] = Field(default_factory=list, max_length=services.ACTIONS_PER_PLAN)


class PlanPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    version: Version
    title: str | None = Field(None, min_length=1, max_length=200)
    objective: str | None = Field(None, min_length=1, max_length=5000)
    measures: str | None = Field(None, max_length=5000)
    customer_ids: list[RowId] | None = Field(None, min_length=1, max_length=services.CUSTOMERS_PER_PLAN)
    owner_id: RowId | None = None
    budget: Money | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


class SubmitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: Version | None = None
    comment: str = Field("", max_length=5000)


class SummaryIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: Version | None = None
    results: str = Field(min_length=1, max_length=5000)
    cost_spent: Money | None = Field(None, description="Default: what the plan's events, gifts and actions cost.")
    next_plan: str = Field("", max_length=5000)


class ActionCostIn(Schema):
    model_config = ConfigDict(extra="forbid")

    recorded_cost: Money


def _plan(request: HttpRequest, pk: int) -> MaintenancePlan:
    try:
        return selectors.plan_get(user=_actor(request), pk=pk)
    except MaintenancePlan.DoesNotExist:
        raise Http404 from None


@plans_router.get("", response={200: PlanPage, **COMMON_ERRORS}, url_name="plan_list",
                  summary="List maintenance plans you may see, newest first")
def list_plans(request: HttpRequest, params: Query[PlanListParams]) -> dict[str, Any]:
    plans = selectors.plan_list(user=_actor(request), search=(params.q or "").strip(), status=params.status or "",
                                owner_id=params.owner_id, branch_id=params.branch_id, customer_id=params.customer_id)
    return paginate(plans, params)


@plans_router.post("", response={201: PlanOut, **COMMON_ERRORS}, url_name="plan_create",
                   summary="Draft a maintenance plan (with its schedule of actions)")
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[MaintenancePlan]:
    actor = _actor(request)
    customers = _customers(actor, payload.customer_ids)
    owner = _staff(actor, payload.owner_id, "owner_id") if payload.owner_id is not None else None
    by_pk = {customer.pk: customer for customer in customers}
    # the plan and its actions in one transaction: an action refused leaves no plan behind
    with renamed_fields({"owner": "owner_id", "customers": "customer_ids"}), transaction.atomic():
        plan = services.plan_create(actor=actor, title=payload.title, objective=payload.objective,
                                    measures=payload.measures, customers=customers, owner=owner,
                                    budget=payload.budget, period_start=payload.period_start,
                                    period_end=payload.period_end)
        for index, item in enumerate(payload.actions):
            if item.customer_id is not None and item.customer_id not in by_pk:
                raise ValidationError({f"actions.{index}.customer_id": [_("Choose one of the plan's customers.")]})
            try:
                services.plan_action_add(
                    actor=actor, plan=plan, title=item.title, due_date=item.due_date, cost=item.cost,
                    customer=by_pk.get(item.customer_id) if item.customer_id else None,
                    owner=_staff(actor, item.owner_id, "owner_id") if item.owner_id else None)
            except ValidationError as error:
                raise ValidationError({f"actions.{index}.{name}": problems
                                       for name, problems in error.message_dict.items()}) from None
    return Status(201, _plan(request, plan.pk))


@plans_router.get("/{plan_id}", response={200: PlanOut, **COMMON_ERRORS}, url_name="plan_detail",
                  summary="One plan with its customers, actions and budget figures")
def get_plan(request: HttpRequest, plan_id: RowId) -> MaintenancePlan:
    return _plan(request, plan_id)


@plans_router.patch("/{plan_id}", response={200: PlanOut, 409: ErrorOut, **COMMON_ERRORS}, url_name="plan_update",
                    summary="Change a draft or rejected plan (send the version you read)")
def update_plan(request: HttpRequest, plan_id: RowId, payload: PlanPatch) -> MaintenancePlan:
    actor = _actor(request)
    plan = _plan(request, plan_id)
    changes = payload.dict(exclude_unset=True, exclude={"version", "customer_ids", "owner_id"})
    if payload.owner_id is not None:
        changes["owner"] = _staff(actor, payload.owner_id, "owner_id")
    customers = _customers(actor, payload.customer_ids) if payload.customer_ids is not None else None
    with renamed_fields({"owner": "owner_id", "customers": "customer_ids"}):
        services.plan_update(actor=actor, plan=plan, expected_version=payload.version, customers=customers,
                             **changes)
    return _plan(request, plan_id)


@plans_router.post("/{plan_id}/actions", response={201: ActionOut, **COMMON_ERRORS}, url_name="plan_action_add",
                   summary="Schedule an action in a draft or rejected plan")
def add_action(request: HttpRequest, plan_id: RowId, payload: ActionIn) -> Status[PlanAction]:
    actor = _actor(request)
    plan = _plan(request, plan_id)
    customer = None
    if payload.customer_id is not None:
        customer = next((link.customer for link in plan.plan_customers.all()
                         if link.customer_id == payload.customer_id), None)
        if customer is None:
            raise ValidationError({"customer_id": [_("Choose one of the plan's customers.")]})
    owner = _staff(actor, payload.owner_id, "owner_id") if payload.owner_id is not None else None
    with renamed_fields({"owner": "owner_id", "customer": "customer_id"}):
        action = services.plan_action_add(actor=actor, plan=plan, title=payload.title, due_date=payload.due_date,
                                          cost=payload.cost, customer=customer, owner=owner)
    return Status(201, action)


@plans_router.patch("/{plan_id}/actions/{action_id}", response={200: ActionOut, **COMMON_ERRORS},
                    url_name="plan_action_cost", summary="Record what an action of a running plan cost")
def record_action_cost(request: HttpRequest, plan_id: RowId, action_id: RowId, payload: ActionCostIn) -> PlanAction:
    plan = _plan(request, plan_id)
    action = next((item for item in plan.actions.all() if item.pk == action_id), None)
    if action is None:
        raise Http404
    return services.plan_action_record_cost(actor=_actor(request), action=action,
                                            recorded_cost=payload.recorded_cost)


@plans_router.post("/{plan_id}/submit", response={200: PlanOut, 409: ErrorOut, **COMMON_ERRORS},
                   url_name="plan_submit", summary="Submit a draft or rejected plan for approval")
def submit_plan(request: HttpRequest, plan_id: RowId, payload: SubmitIn) -> MaintenancePlan:
    plan = _plan(request, plan_id)
    services.plan_submit(actor=_actor(request), plan=plan, expected_version=payload.version, comment=payload.comment)
    return _plan(request, plan_id)


@plans_router.post("/{plan_id}/start", response={200: PlanOut, 409: ErrorOut, **COMMON_ERRORS},
                   url_name="plan_start", summary="Start an approved plan (in progress)")
def start_plan(request: HttpRequest, plan_id: RowId, payload: SubmitIn) -> MaintenancePlan:
    plan = _plan(request, plan_id)
    services.plan_start(actor=_actor(request), plan=plan, expected_version=payload.version)
    return _plan(request, plan_id)


@plans_router.post("/{plan_id}/summary", response={200: PlanOut, 409: ErrorOut, **COMMON_ERRORS},
                   url_name="plan_summarise", summary="Summarise an approved or running plan (维护总结表)")
def summarise_plan(request: HttpRequest, plan_id: RowId, payload: SummaryIn) -> MaintenancePlan:
    plan = _plan(request, plan_id)
    services.plan_summarise(actor=_actor(request), plan=plan, results=payload.results,
                            cost_spent=payload.cost_spent, next_plan=payload.next_plan,
                            expected_version=payload.version)
    return _plan(request, plan_id)


# --- events ---------------------------------------------------------------------------------------------------------


class EventOut(Schema):
    id: int
    name: str
    kind: EventKind
    date: dt.date
    place: str
    branch: BranchRef
    organiser: StaffRef | None
    cost: Decimal
    plan_id: int | None
    notes: str
    version: int
    invited: int = 0
    attended: int = 0

    @staticmethod
    def resolve_attended(obj: Any) -> int:
        return getattr(obj, "attended_count", 0)


class EventPage(Schema):
    count: int
    items: list[EventOut]


class EventListParams(PageParams):
    q: str | None = Field(None, max_length=100, description="Search name and place.")
    kind: EventKind | None = None
    branch_id: RowId | None = None
    plan_id: RowId | None = None


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: EventKind = EventKind.GATHERING
    date: dt.date
    place: str = Field("", max_length=200)
    branch_id: RowId | None = Field(None, description="Default: the plan's branch, else your first.")
    cost: Money = Decimal(0)
    plan_id: RowId | None = None
    notes: str = Field("", max_length=5000)


class EventPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    version: Version
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: EventKind | None = None
    date: dt.date | None = None
    place: str | None = Field(None, max_length=200)
    cost: Money | None = None
    notes: str | None = Field(None, max_length=5000)


class InviteeOut(Schema):
    customer: CustomerRef
    status: str
    attended: bool
    contact_id: int | None


class InviteePage(Schema):
    count: int
    items: list[InviteeOut]


class InviteFilter(Schema):
    model_config = ConfigDict(extra="forbid")

    management_class: ManagementClass | None = None
    owner_id: RowId | None = None
    branch_id: RowId | None = None


class InviteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[RowId] = Field(default_factory=list, max_length=services.INVITES_PER_CALL)
    filter: InviteFilter | None = Field(None, description="Invite every customer you may see matching this.")


class CountOut(Schema):
    count: int


class AttendanceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[RowId] = Field(min_length=1, max_length=services.INVITES_PER_CALL)


class AnswerIn(AttendanceIn):
    status: Literal["invited", "accepted", "declined"]


def _event(request: HttpRequest, pk: int) -> Event:
    try:
        return selectors.event_list(user=_actor(request)).get(pk=pk)
    except Event.DoesNotExist:
        raise Http404 from None


def _visible_plan(actor: User, pk: int | None) -> MaintenancePlan | None:
    if pk is None:
        return None
    plan = MaintenancePlan.objects.visible_to(actor).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@events_router.get("", response={200: EventPage, **COMMON_ERRORS}, url_name="event_list",
                   summary="List events you may see, newest first")
def list_events(request: HttpRequest, params: Query[EventListParams]) -> dict[str, Any]:
    events = selectors.event_list(user=_actor(request), search=(params.q or "").strip(), kind=params.kind or "",
                                  branch_id=params.branch_id, plan_id=params.plan_id)
    return paginate(events, params)


@events_router.post("", response={201: EventOut, **COMMON_ERRORS}, url_name="event_create",
                    summary="Create an event (optionally under a maintenance plan)")
def create_event(request: HttpRequest, payload: EventIn) -> Status[Event]:
    from kehu.org.models import Branch

    actor = _actor(request)
    plan = _visible_plan(actor, payload.plan_id)
    branch = None
    if payload.branch_id is not None:
        branch = Branch.objects.filter(pk=payload.branch_id).first()
        if branch is None:
            raise ValidationError({"branch_id": [_("Choose one of your branches.")]})
    with renamed_fields({"branch": "branch_id", "plan": "plan_id"}):
        event = services.event_create(actor=actor, name=payload.name, kind=payload.kind, date=payload.date,
                                      place=payload.place, branch=branch, cost=payload.cost, plan=plan,
                                      notes=payload.notes)
    return Status(201, _event(request, event.pk))


@events_router.get("/{event_id}", response={200: EventOut, **COMMON_ERRORS}, url_name="event_detail",
                   summary="One event with its invitation counts")
def get_event(request: HttpRequest, event_id: RowId) -> Event:
    return _event(request, event_id)


@events_router.patch("/{event_id}", response={200: EventOut, 409: ErrorOut, **COMMON_ERRORS},
                     url_name="event_update", summary="Change an event (send the version you read)")
def update_event(request: HttpRequest, event_id: RowId, payload: EventPatch) -> Event:
    event = _event(request, event_id)
    services.event_update(actor=_actor(request), event=event, expected_version=payload.version,
                          **payload.dict(exclude_unset=True, exclude={"version"}))
    return _event(request, event_id)


@events_router.get("/{event_id}/invitees", response={200: InviteePage, **COMMON_ERRORS}, url_name="invitee_list",
                   summary="The event's invitees (the customers you may see)")
def list_invitees(request: HttpRequest, event_id: RowId, params: Query[PageParams]) -> dict[str, Any]:
    return paginate(selectors.invitee_list(user=_actor(request), event=_event(request, event_id)), params)


@events_router.post("/{event_id}/invitees", response={200: CountOut, **COMMON_ERRORS}, url_name="event_invite",
                    summary="Invite customers by id or by a filter (those already invited are skipped)")
def invite(request: HttpRequest, event_id: RowId, payload: InviteIn) -> dict[str, int]:
    actor = _actor(request)
    event = _event(request, event_id)
    if payload.customer_ids:
        customers: Any = _customers(actor, payload.customer_ids)
    elif payload.filter is not None and payload.filter.model_dump(exclude_none=True):
        customers = Customer.objects.visible_to(actor)
        if payload.filter.management_class:
            customers = customers.filter(management_class=payload.filter.management_class)
        if payload.filter.owner_id:
            customers = customers.filter(owner_id=payload.filter.owner_id)
        if payload.filter.branch_id:
            customers = customers.filter(branch_id=payload.filter.branch_id)
    else:
        raise ValidationError({"customer_ids": [_("Give customer ids or a filter.")]})
    return {"count": services.event_invite(actor=actor, event=event, customers=customers)}


@events_router.post("/{event_id}/attendance", response={200: CountOut, **COMMON_ERRORS},
                    url_name="event_attendance",
                    summary="Mark invitees as attended (each gets a contact record and a timeline row)")
def attendance(request: HttpRequest, event_id: RowId, payload: AttendanceIn) -> dict[str, int]:
    event = _event(request, event_id)
    with renamed_fields({"attended": "customer_ids"}):
        count = services.event_mark_attendance(actor=_actor(request), event=event, customer_ids=payload.customer_ids)
    return {"count": count}


@events_router.post("/{event_id}/attendance/undo", response={200: CountOut, **COMMON_ERRORS},
                    url_name="event_attendance_undo",
                    summary="Undo attendance marked by mistake (its contact records go; the timeline says so)")
def attendance_undo(request: HttpRequest, event_id: RowId, payload: AttendanceIn) -> dict[str, int]:
    event = _event(request, event_id)
    count = services.event_undo_attendance(actor=_actor(request), event=event, customer_ids=payload.customer_ids)
    return {"count": count}


@events_router.post("/{event_id}/answers", response={200: CountOut, **COMMON_ERRORS}, url_name="event_answers",
                    summary="Record invitees' answers (accepted, declined)")
def answers(request: HttpRequest, event_id: RowId, payload: AnswerIn) -> dict[str, int]:
    event = _event(request, event_id)
    return {"count": services.invitation_answer(actor=_actor(request), event=event,
                                                customer_ids=payload.customer_ids, status=payload.status)}


# --- gifts ----------------------------------------------------------------------------------------------------------


class GiftOut(Schema):
    id: int
    customer: CustomerRef
    description: str
    cost: Decimal
    given_on: dt.date
    occasion: GiftOccasion
    plan_id: int | None
    contact_id: int | None
    given_by: StaffRef | None


class GiftPage(Schema):
    count: int
    items: list[GiftOut]


class GiftListParams(PageParams):
    customer_id: RowId | None = None
    plan_id: RowId | None = None


class GiftIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: RowId
    description: str = Field(min_length=1, max_length=200)
    cost: Money
    given_on: dt.date
    occasion: GiftOccasion = GiftOccasion.FESTIVAL
    plan_id: RowId | None = None


@gifts_router.get("", response={200: GiftPage, **COMMON_ERRORS}, url_name="gift_list",
                  summary="List gifts to the customers you may see, newest first")
def list_gifts(request: HttpRequest, params: Query[GiftListParams]) -> dict[str, Any]:
    actor = _actor(request)
    if params.customer_id is not None:
        customer_get(user=actor, pk=params.customer_id)  # 404 out of scope
    return paginate(selectors.gift_list(user=actor, customer_id=params.customer_id, plan_id=params.plan_id), params)


@gifts_router.post("", response={201: GiftOut, **COMMON_ERRORS}, url_name="gift_create",
                   summary="Record a gift (a contact record of channel gift, with its cost)")
def create_gift(request: HttpRequest, payload: GiftIn) -> Status[Gift]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=payload.customer_id)
    plan = _visible_plan(actor, payload.plan_id)
    with renamed_fields({"customer": "customer_id", "plan": "plan_id"}):
        gift = services.gift_give(actor=actor, customer=customer, description=payload.description,
                                  cost=payload.cost, given_on=payload.given_on, occasion=payload.occasion, plan=plan)
    return Status(201, selectors.gift_list(user=actor).get(pk=gift.pk))


