"""The contact log API: list (scoped to the customers the user may see) and create."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import BusinessDateTime, PastDateTime, RowId, StaffRef
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import selectors, services
from .models import ContactChannel, ContactRecord, Direction

router = Router(tags=["contacts-log"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from django.urls import reverse

        return reverse("relations:attachment", args=[obj.pk])


class ContactOut(Schema):
    id: int
    customer: CustomerRef
    channel: ContactChannel
    direction: Direction
    staff: StaffRef | None
    occurred_at: dt.datetime
    duration_minutes: int | None
    summary: str
    feedback: str
    satisfaction: int | None
    next_step: str
    next_step_due: dt.date | None
    next_task_id: int | None
    task_id: int | None
    external_ref: str | None
    attachments: list[AttachmentOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_attachments(obj: ContactRecord) -> list[Any]:
        return list(obj.attachments.all())


class ContactPage(Schema):
    count: int
    items: list[ContactOut]


class ContactListParams(PageParams):
    customer_id: RowId | None = None
    channel: ContactChannel | None = None
    staff_id: RowId | None = None
    since: BusinessDateTime | None = Field(None, description="From this time (inclusive), ISO 8601.")
    until: BusinessDateTime | None = Field(None, description="Before this time (exclusive), ISO 8601.")


class ContactIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: RowId
    channel: ContactChannel
    direction: Direction = Direction.OUTBOUND
    occurred_at: PastDateTime | None = Field(None, description="Default: now.")
    duration_minutes: int | None = Field(None, ge=0, le=24 * 60)
    summary: str = Field(min_length=1, max_length=5000)
    feedback: str = Field("", max_length=5000)
    satisfaction: int | None = Field(None, ge=1, le=5)
    next_step: str = Field("", max_length=200)
    next_step_due: dt.date | None = Field(None, description="With a next step: creates a task due that day.")
    staff_id: RowId | None = Field(None, description="Who made the contact; default: you.")
    external_ref: str | None = Field(None, max_length=64, description="Your unique reference (refused if known).")


@router.get("", response={200: ContactPage, **COMMON_ERRORS}, url_name="contact_list",
            summary="List contacts of the customers you may see, newest first")
def list_contacts(request: HttpRequest, params: Query[ContactListParams]) -> dict[str, Any]:
    actor = _actor(request)
    if params.customer_id is not None:
        customer_get(user=actor, pk=params.customer_id)  # 404 out of scope
    records = selectors.contact_list(user=actor, customer_id=params.customer_id, channel=params.channel,
                                     since=params.since, until=params.until, staff_id=params.staff_id)
    return paginate(records, params)


@router.post("", response={201: ContactOut, 409: ErrorOut, **COMMON_ERRORS}, url_name="contact_create",
             summary="Log a contact (a next step with a date creates a task)")
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[ContactRecord]:
    from django.core.exceptions import ValidationError

    actor = _actor(request)
    customer = customer_get(user=actor, pk=payload.customer_id)
    staff = None
    if payload.staff_id is not None:
        staff = staff_list(user=actor).filter(pk=payload.staff_id).first() or (
            actor if actor.pk == payload.staff_id else None)
        if staff is None:
            raise ValidationError({"staff_id": [_("Choose an active member of staff in your branches.")]})
    if payload.next_step_due is not None:
        from kehu.core.validators import validate_business_date

        with renamed_fields({}):
            try:
                validate_business_date(payload.next_step_due)
            except ValidationError as error:
                raise ValidationError({"next_step_due": error.messages}) from None
    with renamed_fields({"staff": "staff_id", "customer": "customer_id"}):
        record = services.contact_log(
            actor=actor, customer=customer, channel=payload.channel, direction=payload.direction,
            occurred_at=payload.occurred_at, duration_minutes=payload.duration_minutes, summary=payload.summary,
            feedback=payload.feedback, satisfaction=payload.satisfaction, next_step=payload.next_step,
            next_step_due=payload.next_step_due, staff=staff, external_ref=payload.external_ref,
        )
    return Status(201, selectors.contact_get(user=actor, pk=record.pk))
