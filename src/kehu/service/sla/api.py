"""The SLA API: ``GET /api/sla/figures?month=YYYY-MM&team=ID``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema

from kehu.api.errors import COMMON_ERRORS

from . import selectors
from .views import parse_month, parse_team

router = Router(tags=["sla"])


class FiguresParams(Schema):
    month: str = ""
    team: str = ""


class FigureOut(Schema):
    month: str
    team_id: int | None
    team: str
    tier: str
    tickets: int
    response_on_time_percent: float | None
    resolution_on_time_percent: float | None
    median_response_minutes: float | None
    median_resolution_minutes: float | None


class FiguresOut(Schema):
    items: list[FigureOut]


@router.get("/figures", response={200: FiguresOut, **COMMON_ERRORS}, url_name="sla_figures",
            summary="SLA figures per month, team and tier of the tickets you may see")
def figures(request: HttpRequest, params: Query[FiguresParams]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    if not user.has_perm("service.view_ticket"):
        raise PermissionDenied
    try:
        month = parse_month(params.month)
        team = parse_team(params.team)
    except ValueError as error:
        raise ValidationError({"month" if "YYYY" in str(error) else "team": str(error)}) from None
    rows = selectors.sla_figures(user=user, month=month, team_id=team)
    return {"items": [row.as_dict() for row in rows]}
