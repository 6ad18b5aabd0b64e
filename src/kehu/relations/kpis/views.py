"""The "Staff KPIs" page (month picker, branch filter, search, pagination, chart) and its CSV export. Thin: the
figures come from ``selectors.staff_kpis``."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.spreadsheet import csv_safe
from kehu.org.models import Branch, User

from .selectors import KpiReport, StaffKpi, may_see_kpis, parse_month, staff_kpis


class AuthenticatedRequest(HttpRequest):
    user: User


def _report(request: AuthenticatedRequest) -> tuple[KpiReport | None, dict[str, Any]]:
    """The report asked for, or None with the month's error (the page answers 400 with the form)."""
    if not may_see_kpis(request.user):
        raise PermissionDenied(_("You may not see staff KPIs."))
    month_text = request.GET.get("month", "")
    branch_text = request.GET.get("branch", "")
    errors: dict[str, Any] = {}
    try:
        month = parse_month(month_text)
    except ValidationError as error:
        return None, {"month": error.message_dict.get("month", error.messages)}
    branch_id = None
    if branch_text:
        if not branch_text.isdigit() or len(branch_text) > 18:
            raise Http404(_("No such branch."))
        branch_id = int(branch_text)
    try:
        return staff_kpis(user=request.user, month=month, branch_id=branch_id), errors
    except Branch.DoesNotExist:
        raise Http404(_("No such branch.")) from None


def _matches(row: StaffKpi, query: str) -> bool:
    text = query.casefold()
    return text in row.staff.username.casefold() or text in str(row.staff).casefold()


@login_required
def staff_kpi_page(request: AuthenticatedRequest) -> HttpResponse:
    report, errors = _report(request)
    query = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {"report": report, "errors": errors, "q": query,
                               "month_value": request.GET.get("month", "")[:20]}
    if report is None:
        return render(request, "relations/kpis.html", context, status=400)
    rows = [row for row in report.rows if _matches(row, query)] if query else report.rows
    page = Paginator(rows, int(settings.KEHU_PAGE_SIZE)).get_page(request.GET.get("page"))
    context.update(page=page, month_value=report.month.strftime("%Y-%m"))
    return render(request, "relations/kpis.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _number(value: Any) -> str:
    return "" if value is None else str(value)


@login_required
def staff_kpi_export(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """The report as CSV (every row the page would list, cells neutralised against formulas)."""
    report, errors = _report(request)
    if report is None:
        return HttpResponse(" ".join(str(message) for message in errors["month"]), status=400,
                            content_type="text/plain; charset=utf-8")
    writer = csv.writer(_Echo())
    coverage = report.coverage_available

    def lines() -> Iterator[str]:
        header = [_("Month"), _("Branch"), _("Rank"), _("User name"), _("Staff member"), _("Score"),
                  _("Information points"), _("Contribution points"), _("Information collected"),
                  _("Monthly quota"), _("Weeks on quota"), pgettext("contacts made", "Contacts"),
                  _("Customers contacted")]
        if coverage:
            header += [_("Contacted on cadence"), _("Due on cadence")]
        header += [_("Customers owned"), _("Spend"), _("Spend last month"), _("Spend same month last year"),
                   _("Growth on last month (%)"), _("Growth on last year (%)"), _("Contribution target")]
        yield "\ufeff" + writer.writerow([csv_safe(cell) for cell in header])
        for row in report.rows:
            cells = [report.month.strftime("%Y-%m"), row.branch.name if row.branch else "", row.rank,
                     row.staff.username, str(row.staff), row.score, row.information_score, row.contribution_score,
                     row.collected, report.configuration.monthly_quota, f"{row.weeks_on_quota}/{len(report.weeks)}",
                     row.contacts, row.contacted_customers]
            if coverage:
                cells += [_number(row.coverage_on), _number(row.coverage_total)]
            cells += [row.customers, row.spend, row.spend_last_month, row.spend_last_year,
                      _number(row.growth_month), _number(row.growth_year), row.contribution_target]
            yield writer.writerow([csv_safe(str(cell)) for cell in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="staff-kpis-{report.month:%Y-%m}.csv"'
    return response
