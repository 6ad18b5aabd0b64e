"""The cadence API: the rules (read) and the coverage report, scoped like the page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import django_validator
from kehu.core import validators
from kehu.org.models import User

from ..models import CadenceUnit, ContactChannel
from . import selectors

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
