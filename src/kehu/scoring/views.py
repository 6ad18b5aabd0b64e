"""Customer value pages: the overview charts, one scheme's customers, runs and their tier changes, alerts.

Thin views: reads through ``selectors``, writes through ``services``; charts are inline SVG drawn by the templates
from ``charts`` (no JavaScript library). Every chart bar and cell links to the customers behind it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.pagination import capped_page
from kehu.org.models import User

from . import charts, schemes, selectors, services
from .models import Alert, ScoringRun, TierScheme, tier_label


class AuthenticatedRequest(HttpRequest):
    user: User


def _viewer(request: AuthenticatedRequest) -> User:
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not see customer value figures."))
    return request.user


def _scheme(name: str) -> TierScheme:
    try:
        return selectors.scheme_get(name=name)
    except TierScheme.DoesNotExist:
        raise Http404(_("No such tier scheme.")) from None


def tier_urls(scheme: TierScheme) -> dict[str, str]:
    """Where each tier's bar or cell leads: the customer list (primary scheme: ``?tier=``) or this app's list."""
    if scheme.is_primary:
        base = reverse("customers:list")
        return {t.code: f"{base}?{urlencode({'tier': t.code})}" for t in scheme.tiers}
    return {t.code: reverse("scoring:tier_customers", args=[scheme.name, t.code]) for t in scheme.tiers}


def _measure_label(name: str) -> str:
    return str(schemes.MEASURES.get(name, name))


def _cut_text(value: Any, measure: str) -> str:
    if value is None:
        return "—"
    if measure in {"margin_rate"}:
        return charts.percent(float(value))
    if measure in {"loyalty_score", "value_score"}:
        return f"{float(value):.0f}"
    return charts.money(float(value))


def scheme_chart(scheme: TierScheme, distribution: selectors.Distribution) -> dict[str, Any]:
    """What the template needs to draw one scheme."""
    urls = tier_urls(scheme)
    chart: dict[str, Any] = {"scheme": scheme, "label": tier_label(scheme.label), "distribution": distribution,
                             "description": tier_label(scheme.description)}
    if scheme.kind in schemes.MATRIX_KINDS:
        parameters = scheme.parameters
        x_measure, y_measure = parameters["x"]["measure"], parameters["y"]["measure"]
        chart["matrix"] = charts.matrix(
            distribution, x_label=_measure_label(x_measure), y_label=_measure_label(y_measure),
            x_cut=_cut_text(distribution.figures.get("x_cut"), x_measure),
            y_cut=_cut_text(distribution.figures.get("y_cut"), y_measure), urls=urls)
    else:
        chart["pyramid"] = charts.pyramid(distribution, urls=urls)
        chart["is_pyramid"] = scheme.kind == schemes.PYRAMID
    return chart


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    """The pyramid, both matrices and the other schemes, the 80/20 curve and the lifetime value distribution."""
    user = _viewer(request)
    run = selectors.latest_run()
    charts_ = [scheme_chart(s, selectors.tier_distribution(user=user, scheme=s)) for s in selectors.scheme_list()]
    context = {
        "run": run,
        "charts": charts_,
        "pareto": charts.pareto(selectors.pareto(user=user, run=run)) if run else None,
        "histogram": charts.histogram(selectors.clv_histogram(user=user, run=run)) if run else None,
        "alert_counts": selectors.alert_counts(user=user),
        "can_run": user.has_perm("scoring.run_scoring"),
        "period_days": (run.parameters or {}).get("period_days", 365) if run else 365,
        "scoped": any(c["distribution"].scoped for c in charts_),
    }
    return render(request, "scoring/overview.html", context)


@login_required
def tier_customers(request: AuthenticatedRequest, name: str, code: str) -> HttpResponse:
    """The customers (you may see) in one tier of a scheme."""
    user = _viewer(request)
    scheme = _scheme(name)
    if code not in scheme.definition().codes:
        raise Http404(_("No such tier."))
    customers = selectors.customers_in_tier(user=user, scheme=scheme, tier=code).select_related(
        "owner", "branch", "score_summary").order_by("-id")
    page = capped_page(customers, request.GET.get("page"))
    return render(request, "scoring/tier_customers.html", {
        "scheme": scheme, "code": code, "tier_label": scheme.tier_label_for(code), "page": page,
    })


@login_required
def run_list(request: AuthenticatedRequest) -> HttpResponse:
    """Scoring runs, newest first, and (with the permission) a form to start one."""
    user = _viewer(request)
    page = capped_page(selectors.scoring_run_list().prefetch_related("schemes"), request.GET.get("page"))
    today = timezone.localdate()
    stale = selectors.stale_data(as_of=today)
    latest = selectors.scoring_run_list().filter(status=ScoringRun.Status.SUCCEEDED).order_by("-as_of").first()
    return render(request, "scoring/runs.html", {
        "page": page, "can_run": user.has_perm("scoring.run_scoring"), "schemes": selectors.scheme_list(),
        "today": today, "stale": stale, "company_figures": selectors.sees_company_figures(user),
        # the newest purchase's day can be offered unless a later run has succeeded (runs go in date order)
        "offer_newest": stale is not None and (latest is None or latest.as_of <= stale.newest),
    })


@login_required
@require_POST
def run_start(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a scoring run (it runs in the background worker, never in this request)."""
    user = _viewer(request)
    as_of = None
    if request.POST.get("as_of"):
        try:
            as_of = dt.date.fromisoformat(request.POST["as_of"])
        except ValueError:
            messages.error(request, _("Enter a date like 2025-12-31."))
            return redirect("scoring:runs")
    try:
        run = services.scoring_run_request(actor=user, as_of=as_of,
                                           scheme_names=request.POST.getlist("schemes") or None)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("scoring:runs")
    messages.success(request, _("Scoring run %(id)s as of %(date)s has been started.")
                     % {"id": run.pk, "date": run.as_of.isoformat()})
    return redirect("scoring:run", pk=run.pk)


