"""``GET /api/staff-kpis?month=YYYY-MM&branch=`` — the staff KPIs of a month, scoped like the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams
from kehu.api.schemas import RowId, StaffRef
from kehu.org.models import User

from .selectors import StaffKpi, parse_month, staff_kpis

router = Router(tags=["staff-kpis"])


class BranchRef(Schema):
    id: int
    code: str
    name: str


class StaffKpiOut(Schema):
    staff: StaffRef
    branch: BranchRef | None
    rank: int = Field(description="Rank in the branch by score (1 is best; equal scores share a rank).")
    branch_size: int = Field(description="Staff ranked in the branch.")
    score: Decimal = Field(description="The monthly score: information points + contribution points.")
    information_score: Decimal
    contribution_score: Decimal
    collected: int = Field(description="Customers whose information the staff member collected or completed "
                                       "(created or changed) in the month.")
    collected_by_week: list[int] = Field(description="The same, per week of the month (Monday to Sunday).")
    weeks_on_quota: int
    contacts: int = Field(description="Contacts the staff member made in the month.")
    contacted_customers: int
    coverage_on: int | None = Field(description="Customers contacted on cadence (null until cadences exist).")
    coverage_total: int | None
    customers: int = Field(description="Customers the staff member owns now.")
    spend: Decimal = Field(description="Their customers' spend in the month.")
    spend_last_month: Decimal
    spend_last_year: Decimal = Field(description="Their customers' spend in the same month a year before.")
    growth_month: Decimal | None = Field(description="% against the month before (null without spend then).")
    growth_year: Decimal | None = Field(description="% against the same month a year before.")
    contribution_target: Decimal


class WeekOut(Schema):
    start: dt.date
    end: dt.date = Field(description="The week's last day in the month.")
    quota: int


class ConfigurationOut(Schema):
    weekly_quota: int
    monthly_quota: int
    information_weight: int
    contribution_weight: int
    contribution_share: int
    bonus_cap: int


class StaffKpiPage(Schema):
    month: str
    configuration: ConfigurationOut
    weeks: list[WeekOut]
    coverage_available: bool
    count: int
    items: list[StaffKpiOut]


class StaffKpiParams(PageParams):
    month: str | None = Field(None, max_length=7, description="YYYY-MM (default: this month, Asia/Shanghai).")
    branch: RowId | None = Field(None, description="A branch in your scope: its staff and those of the branches "
                                                   "below it.")


def _item(row: StaffKpi) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in StaffKpiOut.model_fields}
    data["branch"] = row.branch
    return data


@router.get("", response={200: StaffKpiPage, **COMMON_ERRORS}, url_name="staff_kpis",
            summary="Staff KPIs of a month: information collected, contacts, value and the 100-point score")
def staff_kpi_list(request: HttpRequest, params: Query[StaffKpiParams]) -> dict[str, Any]:
    """Account managers get their own line, branch managers their branches' staff, administrators and auditors
    everyone; ordered by branch and rank. 422 for a month that is not YYYY-MM between 1900-01 and five years ahead;
    404 for a branch outside your scope."""
    user: User = request.auth  # type: ignore[attr-defined,assignment]
    report = staff_kpis(user=user, month=parse_month(params.month), branch_id=params.branch)
    rows = report.rows[params.offset : params.offset + params.limit]
    return {"month": report.month.strftime("%Y-%m"), "configuration": report.configuration,
            "weeks": [{"start": week.start, "end": week.last_day, "quota": week.quota} for week in report.weeks],
            "coverage_available": report.coverage_available, "count": len(report.rows),
            "items": [_item(row) for row in rows]}
