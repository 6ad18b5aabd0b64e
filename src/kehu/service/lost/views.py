"""Lost-customer pages: mark a customer lost (from its 360 page, with confirmation), the list, the lost-rate report
(table, chart, CSV). Thin: reads through ``selectors``, writes through ``services``."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.pagination import CappedPaginator
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User

from ..models import LostReason
from . import selectors, services

PER_PAGE = 50


class AuthenticatedRequest(HttpRequest):
    user: User


class LostForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=LostReason.choices)
    details = forms.CharField(label=gettext_lazy("Details"), required=False, max_length=services.DETAILS_MAX,
                              widget=forms.Textarea(attrs={"rows": 4}))


@login_required
@permission_required("service.add_lostrecord", raise_exception=True)
def lost_mark(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The confirmation form of "Mark lost"; saving it marks the customer lost."""
    try:
        customer = customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    form = LostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_mark_lost(actor=request.user, customer=customer, reason=form.cleaned_data["reason"],
                                        details=form.cleaned_data["details"])
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The customer has been marked lost; a win-back task was created."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#lost")
    status = 422 if form.errors else 200
    return render(request, "service/lost/mark.html", {"form": form, "customer": customer}, status=status)


@login_required
@permission_required("service.view_lostrecord", raise_exception=True)
def lost_list(request: AuthenticatedRequest) -> HttpResponse:
    reason = request.GET.get("reason", "")
    reason = reason if reason in LostReason.values else ""
    rows = selectors.lost_list(user=request.user, reason=reason, open_only=request.GET.get("open") == "1")
    page = CappedPaginator(rows, PER_PAGE, page_hint=request.GET.get("page")).get_page(request.GET.get("page"))
    return render(request, "service/lost/list.html", {"page": page, "reason": reason, "reasons": LostReason.choices,
                                                      "open_only": request.GET.get("open") == "1"})


CHART_W, CHART_H, PAD = 720, 240, 36
COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#64748b"]


def _chart(report: selectors.LostRate) -> dict:
    """The SVG polylines of the lost rate per row (at most 8 rows) and of the total."""
    series = [report.total, *report.rows[:8]]
    top = max([rate for row in series for rate in row.rates if rate is not None] + [0.1])
    count = len(report.months)
    step = (CHART_W - 2 * PAD) / max(count - 1, 1)
    lines = []
    for index, row in enumerate(series):
        points = " ".join(f"{PAD + i * step:.1f},{CHART_H - PAD - (rate or 0) / top * (CHART_H - 2 * PAD):.1f}"
                          for i, rate in enumerate(row.rates))
        lines.append({"points": points, "label": row.label or _("All customers"),
                      "colour": "#111827" if index == 0 else COLOURS[(index - 1) % len(COLOURS)],
                      "width": 3 if index == 0 else 1.5})
    ticks = [{"x": f"{PAD + i * step:.1f}", "label": month.strftime("%Y-%m")} for i, month in
             enumerate(report.months)]
    return {"lines": lines, "ticks": ticks, "top": round(top, 2), "width": CHART_W, "height": CHART_H,
            "bottom": CHART_H - PAD, "pad": PAD}


@login_required
@permission_required("service.view_lostrecord", raise_exception=True)
def lost_report(request: AuthenticatedRequest) -> HttpResponse:
    """The lost rate per month over 12 months by reason, primary tier or branch, with a chart; ``?format=csv``."""
    group = request.GET.get("group", "reason")
    group = group if group in selectors.GROUPS else "reason"
    report = selectors.lost_rate(user=request.user, group=group)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="lost-rate-{group}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([_("Group"), _("Month"), _("Lost"), _("Customers at the start"), _("Lost rate (%)")])
        for row in [*report.rows, report.total]:
            for month, lost, base, rate in zip(report.months, row.lost, row.base, row.rates, strict=True):
                label = row.label or _("All customers")
                safe = ("'" + label) if label[:1] in "=+-@\t\r" else label
                writer.writerow([safe, month.strftime("%Y-%m"), lost, base, "" if rate is None else rate])
        return response
    groups = [("reason", _("Reason")), ("tier", _("Primary tier")), ("branch", _("Branch"))]
    return render(request, "service/lost/report.html", {"report": report, "group": group, "groups": groups,
                                                        "chart": _chart(report)})