@login_required
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One run: status, counts per tier of each scheme, model parameters and the tier changes."""
    user = _viewer(request)
    try:
        run = selectors.scoring_run_get(pk=pk)
    except ScoringRun.DoesNotExist:
        raise Http404(_("No such scoring run.")) from None
    run_schemes = list(run.schemes.order_by("position", "id"))
    scheme_name = request.GET.get("scheme", "")
    direction = request.GET.get("direction", "")
    scheme = next((s for s in run_schemes if s.name == scheme_name), None)
    changes = selectors.tier_changes(user=user, run=run, scheme=scheme,
                                     direction=direction if direction in ("fall", "rise") else "")
    page = capped_page(changes, request.GET.get("page"))
    labels = {s.pk: {t.code: tier_label(t.label) for t in s.tiers} for s in run_schemes}
    company_figures = selectors.sees_company_figures(user)
    tables = []
    clv = run.figures.get("clv", {})
    scoped_counts: dict[str, int] = {}
    if company_figures:
        for s in run_schemes:
            counts = run.counts.get(str(s.pk), {})
            tables.append({"scheme": s, "label": tier_label(s.label), "tiers": counts.get("tiers", []),
                           "changes": run.figures.get("changes", {}).get(str(s.pk), {})})
    else:  # users limited to some branches: their customers' changes and alerts, no company-wide figures
        scoped_counts = selectors.run_scoped_counts(user=user, run=run)
        clv = {key: value for key, value in clv.items() if key in selectors.CLV_STATUS_KEYS}
    return render(request, "scoring/run.html", {
        "run": run, "tables": tables, "page": page, "labels": labels, "schemes": run_schemes,
        "scheme_name": scheme_name, "direction": direction, "clv": clv,
        "timings": run.figures.get("timings", {}), "company_figures": company_figures,
        "scoped_counts": scoped_counts, "stale": selectors.stale_data(as_of=run.as_of),
    })


@login_required
def alert_list(request: AuthenticatedRequest) -> HttpResponse:
    """“My customers at risk”: the alerts the user may see (account managers: their own customers)."""
    user = _viewer(request)
    status = request.GET.get("status", Alert.Status.OPEN)
    if status not in (*Alert.Status.values, "all"):
        status = Alert.Status.OPEN
    reason = request.GET.get("reason", "")
    if reason not in Alert.Reason.values:
        reason = ""
    alerts = selectors.alert_list(user=user, status="" if status == "all" else status, reason=reason)
    page = capped_page(alerts, request.GET.get("page"))
    return render(request, "scoring/alerts.html", {
        "page": page, "status": status, "reason": reason, "statuses": Alert.Status.choices,
        "reasons": Alert.Reason.choices, "counts": selectors.alert_counts(user=user),
    })


@login_required
@require_POST
def alert_handle(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """Acknowledge or close an alert; an HTMX request gets the updated row back."""
    user = _viewer(request)
    try:
        alert = selectors.alert_get(user=user, pk=pk)
    except Alert.DoesNotExist:
        raise Http404(_("No such alert.")) from None
    note = request.POST.get("note", "")
    if action == "acknowledge":
        services.alert_acknowledge(alert=alert, actor=user, note=note)
    elif action == "close":
        services.alert_close(alert=alert, actor=user, note=note)
    else:
        raise Http404(_("No such action."))
    alert = selectors.alert_get(user=user, pk=pk)
    if getattr(request, "htmx", False):
        return render(request, "scoring/_alert_row.html", {"alert": alert})
    messages.success(request, _("The alert has been updated."))
    return redirect(request.POST.get("next") or reverse("scoring:alerts"))
