"""The loyalty API's group part (on the same ``/api/loyalty`` router): stored value moved between cards, points
exchanged with alliance partners (counter writes with an ``Idempotency-Key``), the group's rules, the stores'
promotions within them, and the settlement statements between stores and with partners."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _t
from ninja import Field, Query, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, fields_from_django
from kehu.api.schemas import RowId
from kehu.org.models import Branch

from . import services, settlement
from .api import POINTS_LIMIT, _actor, _card, router
from .idempotency import idempotent
from .models import EarningRule, Partner

UNITS_LIMIT = Decimal(POINTS_LIMIT)


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=19, description="The number of the card receiving the value.")
    amount: Decimal = Field(gt=0, lt=services.VALUE_MAX, max_digits=10, decimal_places=2)
    reason: str = Field("", max_length=120)


class TransferOut(Schema):
    number: str
    to: str
    amount: Decimal
    stored_value_balance: Decimal
    entry_id: int
    credit_entry_id: int


class ExchangeOutIn(Schema):
    model_config = ConfigDict(extra="forbid")

    partner: str = Field(min_length=1, max_length=20, description="The partner's code.")
    points: int = Field(gt=0, lt=POINTS_LIMIT)
    reference: str | None = Field(None, max_length=64)


class ExchangeInIn(Schema):
    model_config = ConfigDict(extra="forbid")

    partner: str = Field(min_length=1, max_length=20, description="The partner's code.")
    units: Decimal = Field(gt=0, lt=UNITS_LIMIT, max_digits=16, decimal_places=4)
    reference: str | None = Field(None, max_length=64)


class ExchangeOut(Schema):
    partner: str
    direction: str
    points: int
    units: Decimal
    points_balance: int
    entry_id: int
    exchange_id: int


class GroupRulesOut(Schema):
    programme_id: int
    max_multiplier: Decimal
    max_bonus_points: int
    max_days: int
    point_value: Decimal
    allowed_category_ids: list[int]
    version: int

    @staticmethod
    def resolve_allowed_category_ids(obj: Any) -> list[int]:
        return sorted(obj.allowed_categories.values_list("pk", flat=True))


class GroupRulesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    max_multiplier: Decimal = Field(ge=1, le=100, max_digits=5, decimal_places=2)
    max_bonus_points: int = Field(ge=0, lt=10**9)
    max_days: int = Field(ge=1, le=366)
    point_value: Decimal = Field(ge=0, lt=1000, max_digits=8, decimal_places=4)
    allowed_category_ids: list[RowId] = Field(default_factory=list, max_length=1000)
    version: int = Field(ge=1, lt=2**31)


class PromotionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    store_id: RowId
    name: str = Field(min_length=1, max_length=100)
    multiplier: Decimal = Field(Decimal("1"), ge=1, le=100, max_digits=5, decimal_places=2)
    bonus_points: int = Field(0, ge=0, lt=10**9)
    cap_points: int | None = Field(None, gt=0, lt=10**9)
    category_id: RowId | None = None
    starts_on: dt.date
    ends_on: dt.date
    is_active: bool = True


class PromotionOut(Schema):
    id: int
    name: str
    store_id: int | None = Field(None, alias="owner_branch_id")
    category_id: int | None
    multiplier: Decimal
    bonus_points: int
    cap_points: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    is_active: bool


class PeriodParams(Schema):
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="A month, YYYY-MM.")


def _limit_error(error: ValidationError) -> JsonResponse:
    fields = fields_from_django(error)
    return JsonResponse({"error": {"code": "group_limit", "message": " ".join(
        message for messages in fields.values() for message in messages), "fields": fields}}, status=422)


def _partner(code: str) -> Partner:
    partner = Partner.objects.filter(code=code.strip().upper()).first()
    if partner is None:
        raise ValidationError({"partner": [_t("No such partner.")]})
    return partner


@router.post("/cards/{number}/transfer", response={200: TransferOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_transfer",
             summary="Move stored value to another card (409 insufficient_stored_value); Idempotency-Key")
def transfer(request: HttpRequest, number: str, payload: TransferIn) -> JsonResponse:
    actor = _actor(request)

    def run() -> tuple[int, dict[str, Any]]:
        source = _card(request, number)
        target = _card(request, payload.to.strip())
        try:
            debit, credit = services.stored_value_transfer(actor=actor, source=source, target=target,
                                                           amount=payload.amount, reason=payload.reason)
        except services.InsufficientValueError as error:
            return 409, {"error": {"code": "insufficient_stored_value", "message": str(error), "fields": {}},
                         "stored_value_balance": str(error.balance)}
        return 200, {"number": source.number, "to": target.number, "amount": str(payload.amount),
                     "stored_value_balance": str(debit.balance_after), "entry_id": debit.pk,
                     "credit_entry_id": credit.pk}

    return idempotent(request, run)


def _exchange(request: HttpRequest, number: str, write: Any) -> JsonResponse:
    def run() -> tuple[int, dict[str, Any]]:
        card = _card(request, number)
        try:
            exchange = write(card)
        except services.InsufficientPointsError as error:
            return 409, {"error": {"code": "insufficient_points", "message": str(error), "fields": {}},
                         "points_balance": error.balance}
        except services.PartnerLimitError as error:
            return 409, {"error": {"code": "partner_limit", "message": str(error), "fields": {}},
                         "remaining": error.remaining}
        return 200, services.exchange_answer(exchange)

    return idempotent(request, run)


@router.post("/cards/{number}/exchange-out", response={200: ExchangeOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_exchange_out",
             summary="Exchange points out to an alliance partner (409 insufficient_points / partner_limit); "
                     "Idempotency-Key")
def exchange_out(request: HttpRequest, number: str, payload: ExchangeOutIn) -> JsonResponse:
    actor = _actor(request)
    return _exchange(request, number, lambda card: services.exchange_out(
        actor=actor, card=card, partner=_partner(payload.partner), points=payload.points,
        reference=payload.reference))


@router.post("/cards/{number}/exchange-in", response={200: ExchangeOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="loyalty_exchange_in",
             summary="Exchange an alliance partner's units in as points (409 partner_limit); Idempotency-Key")
def exchange_in(request: HttpRequest, number: str, payload: ExchangeInIn) -> JsonResponse:
    actor = _actor(request)
    return _exchange(request, number, lambda card: services.exchange_in(
        actor=actor, card=card, partner=_partner(payload.partner), units=payload.units,
        reference=payload.reference))


@router.get("/group-rules", response={200: GroupRulesOut, **COMMON_ERRORS}, url_name="loyalty_group_rules",
            summary="The group's rules for store promotions (default programme)")
def group_rules(request: HttpRequest) -> Any:
    if not _actor(request).has_perm("loyalty.view_grouprules"):
        raise PermissionDenied
    return services.group_rules_for()


@router.put("/group-rules", response={200: GroupRulesOut, 409: ErrorOut, **COMMON_ERRORS},
            url_name="loyalty_group_rules_set", summary="Set the group's rules (the group administrator)")
def group_rules_set(request: HttpRequest, payload: GroupRulesIn) -> Any:
    return services.group_rules_save(
        actor=_actor(request), max_multiplier=payload.max_multiplier, max_bonus_points=payload.max_bonus_points,
        max_days=payload.max_days, point_value=payload.point_value,
        allowed_category_ids=list(payload.allowed_category_ids), expected_version=payload.version)


@router.get("/promotions", response={200: list[PromotionOut], **COMMON_ERRORS}, url_name="loyalty_promotions",
            summary="The store promotions of the stores you may see")
def promotions(request: HttpRequest) -> Any:
    from .selectors_group import promotion_list

    return list(promotion_list(user=_actor(request))[:500])


@router.post("/promotions", response={201: PromotionOut, **COMMON_ERRORS}, url_name="loyalty_promotion_add",
             summary="Define a store promotion within the group's rules (422 group_limit past a limit)")
def promotion_add(request: HttpRequest, payload: PromotionIn) -> Any:
    actor = _actor(request)
    from kehu.org.selectors import branch_list

    store = branch_list(user=actor).filter(pk=payload.store_id).first()
    if store is None:
        raise Branch.DoesNotExist
    try:
        rule = services.store_promotion_save(
            actor=actor, branch=store, name=payload.name, multiplier=payload.multiplier,
            bonus_points=payload.bonus_points, cap_points=payload.cap_points, category_id=payload.category_id,
            starts_on=payload.starts_on, ends_on=payload.ends_on, is_active=payload.is_active)
    except services.GroupLimitError as error:
        return _limit_error(error)
    return Status(201, EarningRule.objects.get(pk=rule.pk))


@router.get("/settlement/stores", response={200: dict[str, Any], **COMMON_ERRORS},
            url_name="loyalty_settlement_stores",
            summary="Settlement between stores for a month: points earned in one and redeemed in another")
def settlement_stores(request: HttpRequest, params: Query[PeriodParams]) -> dict[str, Any]:
    actor = _actor(request)
    if not actor.has_perm("loyalty.view_settlement"):
        raise PermissionDenied
    statement = settlement.store_settlement(period=params.period, user=actor)
    return {"period": statement.period, "point_value": str(statement.point_value),
            "pairs": [{"earned_in_id": p["earned_in_id"], "earned_in": p["earned_in"],
                       "redeemed_in_id": p["redeemed_in_id"], "redeemed_in": p["redeemed_in"],
                       "points": p["points"], "value": str(p["value"])} for p in statement.pairs],
            "stores": [{"store_id": s["store_id"], "store": s["store"], "receivable": str(s["receivable"]),
                        "payable": str(s["payable"]), "net": str(s["net"])} for s in statement.stores]}


@router.get("/settlement/partners", response={200: list[dict[str, Any]], **COMMON_ERRORS},
            url_name="loyalty_settlement_partners", summary="Settlement with each alliance partner for a month")
def settlement_partners(request: HttpRequest, params: Query[PeriodParams]) -> list[dict[str, Any]]:
    actor = _actor(request)
    if not actor.has_perm("loyalty.view_settlement"):
        raise PermissionDenied
    return [{key: (str(value) if isinstance(value, Decimal) else value) for key, value in row.items()
             if key != "partner"} for row in settlement.partner_settlement(period=params.period)]
