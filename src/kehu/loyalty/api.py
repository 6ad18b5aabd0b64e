"""The loyalty API (``/api/loyalty``): the counter (cards, lookup, redeem, earn), members, ledgers, adjustments.

Writes at the counter take an ``Idempotency-Key`` header (``idempotency.idempotent``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _t
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import RowId
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.purchases.models import Transaction

from . import selectors, services
from .idempotency import idempotent
from .models import Card, CardKind, EntryKind, PointsAccount

router = Router(tags=["loyalty"])

POINTS_LIMIT = services.POINTS_MAX


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class LevelOut(Schema):
    id: int
    code: str
    name: str
    rank: int
    multiplier: Decimal
    discount_percent: Decimal
    service_priority: int


class CardOut(Schema):
    number: str
    kind: CardKind
    status: str
    customer: CustomerRef | None
    membership_id: int | None
    programme: str | None
    level: LevelOut | None
    points_balance: int
    stored_value_balance: Decimal
    issued_at: dt.datetime
    activated_at: dt.datetime | None
    replaced_by: str | None
    version: int

    @staticmethod
    def resolve_programme(obj: Card) -> str | None:
        return obj.membership.programme.name if obj.membership else None

    @staticmethod
    def resolve_level(obj: Card) -> Any:
        return obj.membership.level if obj.membership else None

    @staticmethod
    def resolve_points_balance(obj: Card) -> int:
        return obj.membership.points_account.balance if obj.membership else 0

    @staticmethod
    def resolve_stored_value_balance(obj: Card) -> Decimal:
        from .models import StoredValueAccount

        try:
            return obj.stored_value.balance
        except StoredValueAccount.DoesNotExist:
            return Decimal("0.00")

    @staticmethod
    def resolve_replaced_by(obj: Card) -> str | None:
        return obj.replaced_by.number if obj.replaced_by_id else None  # type: ignore[union-attr]


class CardIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: RowId
    kind: CardKind = CardKind.MEMBER
    programme_id: RowId | None = Field(None, description="Default: the default programme.")


class RedeemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(gt=0, lt=POINTS_LIMIT)
    reason: str = Field("", max_length=200)


class EarnIn(Schema):
    model_config = ConfigDict(extra="forbid")

    transaction_id: RowId


class ValueIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, lt=services.VALUE_MAX, max_digits=10, decimal_places=2)
    reason: str = Field("", max_length=200)


class ValueOut(Schema):
    number: str
    amount: Decimal
    stored_value_balance: Decimal
    entry_id: int


class PointsOut(Schema):
    number: str
    points: int
    points_balance: int
    entry_id: int | None


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="activate, freeze or report_lost")
    version: int = Field(ge=1, lt=2**31)


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, lt=2**31)


class MemberOut(Schema):
    id: int
    customer: CustomerRef
    programme: str
    level: LevelOut | None
    level_since: dt.date | None
    points_balance: int
    joined_at: dt.datetime

    @staticmethod
    def resolve_programme(obj: Any) -> str:
        return obj.programme.name

    @staticmethod
    def resolve_points_balance(obj: Any) -> int:
        return obj.points_account.balance


class MemberPage(Schema):
    count: int
    items: list[MemberOut]


class EntryOut(Schema):
    id: int
    kind: EntryKind
    points: int
    balance_after: int
    transaction_id: int | None
    reason: str
    created_at: dt.datetime


class EntryPage(Schema):
    count: int
    items: list[EntryOut]


class CardPage(Schema):
    count: int
    items: list[CardOut]


class AdjustmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(gt=-POINTS_LIMIT, lt=POINTS_LIMIT, description="Positive adds, negative takes away.")
    reason: str = Field(min_length=1, max_length=200)


class AdjustmentOut(Schema):
    id: int
    points: int
    reason: str
    status: str


class MemberListParams(PageParams):
    customer_id: RowId | None = None


class LedgerParams(PageParams):
    kind: EntryKind | None = None


class LookupParams(PageParams):
    q: str = Field(min_length=1, max_length=40, description="A full card number or the member's mobile.")


def _card(request: HttpRequest, number: str) -> Card:
    return selectors.card_get(user=_actor(request), number=number)


@router.post("/cards", response={201: CardOut, 409: ErrorOut, **COMMON_ERRORS}, url_name="loyalty_card_issue",
             summary="Issue a card (a member card of the default programme unless told); Idempotency-Key")
def issue_card(request: HttpRequest, payload: CardIn) -> JsonResponse:
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        from .models import Programme

        customer = customer_get(user=actor, pk=payload.customer_id)
        programme = None
        if payload.programme_id is not None:
            programme = Programme.objects.filter(pk=payload.programme_id, is_active=True).first()
            if programme is None:
                raise ValidationError({"programme_id": [_t("No such programme.")]})
        card = services.card_issue(actor=actor, customer=customer, kind=payload.kind, programme=programme)
        return 201, CardOut.from_orm(selectors.card_get(user=actor, number=card.number)).model_dump(mode="json")

    return idempotent(request, run)


@router.get("/cards", response={200: CardPage, **COMMON_ERRORS}, url_name="loyalty_card_list",
            summary="List the cards of the customers you may see")
def list_cards(request: HttpRequest, params: Query[MemberListParams]) -> dict[str, Any]:
    return paginate(selectors.card_list(user=_actor(request), customer_id=params.customer_id), params)


@router.get("/cards/{number}", response={200: CardOut, **COMMON_ERRORS}, url_name="loyalty_card",
            summary="A card with its points balance")
def get_card(request: HttpRequest, number: str) -> Card:
    return _card(request, number)


@router.post("/cards/{number}/redeem", response={200: PointsOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_redeem", summary="Redeem points (409 insufficient_points); Idempotency-Key")
def redeem(request: HttpRequest, number: str, payload: RedeemIn) -> JsonResponse:
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        card = selectors.card_for_counter(user=actor, number=number)
        try:
            entry = services.points_redeem(actor=actor, card=card, points=payload.points, reason=payload.reason)
        except services.InsufficientPointsError as error:
            return 409, {"error": {"code": "insufficient_points", "message": str(error), "fields": {}},
                         "points_balance": error.balance}
        return 200, {"number": card.number, "points": entry.points, "points_balance": entry.balance_after,
                     "entry_id": entry.pk}

    return idempotent(request, run)


@router.post("/cards/{number}/earn", response={200: PointsOut, **COMMON_ERRORS}, url_name="loyalty_earn",
             summary="Earn the points of a recorded purchase (exactly once per purchase); Idempotency-Key")
def earn(request: HttpRequest, number: str, payload: EarnIn) -> JsonResponse:
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        card = selectors.card_for_counter(user=actor, number=number)
        if not actor.has_perm("loyalty.add_pointsentry"):
            raise PermissionDenied(_t("You do not have permission to do this."))
        if card.customer_id is None or card.membership_id is None:
            raise ValidationError({"card": [_t("This card belongs to no member.")]})
        if not Transaction.objects.filter(pk=payload.transaction_id, customer_id=card.customer_id).exists():
            raise ValidationError({"transaction_id": [_t("No purchase of this card's member has this id.")]})
        services.accrue(transaction_ids=[payload.transaction_id])
        account = PointsAccount.objects.get(membership_id=card.membership_id)
        entry = account.entries.filter(transaction_id=payload.transaction_id).order_by("id").first()
        return 200, {"number": card.number, "points": entry.points if entry else 0,
                     "points_balance": account.balance, "entry_id": entry.pk if entry else None}

    return idempotent(request, run)


@router.post("/cards/{number}/status", response={200: CardOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_card_status", summary="Activate, freeze or report a card lost")
def card_status(request: HttpRequest, number: str, payload: StatusIn) -> Card:
    actor = _actor(request)
    card = services.card_change_status(actor=actor, card=_card(request, number), action=payload.action,
                                       expected_version=payload.version)
    return selectors.card_get(user=actor, number=card.number)


@router.post("/cards/{number}/replace", response={201: CardOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_card_replace", summary="Replace a card: a new number, the same balance")
def card_replace(request: HttpRequest, number: str, payload: VersionIn) -> Status[Card]:
    actor = _actor(request)
    new = services.card_replace(actor=actor, card=_card(request, number), expected_version=payload.version)
    return Status(201, selectors.card_get(user=actor, number=new.number))


@router.get("/lookup", response={200: CardPage, **COMMON_ERRORS}, url_name="loyalty_lookup",
            summary="Find cards at the counter by card number or mobile")
def lookup(request: HttpRequest, params: Query[LookupParams]) -> dict[str, Any]:
    return paginate(selectors.counter_lookup(user=_actor(request), query=params.q), params)


@router.get("/members", response={200: MemberPage, **COMMON_ERRORS}, url_name="loyalty_member_list",
            summary="List memberships of the customers you may see")
def list_members(request: HttpRequest, params: Query[MemberListParams]) -> dict[str, Any]:
    return paginate(selectors.membership_list(user=_actor(request), customer_id=params.customer_id), params)


@router.get("/members/{member_id}/ledger", response={200: EntryPage, **COMMON_ERRORS},
            url_name="loyalty_ledger", summary="The points entries of a membership, newest first")
def member_ledger(request: HttpRequest, member_id: RowId, params: Query[LedgerParams]) -> dict[str, Any]:
    actor = _actor(request)
    membership = selectors.membership_get(user=actor, pk=member_id)
    return paginate(selectors.ledger(user=actor, membership_id=membership.pk, kind=params.kind or ""), params)


@router.post("/members/{member_id}/adjustments", response={202: AdjustmentOut, **COMMON_ERRORS},
             url_name="loyalty_adjust", summary="Ask for a points adjustment (posted once approved)")
def adjust(request: HttpRequest, member_id: RowId, payload: AdjustmentIn) -> Status[Any]:
    actor = _actor(request)
    membership = selectors.membership_get(user=actor, pk=member_id)
    adjustment = services.points_adjustment_request(actor=actor, account=membership.points_account,
                                                    points=payload.points, reason=payload.reason)
    return Status(202, adjustment)


def _value_move(request: HttpRequest, number: str, payload: ValueIn, kind: str) -> JsonResponse:
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        card = _card(request, number)
        try:
            entry = services.stored_value_move(actor=actor, card=card, kind=kind, amount=payload.amount,
                                               reason=payload.reason)
        except services.InsufficientValueError as error:
            return 409, {"error": {"code": "insufficient_stored_value", "message": str(error), "fields": {}},
                         "stored_value_balance": str(error.balance)}
        return 200, {"number": card.number, "amount": str(entry.amount), "stored_value_balance":
                     str(entry.balance_after), "entry_id": entry.pk}

    return idempotent(request, run)


@router.post("/cards/{number}/top-up", response={200: ValueOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_top_up", summary="Top up a card's stored value; Idempotency-Key")
def top_up(request: HttpRequest, number: str, payload: ValueIn) -> JsonResponse:
    return _value_move(request, number, payload, "top_up")


@router.post("/cards/{number}/spend", response={200: ValueOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_spend",
             summary="Spend stored value (409 insufficient_stored_value, never negative); Idempotency-Key")
def spend(request: HttpRequest, number: str, payload: ValueIn) -> JsonResponse:
    return _value_move(request, number, payload, "spend")


@router.post("/cards/{number}/refund", response={200: ValueOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_refund", summary="Refund stored value to a card; Idempotency-Key")
def refund(request: HttpRequest, number: str, payload: ValueIn) -> JsonResponse:
    return _value_move(request, number, payload, "refund")


from . import api_group  # noqa: E402,F401 - the group part's endpoints join this router
