"""The coupon API, mounted under ``/api/loyalty`` beside the counter's cards: look a coupon up, use it (once, with
an ``Idempotency-Key``), void and reissue it, list a card's or a customer's coupons, create batches and issue them.

Refusals answer 409 with ``error.code``: ``coupon_used``, ``coupon_expired``, ``coupon_voided``,
``coupon_not_valid_here``, ``coupon_not_yet_valid``, ``batch_closed``; an unknown code (or one out of the caller's
scope, or with a wrong check character) answers 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _t
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import BusinessDateTime, RowId
from kehu.loyalty.idempotency import idempotent
from kehu.org.models import Branch, User

from . import selectors, services
from .models import Coupon, CouponBatch, CouponKind, CouponStatus, IssueRule

router = Router(tags=["loyalty coupons"])

def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class CouponOut(Schema):
    code: str
    status: CouponStatus
    kind: CouponKind
    batch_id: int
    batch: str
    value: Decimal
    max_discount: Decimal | None
    gift: str
    customer_id: int | None
    valid_from: dt.datetime
    expires_at: dt.datetime
    issued_at: dt.datetime
    used_at: dt.datetime | None
    used_branch_id: int | None
    order_ref: str
    transaction_id: int | None
    discount: Decimal | None
    voided_at: dt.datetime | None
    replaced_by: str | None

    @staticmethod
    def resolve_kind(obj: Coupon) -> str:
        return obj.batch.kind

    @staticmethod
    def resolve_batch(obj: Coupon) -> str:
        return obj.batch.name

    @staticmethod
    def resolve_value(obj: Coupon) -> Decimal:
        return obj.batch.value

    @staticmethod
    def resolve_max_discount(obj: Coupon) -> Decimal | None:
        return obj.batch.max_discount

    @staticmethod
    def resolve_gift(obj: Coupon) -> str:
        return obj.batch.gift

    @staticmethod
    def resolve_valid_from(obj: Coupon) -> dt.datetime:
        return obj.batch.valid_from

    @staticmethod
    def resolve_replaced_by(obj: Coupon) -> str | None:
        return obj.replaced_by.code if obj.replaced_by_id else None  # type: ignore[union-attr]


class CouponPage(Schema):
    count: int
    items: list[CouponOut]


class UseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    branch_id: RowId | None = Field(None, description="The store; default: your first branch.")
    order_ref: str = Field("", max_length=80)
    transaction_id: RowId | None = None
    amount: Decimal | None = Field(None, ge=0, lt=services.VALUE_MAX, description="The order's amount, for the "
                                   "discount of a percentage coupon.", max_digits=10, decimal_places=2)


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class CouponListParams(PageParams):
    card: str | None = Field(None, max_length=19, description="A card number: its holder's coupons.")
    customer_id: RowId | None = None
    batch_id: RowId | None = None
    status: CouponStatus | None = None


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: CouponKind
    value: Decimal = Field(Decimal("0"), ge=0, lt=services.VALUE_MAX, max_digits=10, decimal_places=2)
    max_discount: Decimal | None = Field(None, gt=0, lt=services.VALUE_MAX, max_digits=10, decimal_places=2)
    gift: str = Field("", max_length=100)
    valid_from: BusinessDateTime
    valid_until: BusinessDateTime
    branch_id: RowId | None = Field(None, description="The issuing branch; default: your first branch.")
    store_ids: list[RowId] = Field(default_factory=list, max_length=200,
                                   description="Valid at these branches and below; empty: everywhere.")
    quantity: int | None = Field(None, ge=1, le=services.QUANTITY_MAX)
    per_customer: int = Field(1, ge=1, le=services.PER_CUSTOMER_MAX)
    rule: IssueRule = IssueRule.NONE
    rule_level_id: RowId | None = None
    rule_min_amount: Decimal | None = Field(None, gt=0, lt=services.VALUE_MAX, max_digits=10, decimal_places=2)


class BatchOut(Schema):
    id: int
    name: str
    kind: CouponKind
    value: Decimal
    max_discount: Decimal | None
    gift: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    branch_id: int
    store_ids: list[int]
    quantity: int | None
    per_customer: int
    rule: str
    rule_level_id: int | None
    rule_min_amount: Decimal | None
    issued_count: int
    is_active: bool

    @staticmethod
    def resolve_store_ids(obj: CouponBatch) -> list[int]:
        return sorted(store.pk for store in obj.stores.all())


class BatchPage(Schema):
    count: int
    items: list[BatchOut]


class IssueIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[RowId] = Field(default_factory=list, max_length=services.ISSUE_MAX)
    by_rule: bool = Field(False, description="Issue to the customers the batch's rule selects.")


class IssueOut(Schema):
    issued: int
    skipped_limit: int
    skipped_quantity: int


def _refused(error: services.CouponRefused, coupon: Coupon | None = None) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"error": {"code": error.code, "message": str(error), "fields": {}}}
    if coupon is not None:
        body["status"] = coupon.status
    return 409, body


def _aware(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _branch(actor: User, pk: int | None, field: str) -> Branch | None:
    if pk is None:
        return None
    branch = Branch.objects.filter(pk=pk).first()
    if branch is None:
        raise ValidationError({field: [_t("No such branch.")]})
    return branch


@router.get("/coupons/{code}", response={200: CouponOut, **COMMON_ERRORS}, url_name="loyalty_coupon",
            summary="A coupon by its code (404 for an unknown code)")
def get_coupon(request: HttpRequest, code: str) -> Coupon:
    return selectors.coupon_get(user=_actor(request), code=code)


@router.post("/coupons/{code}/use", response={200: CouponOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_coupon_use",
             summary="Use a coupon once (409 coupon_used, coupon_expired, coupon_voided, coupon_not_valid_here); "
                     "Idempotency-Key required")
def use_coupon(request: HttpRequest, code: str, payload: UseIn) -> JsonResponse:
    actor = _actor(request)
    if not request.headers.get("Idempotency-Key"):
        raise ValidationError({"Idempotency-Key": [_t("Send an Idempotency-Key header with this request.")]})

    def run() -> tuple[int, dict[str, Any]]:
        coupon = selectors.coupon_get(user=actor, code=code)
        store = services.counter_store(actor, _branch(actor, payload.branch_id, "branch_id"))
        try:
            used = services.coupon_use(actor=actor, coupon=coupon, store=store, order_ref=payload.order_ref,
                                       transaction_id=payload.transaction_id, amount=payload.amount)
        except services.CouponRefused as error:
            return _refused(error, coupon)
        return 200, CouponOut.from_orm(used).model_dump(mode="json")

    return idempotent(request, run)


def _coupon_change(request: HttpRequest, code: str, reason: str, change: Callable[..., Coupon],
                   status: int) -> JsonResponse:
    """Void or reissue (``change``) the coupon ``code`` in the actor's scope, once per ``Idempotency-Key``: the
    changed (or new) coupon with ``status``, or 409 with the refusal."""
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        coupon = selectors.coupon_get(user=actor, code=code)
        try:
            changed = change(actor=actor, coupon=coupon, reason=reason)
        except services.CouponRefused as error:
            return _refused(error, coupon)
        return status, CouponOut.from_orm(changed).model_dump(mode="json")

    return idempotent(request, run)


@router.post("/coupons/{code}/void", response={200: CouponOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_coupon_void", summary="Void a coupon, with a reason; Idempotency-Key")
def void_coupon(request: HttpRequest, code: str, payload: ReasonIn) -> JsonResponse:
    return _coupon_change(request, code, payload.reason, services.coupon_void, 200)


@router.post("/coupons/{code}/reissue", response={201: CouponOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_coupon_reissue",
             summary="Reissue a coupon: a new code, the old one voided (kept in history); Idempotency-Key")
def reissue_coupon(request: HttpRequest, code: str, payload: ReasonIn) -> JsonResponse:
    return _coupon_change(request, code, payload.reason, services.coupon_reissue, 201)


@router.get("/coupons", response={200: CouponPage, **COMMON_ERRORS}, url_name="loyalty_coupon_list",
            summary="Coupons of a card's holder, a customer or a batch, newest first")
def list_coupons(request: HttpRequest, params: Query[CouponListParams]) -> dict[str, Any]:
    actor = _actor(request)
    customer_id = params.customer_id
    if params.card is not None:
        from kehu.loyalty.selectors import card_get

        card = card_get(user=actor, number=params.card)
        if card.customer_id is None:
            return {"count": 0, "items": []}
        customer_id = card.customer_id
    return paginate(selectors.coupon_list(user=actor, customer_id=customer_id, batch_id=params.batch_id,
                                          status=params.status or ""), params)


@router.post("/coupon-batches", response={201: BatchOut, **COMMON_ERRORS}, url_name="loyalty_coupon_batch_create",
             summary="Create a coupon batch (campaign)")
def create_batch(request: HttpRequest, payload: BatchIn) -> Status[CouponBatch]:
    actor = _actor(request)
    branch = _branch(actor, payload.branch_id, "branch_id") or actor.branches.order_by("path").first()
    if branch is None:
        raise ValidationError({"branch_id": [_t("Name the issuing branch.")]})
    stores = list(Branch.objects.filter(pk__in=payload.store_ids))
    if len(stores) != len(set(payload.store_ids)):
        raise ValidationError({"store_ids": [_t("No such branch.")]})
    level = None
    if payload.rule_level_id is not None:
        from kehu.loyalty.models import Level

        level = Level.objects.filter(pk=payload.rule_level_id).first()
        if level is None:
            raise ValidationError({"rule_level_id": [_t("No such level.")]})
    batch = services.batch_create(
        actor=actor, name=payload.name, kind=payload.kind, value=payload.value, max_discount=payload.max_discount,
        gift=payload.gift, valid_from=_aware(payload.valid_from), valid_until=_aware(payload.valid_until),
        branch=branch, stores=stores, quantity=payload.quantity, per_customer=payload.per_customer,
        rule=payload.rule, rule_level=level, rule_min_amount=payload.rule_min_amount)
    return Status(201, batch)


@router.get("/coupon-batches", response={200: BatchPage, **COMMON_ERRORS}, url_name="loyalty_coupon_batch_list",
            summary="Coupon batches you may see, newest first")
def list_batches(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    return paginate(selectors.batch_list(user=_actor(request)).prefetch_related("stores"), params)


@router.get("/coupon-batches/{batch_id}", response={200: BatchOut, **COMMON_ERRORS},
            url_name="loyalty_coupon_batch", summary="A coupon batch")
def get_batch(request: HttpRequest, batch_id: RowId) -> CouponBatch:
    return selectors.batch_get(user=_actor(request), pk=batch_id)


@router.post("/coupon-batches/{batch_id}/issue", response={200: IssueOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_coupon_batch_issue",
             summary="Issue coupons to customers or by the batch's rule; Idempotency-Key")
def issue_batch(request: HttpRequest, batch_id: RowId, payload: IssueIn) -> JsonResponse:
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        batch = selectors.batch_get(user=actor, pk=batch_id)
        try:
            counts = services.batch_issue(actor=actor, batch=batch, customer_ids=payload.customer_ids,
                                          by_rule=payload.by_rule)
        except services.CouponRefused as error:
            return _refused(error)
        return 200, counts

    return idempotent(request, run)
