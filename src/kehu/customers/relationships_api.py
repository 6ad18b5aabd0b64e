"""``/api/customers/{id}/relationships``: list, add; ``DELETE .../{rel_id}`` removes (mounted on ``/customers`` by
the API's composition root beside the customers router)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS
from kehu.api.schemas import RowId
from kehu.org.models import User

from . import relationships
from .models import Customer, CustomerRelationship
from .selectors import customer_get

router = Router(tags=["customers"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class OtherCustomer(Schema):
    id: int
    code: str
    name: str
    kind: str


class RelationshipOut(Schema):
    id: int
    kind: CustomerRelationship.Kind
    direction: Literal["outgoing", "incoming"]
    label: str
    other: OtherCustomer
    notes: str
    created_at: dt.datetime


class RelationshipList(Schema):
    count: int
    items: list[RelationshipOut]


class RelationshipIn(Schema):
    model_config = ConfigDict(extra="forbid")

    other_customer_id: RowId
    kind: CustomerRelationship.Kind
    direction: Literal["outgoing", "incoming"] = Field(
        "outgoing", description="outgoing: this customer referred / works for the other; incoming: the reverse.")
    notes: str = Field("", max_length=255)


@router.get("/{int:customer_id}/relationships", response={200: RelationshipList, **COMMON_ERRORS},
            url_name="customer_relationship_list", summary="Links with other customers you may see")
def list_relationships(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    actor = _actor(request)
    items = relationships.relationship_list(user=actor, customer=customer_get(user=actor, pk=customer_id))
    return {"count": len(items), "items": items}


@router.post("/{int:customer_id}/relationships", response={201: RelationshipOut, **COMMON_ERRORS},
             url_name="customer_relationship_create", summary="Link a customer with another you may see")
def create_relationship(request: HttpRequest, customer_id: int, payload: RelationshipIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=customer_id)
    other = Customer.objects.visible_to(actor).get(pk=payload.other_customer_id)
    link = relationships.relationship_add(actor=actor, customer=customer, other=other, kind=payload.kind,
                                          direction=payload.direction, notes=payload.notes)
    item = next(item for item in relationships.relationship_list(user=actor, customer=customer)
                if item["id"] == link.pk)
    return Status(201, item)


@router.delete("/{int:customer_id}/relationships/{int:rel_id}", response={204: None, **COMMON_ERRORS},
               url_name="customer_relationship_delete", summary="Remove a link (kept on both timelines)")
def delete_relationship(request: HttpRequest, customer_id: int, rel_id: int) -> Status[None]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=customer_id)
    link = relationships.relationship_get(user=actor, customer=customer, pk=rel_id)
    relationships.relationship_remove(actor=actor, customer=customer, link=link)
    return Status(204, None)
