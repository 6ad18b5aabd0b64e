"""The evaluation API: ``/api/evaluations`` (list, create, get) and ``/api/evaluation-templates`` (list)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kehu.api.errors import COMMON_ERRORS, ErrorOut, renamed_fields
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import BranchRef, PastDate, RowId, StaffRef
from kehu.customers.selectors import customer_get
from kehu.org.models import User

from ..models import Evaluation, EvaluationTemplate, Recommendation
from . import selectors, services

router = Router(tags=["evaluations"])
templates_router = Router(tags=["evaluations"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class IndicatorOut(Schema):
    id: int
    position: int
    name: str
    weight: Decimal
    max_score: Decimal
    source: str
    target: Decimal | None
    default_score: Decimal
    description: str


class TemplateOut(Schema):
    id: int
    name: str
    description: str
    is_active: bool
    periodic: bool
    period_months: int
    maintain_from: Decimal
    terminate_below: Decimal
    grade_a_from: Decimal
    grade_b_from: Decimal
    grade_c_from: Decimal
    version: int
    indicators: list[IndicatorOut]

    @staticmethod
    def resolve_indicators(obj: EvaluationTemplate) -> list[Any]:
        return list(obj.indicators.all())


class TemplatePage(Schema):
    count: int
    items: list[TemplateOut]


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class ScoreOut(Schema):
    indicator_id: int
    indicator: str
    weight: Decimal
    max_score: Decimal
    source: str
    score: Decimal
    value: Decimal | None
    basis: str

    @staticmethod
    def resolve_indicator(obj: Any) -> str:
        return obj.indicator.name

    @staticmethod
    def resolve_weight(obj: Any) -> Decimal:
        return obj.indicator.weight

    @staticmethod
    def resolve_max_score(obj: Any) -> Decimal:
        return obj.indicator.max_score

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return obj.indicator.source


class EvaluationOut(Schema):
    id: int
    customer: CustomerRef
    template_id: int
    template: str
    evaluated_on: dt.date
    period_start: dt.date
    period_end: dt.date
    branch: BranchRef | None
    evaluator: StaffRef | None
    automatic: bool
    total: Decimal
    grade: str
    recommendation: Recommendation
    notes: str
    scores: list[ScoreOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_template(obj: Evaluation) -> str:
        return obj.template.name

    @staticmethod
    def resolve_scores(obj: Evaluation) -> list[Any]:
        return list(obj.scores.all())


class EvaluationPage(Schema):
    count: int
    items: list[EvaluationOut]


class EvaluationListParams(PageParams):
    customer_id: RowId | None = None
    grade: str | None = Field(None, pattern="^[ABCD]$")
    recommendation: Recommendation | None = None
    branch_id: RowId | None = None
    template_id: RowId | None = None
    since: PastDate | None = None
    until: PastDate | None = None


class ScoreIn(Schema):
    model_config = ConfigDict(extra="forbid")

    indicator_id: RowId
    score: Decimal = Field(ge=0, le=100000, max_digits=9, decimal_places=2)


class EvaluationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: RowId
    template_id: RowId
    evaluated_on: PastDate | None = Field(None, description="Default: today.")
    scores: list[ScoreIn] = Field(default_factory=list, max_length=100,
                                  description="Every manual indicator; a computed one given overrides the measure.")
    notes: str = Field("", max_length=5000)


@templates_router.get("", response={200: TemplatePage, **COMMON_ERRORS}, url_name="evaluation_template_list",
                      summary="List evaluation templates with their indicators")
def list_templates(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    from django.core.exceptions import PermissionDenied

    if not _actor(request).has_perm("relations.view_evaluationtemplate"):
        raise PermissionDenied
    return paginate(selectors.template_list(), params)


@router.get("", response={200: EvaluationPage, **COMMON_ERRORS}, url_name="evaluation_list",
            summary="List evaluations of the customers you may see, newest first")
def list_evaluations(request: HttpRequest, params: Query[EvaluationListParams]) -> dict[str, Any]:
    actor = _actor(request)
    if params.customer_id is not None:
        customer_get(user=actor, pk=params.customer_id)  # 404 out of scope
    evaluations = selectors.evaluation_list(
        user=actor, customer_id=params.customer_id, grade=params.grade, recommendation=params.recommendation,
        branch_id=params.branch_id, template_id=params.template_id, since=params.since, until=params.until)
    return paginate(evaluations, params)


@router.get("/{int:evaluation_id}", response={200: EvaluationOut, **COMMON_ERRORS}, url_name="evaluation_get",
            summary="One evaluation with its scores")
def get_evaluation(request: HttpRequest, evaluation_id: int) -> Evaluation:
    return selectors.evaluation_get(user=_actor(request), pk=evaluation_id)


@router.post("", response={201: EvaluationOut, 409: ErrorOut, **COMMON_ERRORS}, url_name="evaluation_create",
             summary="Evaluate a customer (computed indicators are measured; manual ones are required)")
def create_evaluation(request: HttpRequest, payload: EvaluationIn) -> Status[Evaluation]:
    actor = _actor(request)
    customer = customer_get(user=actor, pk=payload.customer_id)
    template = selectors.template_list(active_only=False).get(pk=payload.template_id)
    with renamed_fields({"template": "template_id"}):
        evaluation = services.evaluation_create(
            actor=actor, customer=customer, template=template, evaluated_on=payload.evaluated_on,
            scores={score.indicator_id: score.score for score in payload.scores}, notes=payload.notes)
    return Status(201, selectors.evaluation_get(user=actor, pk=evaluation.pk))
