"""A customer's consent per channel and its history (``/api/customers/{id}/consents``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Status

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate

from .. import selectors, services
from ..models import Consent
from .common import request_actor, router, visible_customer
from .schemas import ConsentIn, ConsentOut, ConsentsOut


@router.get("/{customer_id}/consents", response={200: ConsentsOut, **COMMON_ERRORS}, url_name="consent_list",
            summary="Current consent per channel and the history")
def list_consents(request: HttpRequest, customer_id: int, params: Query[PageParams]) -> dict[str, Any]:
    customer = visible_customer(request_actor(request), customer_id)
    page = paginate(selectors.customer_consent_history(customer=customer), params)
    page["current"] = selectors.customer_current_consents(customer=customer)
    return page


@router.post("/{customer_id}/consents", response={201: ConsentOut, **COMMON_ERRORS}, url_name="consent_create",
             summary="Record a consent or its withdrawal for one channel")
def create_consent(request: HttpRequest, customer_id: int, payload: ConsentIn) -> Status[Consent]:
    actor = request_actor(request)
    customer = visible_customer(actor, customer_id)
    data = payload.model_dump()
    return Status(201, services.consent_record(customer=customer, actor=actor, **data))
