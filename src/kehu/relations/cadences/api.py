"""The cadence API: the rules (read by who may see them; added, replaced and deleted by administrators, with the
``version`` read — a stale one answers 409) and the coverage report, scoped like the page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kehu.api.errors import COMMON_ERRORS, ErrorOut
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import django_validator
from kehu.core import validators
from kehu.org.models import User

from ..models import CadenceRule, CadenceUnit, ContactChannel
from . import selectors, services

router = Router(tags=["cadence"])

AsOfDate = Annotated[dt.date, django_validator(validators.validate_business_date)]


def _actor(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not user.has_perm("relations.view_cadencerule"):
        raise PermissionDenied(_("You may not see the cadence rules."))
    return user


class RuleOut(Schema):
    id: int
    tier: str
    management_class: str
    channel: ContactChannel
    every: int
    unit: CadenceUnit
    interval_days: int
    title: str
    is_active: bool
    version: int


class RulePage(Schema):
    count: int
    items: list[RuleOut]


class CoverageParams(PageParams):
    as_of: AsOfDate | None = Field(None, description="As of this day (default today), YYYY-MM-DD.")
    group: Literal["owner", "branch"] = Field("owner", description="Rows per account manager or per home branch.")


class CoverageRowOut(Schema):
    id: int | None = Field(description="The account manager's or branch's id (null: customers without an owner).")
    name: str
    on_cadence: int
    customers: int
    share: float


class CoverageOut(Schema):
    as_of: dt.date
    group: str
    on_cadence: int
    customers: int
    share: float
    rules: int
    count: int
    items: list[CoverageRowOut]


@router.get("/rules", response={200: RulePage, **COMMON_ERRORS}, url_name="cadence_rule_list",
            summary="List the cadence rules")
def list_rules(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    _actor(request)
    return paginate(selectors.cadence_rule_list(), params)


@router.get("/coverage", response={200: CoverageOut, **COMMON_ERRORS}, url_name="cadence_coverage",
            summary="Customers contacted on cadence, per account manager or branch, in your scope")
def coverage(request: HttpRequest, params: Query[CoverageParams]) -> dict[str, Any]:
    actor = _actor(request)
    as_of = params.as_of or timezone.localdate()
    report = selectors.cadence_coverage(user=actor, as_of=as_of)
    rows = report.by_owner if params.group == "owner" else report.by_branch
    page = rows[params.offset: params.offset + params.limit]
    return {"as_of": as_of, "group": params.group, "on_cadence": report.on_cadence, "customers": report.customers,
            "share": round(report.share, 4), "rules": report.rules, "count": len(rows),
            "items": [{"id": row.key, "name": row.name, "on_cadence": row.on_cadence, "customers": row.customers,
                       "share": round(row.share, 4)} for row in page]}


class RuleIn(Schema):
    tier: str = Field("", max_length=200, description="A tier of the primary scheme (empty: any tier).")
    management_class: str = Field("", max_length=200, description="A management class (empty: any class).")
    channel: str = Field(max_length=200, description="The contact channel the rule asks for.")
    every: int = Field(1, ge=-(2**31), le=2**31 - 1, description="Every so many units.")
    unit: str = Field(CadenceUnit.MONTH, max_length=200, description="day, week, month, quarter or year.")
    title: str = Field("", max_length=1000, description="The tasks' title (empty: the channel and interval).")
    is_active: bool = True


class RuleReplace(RuleIn):
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read (a newer one answers 409).")


class RuleDeleteParams(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1)


def _rule(rule_id: int) -> CadenceRule:
    return CadenceRule.objects.get(pk=rule_id)  # DoesNotExist: 404


@router.post("/rules", response={201: RuleOut, **COMMON_ERRORS}, url_name="cadence_rule_create",
             summary="Add a cadence rule (administrators)")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[CadenceRule]:
    rule = services.cadence_rule_create(actor=_actor(request), **payload.model_dump())
    return Status(201, rule)


@router.put("/rules/{int:rule_id}", response={200: RuleOut, 409: ErrorOut, **COMMON_ERRORS},
            url_name="cadence_rule_update", summary="Replace a cadence rule (send the version you read)")
def update_rule(request: HttpRequest, rule_id: int, payload: RuleReplace) -> CadenceRule:
    actor = _actor(request)
    fields = payload.model_dump(exclude={"version"})
    return services.cadence_rule_update(actor=actor, rule=_rule(rule_id), expected_version=payload.version,
                                        **fields)


@router.delete("/rules/{int:rule_id}", response={204: None, 409: ErrorOut, **COMMON_ERRORS},
               url_name="cadence_rule_delete", summary="Delete a cadence rule (its open tasks are cancelled)")
def delete_rule(request: HttpRequest, rule_id: int, params: Query[RuleDeleteParams]) -> Status[None]:
    actor = _actor(request)
    services.cadence_rule_delete(actor=actor, rule=_rule(rule_id), expected_version=params.version)
    return Status(204, None)
