"""``GET /api/surveys/figures?start=YYYY-MM&end=YYYY-MM&group=month|team|branch`` — CSAT and NPS figures, scoped to
the user's branches (mounted at ``/api/surveys`` in ``kehu/api/api.py``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kehu.api.errors import COMMON_ERRORS
from kehu.relations.kpis.selectors import parse_month

from .figures import default_range, survey_figures

router = Router(tags=["surveys"])


class FigureRowOut(Schema):
    key: str = Field(description="YYYY-MM, the team's id or the branch's id ('' : no team).")
    label: str
    csat_average: Decimal | None = Field(description="Average CSAT answer (1–5).")
    csat_answers: int
    nps: int | None = Field(description="% promoters (9–10) − % detractors (0–6), −100 to 100.")
    nps_answers: int
    promoters: int
    detractors: int


class FiguresOut(Schema):
    start: str
    end: str
    group: str
    csat_average: Decimal | None
    nps: int | None
    invitations: int = Field(description="Invitations made in the range.")
    answered: int = Field(description="Of those, answered.")
    rows: list[FigureRowOut]


class FiguresParams(Schema):
    start: str | None = Field(None, max_length=7, description="First month, YYYY-MM (default: 11 months ago).")
    end: str | None = Field(None, max_length=7, description="Last month, YYYY-MM (default: this month).")
    group: str = Field("month", max_length=10, description="month, team or branch.")


@router.get("/figures", response={200: FiguresOut, **COMMON_ERRORS}, url_name="survey_figures",
            summary="Satisfaction figures: CSAT average and NPS per month, team or branch")
def figures(request: HttpRequest, params: Query[FiguresParams]) -> dict[str, Any]:
    """403 without the right to see survey answers; 422 for a month that is not YYYY-MM, a range over 36 months or
    an unknown grouping."""
    default_start, default_end = default_range()
    start = parse_month(params.start) if params.start else default_start
    end = parse_month(params.end) if params.end else default_end
    result = survey_figures(user=request.auth,  # type: ignore[attr-defined]
                            start=start, end=end, group=params.group)
    return {"start": f"{result.start:%Y-%m}", "end": f"{result.end:%Y-%m}", "group": result.group,
            "csat_average": result.csat_average, "nps": result.nps, "invitations": result.invitations,
            "answered": result.answered, "rows": [row.__dict__ for row in result.rows]}
