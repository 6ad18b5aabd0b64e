"""The opportunities API (``/api/opportunities``: list, create, read, update, stage, won, lost) and the forecast
(``/api/forecast``)."""

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
from kehu.api.schemas import BranchRef, RowId, StaffRef
from kehu.org.models import User
from kehu.org.selectors import staff_list

from ..models import Opportunity, OpportunityStatus
from . import forecast as forecasting
from . import selectors, services

router = Router(tags=["opportunities"])
forecast_router = Router(tags=["opportunities"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class Ref(Schema):
    id: int
    name: str


class StageOut(Schema):
    id: int
    name: str
    probability: int
    kind: str


class LineOut(Schema):
    product: Ref
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class OpportunityOut(Schema):
    id: int
    name: str
    customer: Ref | None
    lead: Ref | None
    owner: StaffRef
    branch: BranchRef
    pipeline: Ref
    stage: StageOut
    probability: int
    amount: Decimal
    weighted: Decimal
    expected_close: dt.date
    next_step: str
    competitors: str
    committed: bool
    status: OpportunityStatus
    loss_reason: Ref | None
    loss_note: str
    closed_at: dt.datetime | None
    stage_entered_at: dt.datetime
    created_at: dt.datetime
    version: int
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Opportunity) -> list[Any]:
        return list(obj.lines.all())


class OpportunityPage(Schema):
    count: int
    items: list[OpportunityOut]


class LineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    product_id: RowId
    quantity: Decimal = Field(Decimal(1), gt=0, le=1_000_000, max_digits=12, decimal_places=2)
    unit_price: Decimal | None = Field(None, ge=0, le=100_000_000, max_digits=14, decimal_places=2,
                                       description="Default: the product's list price.")


class OpportunityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    customer_id: RowId | None = Field(None, description="A customer, or:")
    lead_id: RowId | None = Field(None, description="a lead (exactly one of the two).")
    expected_close: dt.date
    pipeline_id: RowId | None = Field(None, description="Default: the default pipeline.")
    stage_id: RowId | None = Field(None, description="Default: the pipeline's first stage.")
    owner_id: RowId | None = Field(None, description="Default: you.")
    probability: int | None = Field(None, ge=0, le=100, description="Default: the stage's.")
    next_step: str = Field("", max_length=200)
    competitors: str = Field("", max_length=1000)
    committed: bool = False
    lines: list[LineIn] = Field(default_factory=list, max_length=50)


class OpportunityPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="The version you read (409 if it changed since).")
    name: str | None = Field(None, min_length=1, max_length=200)
    expected_close: dt.date | None = None
    probability: int | None = Field(None, ge=0, le=100)
    next_step: str | None = Field(None, max_length=200)
    competitors: str | None = Field(None, max_length=1000)
    committed: bool | None = None
    lines: list[LineIn] | None = Field(None, max_length=50, description="Replaces all lines.")


class StageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    stage_id: RowId
    reason_id: RowId | None = Field(None, description="Required when the stage is a lost one.")
    note: str = Field("", max_length=500)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class WonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=2**31 - 1)


class LostIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason_id: RowId
    note: str = Field("", max_length=500)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class ListParams(PageParams):
    q: str = Field("", max_length=100, description="Name or customer (prefix).")
    status: OpportunityStatus | None = None
    owner_id: RowId | None = None
    pipeline_id: RowId | None = None
    stage_id: RowId | None = None
    customer_id: RowId | None = None


