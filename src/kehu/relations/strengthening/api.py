"""The strengthening table API: ``/api/strengthening`` (list by customer, add), ``/{id}`` (get, change with the
version read — a stale one answers 409 — and remove)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import RowId, StaffRef, django_validator
from kehu.core.validators import validate_business_date
from kehu.customers.models import Contact
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from ..models import OurLevel, StrengtheningRow
from . import selectors, services

router = Router(tags=["strengthening"])
BusinessDate = Annotated[dt.date, django_validator(validate_business_date)]


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class ContactRef(Schema):
    id: int
    name: str
    title: str


class RowOut(Schema):
    id: int
    customer_id: int
    our_level: OurLevel
    our_staff: StaffRef | None
    our_name: str
    our_title: str
    their_contact: ContactRef | None
    their_name: str
    their_title: str
    strength: int
    competitor: str
    competitor_strength: int | None
    measures: str
    schedule: str
    due_date: dt.date | None
    owner: StaffRef | None
    notes: str
    version: int
    updated_at: dt.datetime


class RowPage(Schema):
    count: int
    items: list[RowOut]


class RowListParams(PageParams):
    customer_id: RowId


class RowFields(Schema):
    model_config = ConfigDict(extra="forbid")

    our_level: OurLevel | None = None
    our_staff_id: RowId | None = None
    our_name: str | None = Field(None, max_length=100)
    our_title: str | None = Field(None, max_length=100)
    their_contact_id: RowId | None = None
    their_name: str | None = Field(None, max_length=100)
    their_title: str | None = Field(None, max_length=100)
    strength: int | None = Field(None, ge=0, le=5)
    competitor: str | None = Field(None, max_length=100)
    competitor_strength: int | None = Field(None, ge=0, le=5)
    measures: str | None = Field(None, max_length=2000)
    schedule: str | None = Field(None, max_length=200)
    due_date: BusinessDate | None = None
    owner_id: RowId | None = None
    notes: str | None = Field(None, max_length=255)


class RowIn(RowFields):
    customer_id: RowId


class RowPatch(RowFields):
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read (a newer one answers 409).")


def _fields(actor: User, customer_id: int, payload: RowFields, *, partial: bool) -> dict[str, Any]:
    given = payload.model_dump(exclude_unset=partial, exclude={"customer_id", "version"})
    fields: dict[str, Any] = {}
    staff = staff_list(user=actor)
    for name, value in given.items():
        if name in ("our_staff_id", "owner_id"):
            target = name.removesuffix("_id")
            if value is None:
                fields[target] = None
                continue
            # our side may be anyone on the staff (the general manager works at head office); the owner is staff
            # of the actor's branches
            pool = User.objects.filter(is_active=True) if name == "our_staff_id" else staff
            person = actor if value == actor.pk else pool.filter(pk=value).first()
            if person is None:
                raise ValidationError({name: [_("Choose an active member of staff in your branches.")
                                              if name == "owner_id" else _("Choose an active member of staff.")]})
            fields[target] = person
        elif name == "their_contact_id":
            if value is None:
                fields["their_contact"] = None
                continue
            contact = Contact.objects.filter(pk=value, customer_id=customer_id).first()
            if contact is None:
                raise ValidationError({name: [_("Choose one of this customer's contacts.")]})
            fields["their_contact"] = contact
        elif value is None and name not in ("competitor_strength", "due_date"):
            if not partial:
                continue
            raise ValidationError({name: [_("This field cannot be empty.")]})
        else:
            fields[name] = value
    return fields


RENAMED = {"our_staff": "our_staff_id", "owner": "owner_id", "their_contact": "their_contact_id",
           "customer": "customer_id"}


@router.get("", response={200: RowPage, **COMMON_ERRORS}, url_name="strengthening_list",
            summary="The strengthening table of a customer")
def list_rows(request: HttpRequest, params: Query[RowListParams]) -> dict[str, Any]:
    actor = _actor(request)
    customer_get(user=actor, pk=params.customer_id)  # 404 out of scope
    return paginate(selectors.strengthening_list(user=actor, customer_id=params.customer_id), params)


@router.post("", response={201: RowOut, **COMMON_ERRORS}, url_name="strengthening_create",
             summary="Add a row to an organisation's strengthening table")
def create_row(request: HttpRequest, payload: RowIn) -> Status[StrengtheningRow]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=payload.customer_id)
    with renamed_fields(RENAMED):
        row = services.strengthening_add(actor=actor, customer=customer,
                                         **_fields(actor, customer.pk, payload, partial=False))
    return Status(201, selectors.strengthening_get(user=actor, pk=row.pk))


@router.get("/{int:row_id}", response={200: RowOut, **COMMON_ERRORS}, url_name="strengthening_get",
            summary="One row of a strengthening table")
def get_row(request: HttpRequest, row_id: int) -> StrengtheningRow:
    return selectors.strengthening_get(user=_actor(request), pk=row_id)


@router.patch("/{int:row_id}", response={200: RowOut, 409: ErrorOut, **COMMON_ERRORS},
              url_name="strengthening_update", summary="Change a row (send the version you read)")
def update_row(request: HttpRequest, row_id: int, payload: RowPatch) -> StrengtheningRow:
    actor = _actor(request)
    row = selectors.strengthening_get(user=actor, pk=row_id)
    with renamed_fields(RENAMED):
        services.strengthening_update(actor=actor, row=row, expected_version=payload.version,
                                      **_fields(actor, row.customer_id, payload, partial=True))
    return selectors.strengthening_get(user=actor, pk=row_id)


class DeleteParams(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1)


@router.delete("/{int:row_id}", response={204: None, 409: ErrorOut, **COMMON_ERRORS},
               url_name="strengthening_delete", summary="Remove a row")
def delete_row(request: HttpRequest, row_id: int, params: Query[DeleteParams]) -> Status[None]:
    actor = _actor(request)
    row = selectors.strengthening_get(user=actor, pk=row_id)
    services.strengthening_remove(actor=actor, row=row, expected_version=params.version)
    return Status(204, None)
