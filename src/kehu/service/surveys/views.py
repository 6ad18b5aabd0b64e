"""Staff pages: satisfaction figures with a chart, and the invitations list (addresses masked)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kehu.relations.kpis.selectors import parse_month
from kehu.service.models import SurveyKind, SurveyStatus

from .figures import GROUPS, default_range, survey_figures
from .selectors import invitation_list


@login_required
@permission_required("service.view_surveyresponse", raise_exception=True)
def survey_figures_page(request: HttpRequest) -> HttpResponse:
    default_start, default_end = default_range()
    group = request.GET.get("group", "month")
    errors: list[str] = []
    try:
        start = parse_month(request.GET.get("start")) if request.GET.get("start") else default_start
        end = parse_month(request.GET.get("end")) if request.GET.get("end") else default_end
        figures = survey_figures(user=request.user, start=start, end=end,
                                 group=group if group in GROUPS else "month")
    except ValidationError as error:
        errors = error.messages
        figures = survey_figures(user=request.user, start=default_start, end=default_end, group="month")
    bars = []
    for row in figures.rows:
        nps = row.nps or 0
        bars.append({"row": row, "csat_width": float(row.csat_average or 0) * 20,
                     "nps_x": 100 + min(0, nps), "nps_width": abs(nps)})
    return render(request, "service/surveys/figures.html", {
        "figures": figures, "bars": bars, "errors": errors, "groups": GROUPS,
        "start": f"{figures.start:%Y-%m}", "end": f"{figures.end:%Y-%m}"}, status=400 if errors else 200)


@login_required
@permission_required("service.view_surveyinvitation", raise_exception=True)
def invitation_list_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    kind = kind if kind in SurveyKind.values else ""
    status = status if status in SurveyStatus.values else ""
    page = Paginator(invitation_list(user=request.user, kind=kind, status=status), 50).get_page(
        request.GET.get("page"))
    return render(request, "service/surveys/invitations.html", {
        "page": page, "kind": kind, "status": status, "kinds": SurveyKind.choices, "statuses": SurveyStatus.choices})
