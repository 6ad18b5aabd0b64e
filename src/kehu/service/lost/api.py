"""The lost-customers API (mounted at ``/api/lost-customers``): mark a customer lost, the list, the lost-rate
figures."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User

from ..models import LostReason
from . import selectors, services

router = Router(tags=["lost customers"])


def _actor(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not user.has_perm("service.view_lostrecord"):
        raise PermissionDenied(_("You may not see lost customers."))
    return user


class LostIn(Schema):
    customer_id: int = Field(ge=1, le=2**62)
    reason: LostReason
    details: str = Field("", max_length=2000)


class LostOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    reason: str
    details: str
    lost_at: dt.datetime
    marked_by: str | None
    branch_id: int
    tier: str
    won_back_at: dt.datetime | None
    won_back_by: str

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_marked_by(obj: Any) -> str | None:
        return str(obj.marked_by) if obj.marked_by_id else None


class LostPage(Schema):
    count: int
    items: list[LostOut]


class LostListParams(PageParams):
    reason: LostReason | None = None
    open_only: bool = Field(False, description="Only the customers not won back.")


class FiguresParams(Schema):
    group: Literal["reason", "tier", "branch"] = "reason"


class FigureRowOut(Schema):
    key: str
    label: str
    lost: list[int]
    base: list[int] = Field(description="Customers at the start of each month.")
    rates: list[float | None] = Field(description="Lost / customers at the start, in per cent.")


class FiguresOut(Schema):
    group: str
    months: list[dt.date]
    rows: list[FigureRowOut]
    total: FigureRowOut


@router.post("", response={201: LostOut, **COMMON_ERRORS}, url_name="lost_create",
             summary="Mark a customer lost (reason, details); a win-back task goes to its owner")
def lost_create(request: HttpRequest, body: LostIn) -> Any:
    actor = _actor(request)
    try:
        customer = customer_get(user=actor, pk=body.customer_id)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    record = services.customer_mark_lost(actor=actor, customer=customer, reason=body.reason, details=body.details)
    return Status(201, selectors.lost_list(user=actor).get(pk=record.pk))


@router.get("", response={200: LostPage, **COMMON_ERRORS}, url_name="lost_list", summary="Lost customers")
def lost_list(request: HttpRequest, params: Query[LostListParams]) -> dict[str, Any]:
    actor = _actor(request)
    rows = selectors.lost_list(user=actor, reason=params.reason or "", open_only=params.open_only)
    return paginate(rows, params)


@router.get("/figures", response={200: FiguresOut, **COMMON_ERRORS}, url_name="lost_figures",
            summary="The lost rate per month over 12 months by reason, primary tier or branch")
def lost_figures(request: HttpRequest, params: Query[FiguresParams]) -> selectors.LostRate:
    return selectors.lost_rate(user=_actor(request), group=params.group)
