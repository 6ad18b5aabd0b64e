"""A customer's contacts (``/api/customers/{id}/contacts``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Status

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate

from .. import selectors, services
from ..models import Contact
from .common import request_actor, router, visible_customer
from .schemas import ContactIn, ContactOut, ContactPage, ContactUpdateIn


@router.get("/{customer_id}/contacts", response={200: ContactPage, **COMMON_ERRORS}, url_name="contact_list",
            summary="Contacts of a customer")
def list_contacts(request: HttpRequest, customer_id: int, params: Query[PageParams]) -> dict[str, Any]:
    customer = visible_customer(request_actor(request), customer_id)
    return paginate(selectors.customer_contacts(customer=customer), params)


@router.post("/{customer_id}/contacts", response={201: ContactOut, **COMMON_ERRORS}, url_name="contact_create",
             summary="Add a contact")
def create_contact(request: HttpRequest, customer_id: int, payload: ContactIn) -> Status[Contact]:
    actor = request_actor(request)
    customer = visible_customer(actor, customer_id)
    data = payload.model_dump()
    return Status(201, services.contact_create(customer=customer, actor=actor, **data))


@router.patch("/{customer_id}/contacts/{contact_id}", response={200: ContactOut, **COMMON_ERRORS},
              url_name="contact_update", summary="Change a contact")
def update_contact(request: HttpRequest, customer_id: int, contact_id: int, payload: ContactUpdateIn) -> Contact:
    actor = request_actor(request)
    customer = visible_customer(actor, customer_id)
    contact = selectors.customer_contacts(customer=customer).get(pk=contact_id)
    contact.customer = customer
    return services.contact_update(contact=contact, actor=actor, **payload.model_dump(exclude_unset=True))


@router.delete("/{customer_id}/contacts/{contact_id}", response={204: None, **COMMON_ERRORS},
               url_name="contact_delete", summary="Remove a contact")
def delete_contact(request: HttpRequest, customer_id: int, contact_id: int) -> Status[None]:
    actor = request_actor(request)
    customer = visible_customer(actor, customer_id)
    contact = selectors.customer_contacts(customer=customer).get(pk=contact_id)
    contact.customer = customer
    services.contact_delete(contact=contact, actor=actor)
    return Status(204, None)
