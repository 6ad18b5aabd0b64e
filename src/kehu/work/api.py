"""The work API: tasks (list, create, update with optimistic concurrency, complete, reassign), the inbox and
approvals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import INT_MAX, RowId, StaffRef
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import selectors, services
from .models import Approval, Task

router = Router(tags=["work"])

Text200 = Field(max_length=200)


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class TaskOut(Schema):
    id: int
    kind: str
    title: str
    notes: str
    customer: CustomerRef | None
    owner: StaffRef
    due_date: dt.date
    priority: int
    status: str
    source_type: str | None = Field(None, description="The record that made the task, as app_label.model.")
    source_id: int | None
    outcome: str
    completed_at: dt.datetime | None
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_source_type(obj: Task) -> str | None:
        if obj.source_type_id is None:
            return None
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_id(obj.source_type_id).model_class()._meta.label_lower  # type: ignore[union-attr]


class TaskPage(Schema):
    count: int
    items: list[TaskOut]


class TaskListParams(PageParams):
    scope: Literal["mine", "team"] = Field("mine", description="Your tasks, or every task you may see.")
    status: Literal["open", "done", "cancelled", "all"] = "open"
    customer_id: RowId | None = None
    owner_id: RowId | None = None


class TaskIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    kind: str = Field("follow_up", max_length=32)
    due_date: dt.date
    priority: Literal[1, 2, 3, 4] = 2
    customer_id: RowId | None = None
    owner_id: RowId | None = Field(None, description="Default: yourself.")
    notes: str = Field("", max_length=5000)


class TaskPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=INT_MAX, description="The version you read; a stale one answers 409.")
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = Field(None, max_length=32)
    due_date: dt.date | None = None
    priority: Literal[1, 2, 3, 4] | None = None
    notes: str | None = Field(None, max_length=5000)
    owner_id: RowId | None = Field(None, description="Reassign to this member of staff.")


class TaskCompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=INT_MAX)
    outcome: str = Field(min_length=1, max_length=5000)
    channel: str = Field("", max_length=16, description="How the contact was made (a contact channel).")
    satisfaction: int | None = Field(None, ge=1, le=5)


def _task(request: HttpRequest, pk: int) -> Task:
    try:
        return selectors.task_get(user=_actor(request), pk=pk)
    except Task.DoesNotExist:
        raise Http404 from None


def _staff(actor: User, pk: int, field: str) -> User:
    user = staff_list(user=actor).filter(pk=pk).first() or (actor if actor.pk == pk else None)
    if user is None:
        raise ValidationError({field: [_("Choose an active member of staff in your branches.")]})
    return user


@router.get("/tasks", response={200: TaskPage, **COMMON_ERRORS}, url_name="task_list",
            summary="List tasks (yours, or every task you may see)")
def list_tasks(request: HttpRequest, params: Query[TaskListParams]) -> dict[str, Any]:
    tasks = selectors.task_list(user=_actor(request), scope=params.scope,
                                status=None if params.status == "all" else params.status,
                                customer_id=params.customer_id, owner_id=params.owner_id)
    return paginate(tasks, params)


@router.post("/tasks", response={201: TaskOut, **COMMON_ERRORS}, url_name="task_create", summary="Create a task")
def create_task(request: HttpRequest, payload: TaskIn) -> Status[Task]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=payload.customer_id) if payload.customer_id is not None else None
    owner = _staff(actor, payload.owner_id, "owner_id") if payload.owner_id is not None else None
    with renamed_fields({"owner": "owner_id", "customer": "customer_id"}):
        task = services.task_create(actor=actor, title=payload.title, kind=payload.kind, due_date=payload.due_date,
                                    priority=payload.priority, customer=customer, owner=owner, notes=payload.notes)
    return Status(201, task)


@router.get("/tasks/{task_id}", response={200: TaskOut, **COMMON_ERRORS}, url_name="task_detail",
            summary="One task")
def get_task(request: HttpRequest, task_id: RowId) -> Task:
    return _task(request, task_id)


@router.patch("/tasks/{task_id}", response={200: TaskOut, 409: ErrorOut, **COMMON_ERRORS}, url_name="task_update",
              summary="Change or reassign a task (needs the version you read)")
def update_task(request: HttpRequest, task_id: RowId, payload: TaskPatch) -> Task:
    actor = _actor(request)
    task = _task(request, task_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "owner_id"})
    changes = {name: value for name, value in changes.items() if value is not None}
    version = payload.version
    with renamed_fields({"owner": "owner_id"}):
        if changes:
            task = services.task_update(actor=actor, task=task, expected_version=version, **changes)
            version = task.version
        if payload.owner_id is not None:
            task = services.task_reassign(actor=actor, task=task, owner=_staff(actor, payload.owner_id, "owner_id"),
                                          expected_version=version)
    return selectors.task_get(user=actor, pk=task.pk)


@router.post("/tasks/{task_id}/complete", response={200: TaskOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="task_complete", summary="Complete a task with its outcome (writes a contact record)")
def complete_task(request: HttpRequest, task_id: RowId, payload: TaskCompleteIn) -> Task:
    actor = _actor(request)
    task, _records = services.task_complete(actor=actor, task=_task(request, task_id), outcome=payload.outcome,
                                            channel=payload.channel, satisfaction=payload.satisfaction,
                                            expected_version=payload.version)
    return selectors.task_get(user=actor, pk=task.pk)


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class NotificationListParams(PageParams):
    unread: bool = False


class ReadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ids: list[RowId] | None = Field(None, max_length=1000, description="Omit to mark every message read.")


@router.get("/notifications", response={200: NotificationPage, **COMMON_ERRORS}, url_name="notification_list",
            summary="Your inbox, newest first, with the unread count")
def list_notifications(request: HttpRequest, params: Query[NotificationListParams]) -> dict[str, Any]:
    actor = _actor(request)
    page = paginate(selectors.notification_list(user=actor, unread_only=params.unread), params)
    page["unread"] = selectors.unread_count(user=actor)
    return page


class ReadOut(Schema):
    marked: int


@router.post("/notifications/read", response={200: ReadOut, **COMMON_ERRORS}, url_name="notification_read",
             summary="Mark messages of your inbox read")
def read_notifications(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    return {"marked": services.notification_mark_read(user=_actor(request), ids=payload.ids)}


class DecisionOut(Schema):
    action: str
    actor: StaffRef
    amount: Decimal | None
    comment: str
    occurred_at: dt.datetime


class ApprovalOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    amount: Decimal | None
    customer: CustomerRef | None
    submitted_by: StaffRef
    submitted_at: dt.datetime
    comment: str
    version: int


class ApprovalDetailOut(ApprovalOut):
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_decisions(obj: Approval) -> list[Any]:
        return list(obj.decisions.all())


class ApprovalPage(Schema):
    count: int
    items: list[ApprovalOut]


class ApprovalListParams(PageParams):
    waiting: bool = Field(False, description="Only those waiting for your decision.")


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    comment: str = Field("", max_length=5000, description="Required to reject.")
    version: int | None = Field(None, ge=1, le=INT_MAX)


@router.get("/approvals", response={200: ApprovalPage, **COMMON_ERRORS}, url_name="approval_list",
            summary="Approvals you may see (or those waiting for your decision)")
def list_approvals(request: HttpRequest, params: Query[ApprovalListParams]) -> dict[str, Any]:
    actor = _actor(request)
    if params.waiting:
        waiting = selectors.approvals_waiting(user=actor)
        return {"count": len(waiting), "items": waiting[params.offset: params.offset + params.limit]}
    return paginate(selectors.approval_list(user=actor), params)


@router.get("/approvals/{approval_id}", response={200: ApprovalDetailOut, **COMMON_ERRORS},
            url_name="approval_detail", summary="One approval with its history")
def get_approval(request: HttpRequest, approval_id: RowId) -> Approval:
    try:
        return selectors.approval_get(user=_actor(request), pk=approval_id)
    except Approval.DoesNotExist:
        raise Http404 from None


@router.post("/approvals/{approval_id}/decision", response={200: ApprovalDetailOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="approval_decide", summary="Approve or reject (a rejection needs a comment)")
def decide_approval(request: HttpRequest, approval_id: RowId, payload: DecisionIn) -> Approval:
    actor = _actor(request)
    approval = get_approval(request, approval_id)
    services.approval_decide(actor=actor, approval=approval, approve=payload.approve, comment=payload.comment,
                             expected_version=payload.version)
    return selectors.approval_get(user=actor, pk=approval.pk)