def _lines(lines: list[LineIn] | None) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    return [{"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price} for line in lines]


def _get(actor: User, pk: int) -> Opportunity:
    return selectors.opportunity_get(user=actor, pk=pk)


@router.get("", response={200: OpportunityPage, **COMMON_ERRORS}, url_name="opportunity_list",
            summary="List the opportunities you may see, newest first")
def list_opportunities(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    rows = selectors.opportunity_list(user=_actor(request), q=params.q, status=params.status or "",
                                      owner_id=params.owner_id, pipeline_id=params.pipeline_id,
                                      stage_id=params.stage_id, customer_id=params.customer_id)
    return paginate(rows.select_related("pipeline", "loss_reason").prefetch_related("lines__product"), params)


@router.post("", response={201: OpportunityOut, **COMMON_ERRORS}, url_name="opportunity_create",
             summary="Create an opportunity for a customer or a lead")
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Status[Opportunity]:
    actor = _actor(request)
    owner = None
    if payload.owner_id is not None and payload.owner_id != actor.pk:
        owner = staff_list(user=actor).filter(pk=payload.owner_id).first()
        if owner is None:
            raise ValidationError({"owner_id": [_("Choose an active member of staff in your branches.")]})
    with renamed_fields({"customer": "customer_id", "lead": "lead_id", "pipeline": "pipeline_id",
                         "stage": "stage_id", "owner": "owner_id"}):
        opportunity = services.opportunity_create(
            actor=actor, name=payload.name, customer=payload.customer_id, lead=payload.lead_id,
            expected_close=payload.expected_close, pipeline=payload.pipeline_id, stage=payload.stage_id, owner=owner,
            probability=payload.probability, next_step=payload.next_step, competitors=payload.competitors,
            committed=payload.committed, lines=_lines(payload.lines))
    return Status(201, _get(actor, opportunity.pk))


@router.get("/{int:opportunity_id}", response={200: OpportunityOut, **COMMON_ERRORS}, url_name="opportunity_detail",
            summary="An opportunity (404 outside your scope)")
def get_opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return _get(_actor(request), opportunity_id)


@router.patch("/{int:opportunity_id}", response={200: OpportunityOut, 409: ErrorOut, **COMMON_ERRORS},
              url_name="opportunity_update",
              summary="Change an opportunity (send the version you read: 409 version_conflict if it changed)")
def update_opportunity(request: HttpRequest, opportunity_id: int, payload: OpportunityPatch) -> Opportunity:
    actor = _actor(request)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "lines"})
    changes = {name: value for name, value in changes.items() if value is not None}
    services.opportunity_update(actor=actor, opportunity=_get(actor, opportunity_id),
                                expected_version=payload.version, lines=_lines(payload.lines), **changes)
    return _get(actor, opportunity_id)


@router.post("/{int:opportunity_id}/stage", response={200: OpportunityOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="opportunity_stage", summary="Move to a stage of its pipeline (a lost stage needs reason_id)")
def move_opportunity(request: HttpRequest, opportunity_id: int, payload: StageIn) -> Opportunity:
    actor = _actor(request)
    with renamed_fields({"stage": "stage_id", "reason": "reason_id"}):
        services.opportunity_move(actor=actor, opportunity=_get(actor, opportunity_id), stage=payload.stage_id,
                                  reason=payload.reason_id, note=payload.note, expected_version=payload.version)
    return _get(actor, opportunity_id)


@router.post("/{int:opportunity_id}/won", response={200: OpportunityOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="opportunity_won", summary="Win the deal")
def win_opportunity(request: HttpRequest, opportunity_id: int, payload: WonIn) -> Opportunity:
    actor = _actor(request)
    services.opportunity_win(actor=actor, opportunity=_get(actor, opportunity_id), expected_version=payload.version)
    return _get(actor, opportunity_id)


@router.post("/{int:opportunity_id}/lost", response={200: OpportunityOut, 409: ErrorOut, **COMMON_ERRORS},
             url_name="opportunity_lost", summary="Lose the deal, with a configured reason")
def lose_opportunity(request: HttpRequest, opportunity_id: int, payload: LostIn) -> Opportunity:
    actor = _actor(request)
    with renamed_fields({"reason": "reason_id"}):
        services.opportunity_lose(actor=actor, opportunity=_get(actor, opportunity_id), reason=payload.reason_id,
                                  note=payload.note, expected_version=payload.version)
    return _get(actor, opportunity_id)


class FiguresOut(Schema):
    key: str
    label: str
    count: int
    amount: Decimal
    weighted: Decimal
    committed: Decimal


class FunnelOut(Schema):
    stage: str
    reached: int
    conversion: float | None


class RateOut(Schema):
    owner_id: int
    owner: str
    won: int
    lost: int
    won_amount: Decimal
    win_rate: float | None
    median_cycle_days: float | None


class ForecastOut(Schema):
    start: dt.date
    end: dt.date
    this_month: FiguresOut
    won_this_month: FiguresOut
    months: list[FiguresOut]
    owners: list[FiguresOut]
    branches: list[FiguresOut]
    products: list[FiguresOut]
    funnel: list[FunnelOut]
    rates: list[RateOut]


class ForecastParams(Schema):
    start: dt.date | None = Field(None, description="A day of the first month (default: this month).")
    months: int = Field(6, ge=1, le=forecasting.MAX_MONTHS)
    owner_id: RowId | None = None
    branch_id: RowId | None = None
    pipeline_id: RowId | None = None


def _figures(row: forecasting.Figures) -> dict[str, Any]:
    return {"key": str(row.key), "label": row.label, "count": row.count, "amount": row.amount,
            "weighted": row.weighted, "committed": row.committed}


@forecast_router.get("", response={200: ForecastOut, **COMMON_ERRORS}, url_name="forecast",
                     summary="The forecast: by month, owner, branch, product; the funnel; win rates and cycle length")
def get_forecast(request: HttpRequest, params: Query[ForecastParams]) -> dict[str, Any]:
    from django.core.exceptions import PermissionDenied

    from kehu.core.validators import validate_business_date

    actor = _actor(request)
    if not actor.has_perm("sales.view_opportunity"):
        raise PermissionDenied(_("You may not see the forecast."))
    if params.start is not None:
        with renamed_fields({}):
            try:
                validate_business_date(params.start)
            except ValidationError as error:
                raise ValidationError({"start": error.messages}) from error
    pipeline = selectors.pipeline_get(params.pipeline_id) if params.pipeline_id else None
    if params.pipeline_id and pipeline is None:
        raise ValidationError({"pipeline_id": [_("Choose an active pipeline.")]})
    result = forecasting.forecast(user=actor, start=params.start, months=params.months, owner_id=params.owner_id,
                                  branch_id=params.branch_id, pipeline=pipeline)
    return {"start": result.start, "end": result.end, "this_month": _figures(result.this_month),
            "won_this_month": _figures(result.won_this_month), "months": [_figures(row) for row in result.months],
            "owners": [_figures(row) for row in result.owners], "branches": [_figures(row) for row in result.branches],
            "products": [_figures(row) for row in result.products],
            "funnel": [vars(step) for step in result.funnel],
            "rates": [{**vars(rate), "win_rate": rate.win_rate} for rate in result.rates]}
