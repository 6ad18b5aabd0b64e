"""SLA pages: the figures per team, tier and month (chart and CSV), the calendar days of a year."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.spreadsheet import csv_safe
from kehu.service.models import ServiceTeam

from . import selectors


def parse_month(text: str | None) -> dt.date | None:
    """``YYYY-MM`` → its first day; empty → ``None``; anything else (or out of 1990–2200) → ``ValueError``."""
    if not text:
        return None
    try:
        month = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValueError(_("Give the month as YYYY-MM.")) from None
    if not 1990 <= month.year <= 2200:
        raise ValueError(_("Give the month as YYYY-MM."))
    return month


def parse_team(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise ValueError(_("Unknown team."))
    return int(text)


@login_required
@permission_required("service.view_ticket", raise_exception=True)
def sla_report(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        month = parse_month(request.GET.get("month"))
        team = parse_team(request.GET.get("team"))
    except ValueError as problem:
        month, team, error = None, None, str(problem)
    rows = selectors.sla_figures(user=request.user, month=month, team_id=team)
    if request.GET.get("format") == "csv" and not error:
        return _csv(rows)
    return render(request, "service/sla/report.html", {
        "rows": rows, "bars": selectors.figures_by_team(rows), "error": error,
        "month": request.GET.get("month", "") if not error else "", "team": team,
        "teams": ServiceTeam.objects.filter(active=True).only("pk", "name"),
        "status": 400 if error else 200,
    }, status=400 if error else 200)


def _csv(rows: list[selectors.FigureRow]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Month"), _("Team"), _("Tier"), _("Tickets"), _("First responses on time (%)"),
                     _("Resolutions on time (%)"), _("Median business minutes to first response"),
                     _("Median business minutes to resolution")])
    for row in rows:
        writer.writerow([row.month, csv_safe(row.team), csv_safe(row.tier), row.tickets,
                         _blank(row.response_on_time_percent), _blank(row.resolution_on_time_percent),
                         _blank(row.median_response_minutes), _blank(row.median_resolution_minutes)])
    return response


def _blank(value: float | None) -> str:
    return "" if value is None else str(value)


@login_required
@permission_required("service.view_calendarday", raise_exception=True)
def sla_calendar_days(request: HttpRequest) -> HttpResponse:
    years = selectors.calendar_years()
    text = request.GET.get("year", "")
    year = int(text) if text.isdigit() and len(text) == 4 else timezone.localdate().year
    days = selectors.calendar_days_by_year(year=year)
    return render(request, "service/sla/calendar_days.html", {"year": year, "years": years, "days": days})
