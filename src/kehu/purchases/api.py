"""The transactions API: list (scoped to the customers the user may see) and an idempotent create."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import BranchRef, BusinessDateTime, RowId
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import branch_list

from . import selectors, services
from .models import Channel, Transaction

router = Router(tags=["transactions"])


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class ProductRef(Schema):
    id: int
    sku: str
    name: str


class TransactionOut(Schema):
    id: int
    customer: CustomerRef
    occurred_at: dt.datetime
    amount: Decimal
    margin: Decimal
    quantity: Decimal
    product: ProductRef | None
    branch: BranchRef | None
    channel: str
    external_ref: str | None
    created_at: dt.datetime


class TransactionPage(Schema):
    count: int
    items: list[TransactionOut]


class TransactionListParams(PageParams):
    customer_id: RowId | None = None
    since: BusinessDateTime | None = Field(None, description="From this time (inclusive), ISO 8601.")
    until: BusinessDateTime | None = Field(None, description="Before this time (exclusive), ISO 8601.")


class TransactionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: RowId
    occurred_at: BusinessDateTime = Field(description="From 1900 up to a few years after today.")
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    margin: Decimal = Field(Decimal("0"), max_digits=14, decimal_places=2)
    quantity: Decimal = Field(Decimal("1"), max_digits=12, decimal_places=3)
    product_id: RowId | None = None
    product_sku: str | None = Field(None, description="Instead of product_id.")
    branch_id: RowId | None = Field(None, description="Where it was bought; default the customer's home branch.")
    channel: Channel = Channel.STORE
    external_ref: str | None = Field(
        None, max_length=64,
        description="Your unique reference. Sending the same request again returns the existing transaction "
                    "(200) instead of creating another (201), so retries are safe; the same reference with "
                    "different values answers 409 idempotency_conflict.",
    )


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


def _invalid(field: str) -> ValidationError:
    return ValidationError({field: [_("Select a valid choice. That choice is not one of the available choices.")]})


@router.get("", response={200: TransactionPage, **COMMON_ERRORS}, url_name="transaction_list",
            summary="List transactions of the customers you may see")
def list_transactions(request: HttpRequest, params: Query[TransactionListParams]) -> dict[str, Any]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=params.customer_id) if params.customer_id is not None else None
    transactions = selectors.transaction_list(user=actor, customer=customer, since=params.since, until=params.until)
    return paginate(transactions, params)


@router.post("", response={200: TransactionOut, 201: TransactionOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="transaction_create", summary="Record a transaction (idempotent with external_ref)")
def create_transaction(request: HttpRequest, payload: TransactionIn) -> Status[Transaction]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=payload.customer_id)
    product = None
    if payload.product_id is not None or payload.product_sku:
        products = selectors.product_list()
        if payload.product_id is not None:
            product = products.filter(pk=payload.product_id).first()
            if product is None:
                raise _invalid("product_id")
        else:
            product = products.filter(sku=payload.product_sku).first()
            if product is None:
                raise _invalid("product_sku")
    branch = None
    if payload.branch_id is not None:
        branch = branch_list().filter(pk=payload.branch_id).first()
        if branch is None:
            raise _invalid("branch_id")
    with renamed_fields({"customer": "customer_id", "product": "product_id", "branch": "branch_id"}):
        record, created = services.transaction_create(
            actor=actor, customer=customer, occurred_at=payload.occurred_at, amount=payload.amount,
            margin=payload.margin, quantity=payload.quantity, product=product, branch=branch,
            channel=payload.channel, external_ref=payload.external_ref or None,
        )
    return Status(201 if created else 200, record)
