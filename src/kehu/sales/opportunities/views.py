"""Opportunity pages: the kanban board (columns = stages, newest cards per column and "more", HTML5 drag-and-drop
posting through htmx, and a stage select on every card for the keyboard), the list, detail with stage history,
new and edit, won and lost, and the forecast. Thin: reads through ``selectors``/``forecast``, writes through
``services``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.pagination import capped_page
from kehu.org.models import User
from kehu.org.selectors import staff_list

from ..models import Opportunity, Pipeline, StageKind
from . import forecast as forecasting
from . import selectors, services
from .forms import BoardFilterForm, ForecastFilterForm, ListFilterForm, LoseForm, OpportunityCreateForm, OpportunityForm


class AuthenticatedRequest(HttpRequest):
    user: User


def _viewer(user: User) -> None:
    if not user.has_perm("sales.view_opportunity"):
        raise PermissionDenied


def _get(user: User, pk: int) -> Opportunity:
    try:
        return selectors.opportunity_get(user=user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404(_("No such opportunity.")) from None


def _errors_into(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _closed_since() -> dt.datetime:
    """Won and lost columns show the deals closed this month."""
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))


def _board_context(request: AuthenticatedRequest, stage_id: int | None = None) -> dict[str, Any]:
    user = request.user
    form = BoardFilterForm(request.GET or None, staff=staff_list(user=user))
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    pipeline: Pipeline = data.get("pipeline") or selectors.default_pipeline()
    owner = data.get("owner")
    columns = selectors.board(user=user, pipeline=pipeline, owner_id=owner.pk if owner else None,
                              closed_since=_closed_since(), stage_id=stage_id)
    query = urlencode({key: value for key, value in (("pipeline", data.get("pipeline") and pipeline.pk),
                                                      ("owner", owner and owner.pk)) if value})
    return {"form": form, "pipeline": pipeline, "columns": columns, "query": query,
            "movable": [stage for stage in selectors.pipeline_stages(pipeline.pk) if stage.kind != StageKind.LOST],
            "may_work": selectors.may_work(user), "page_size": selectors.BOARD_PAGE,
            # the cards' links as a prefix (…/opportunities/<pk>/, …/<pk>/stage/): one reverse, not three per card
            "card_url": reverse("sales:opportunities")}


@login_required
def board(request: AuthenticatedRequest) -> HttpResponse:
    _viewer(request.user)
    return render(request, "sales/opportunities/board.html", _board_context(request))


@login_required
def board_column(request: AuthenticatedRequest, stage_pk: int) -> HttpResponse:
    """The next cards of a column ("more"), an htmx fragment: that column's count and one page of its cards."""
    user = request.user
    _viewer(user)
    context = _board_context(request, stage_id=stage_pk)
    column = next((column for column in context["columns"] if column.stage.pk == stage_pk), None)
    if column is None:
        raise Http404(_("No such stage."))
    try:
        offset = max(0, min(int(request.GET.get("offset", "0")), 1_000_000))
    except ValueError:
        offset = 0
    owner = context["form"].cleaned_data.get("owner") if context["form"].is_bound and context["form"].is_valid() \
        else None
    cards = selectors.board_cards(user=user, pipeline=context["pipeline"], stage=column.stage,
                                  owner_id=owner.pk if owner else None, closed_since=_closed_since(), offset=offset)
    return render(request, "sales/opportunities/_cards.html", {
        **context, "column": column, "cards": cards, "next_offset": offset + len(cards),
        "has_more": offset + len(cards) < column.count})


@login_required
@require_POST
def move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A card dropped on a column or its stage chosen: move it; htmx gets the board again, a plain form a redirect.
    A lost stage needs a reason: the detail page's "lost" form."""
    user = request.user
    opportunity = _get(user, pk)
    back = request.POST.get("next", "")
    back = back if back.startswith("/sales/") else reverse("sales:board")
    try:
        stage_pk = int(request.POST.get("stage", ""))
        version = int(request.POST["version"]) if request.POST.get("version", "").isdigit() else None
    except ValueError:
        return HttpResponse(_("Choose a stage."), status=422)
    target = next((stage for stage in selectors.pipeline_stages(opportunity.pipeline_id) if stage.pk == stage_pk), None)
    if target is not None and target.kind == StageKind.LOST:
        url = reverse("sales:opportunity", args=[pk]) + "#lose"
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)
    try:
        services.opportunity_move(actor=user, opportunity=opportunity, stage=stage_pk, expected_version=version)
    except ConcurrentUpdateError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s moved to %(stage)s.") % {"name": opportunity.name,
                                                                        "stage": target.name if target else ""})
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "sales/opportunities/board.html", _board_context(request))
    return redirect(back)


@login_required
def opportunity_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    _viewer(user)
    form = ListFilterForm(request.GET or None, staff=staff_list(user=user))
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    owner, pipeline = data.get("owner"), data.get("pipeline")
    rows = selectors.opportunity_list(user=user, q=data.get("q") or "", status=data.get("status") or "",
                                      owner_id=owner.pk if owner else None,
                                      pipeline_id=pipeline.pk if pipeline else None)
    page = capped_page(rows, request.GET.get("page"))
    return render(request, "sales/opportunities/list.html", {
        "form": form, "page": page, "is_filtered": any(data.values()),
        "may_create": selectors.may_work(user) and user.has_perm("sales.add_opportunity")})


@login_required
def opportunity_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    opportunity = _get(user, pk)
    history = selectors.stage_history(opportunity=opportunity)
    may_change = opportunity.is_open and selectors.may_change(user=user, opportunity=opportunity)
    return render(request, "sales/opportunities/detail.html", {
        "opportunity": opportunity, "history": history, "may_change": may_change,
        "stages": [stage for stage in selectors.pipeline_stages(opportunity.pipeline_id)
                   if stage.kind != StageKind.LOST],
        "lose_form": LoseForm(initial={"version": opportunity.version}),
        "in_stage": timezone.now() - opportunity.stage_entered_at})


def _initial_subject(request: AuthenticatedRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"expected_close": timezone.localdate() + dt.timedelta(days=30)}
    for name in ("customer", "lead"):
        value = request.GET.get(name, "")
        if value.isdigit() and len(value) < 19:
            initial[name] = int(value)
    return initial


@login_required
def opportunity_create(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not (selectors.may_work(user) and user.has_perm("sales.add_opportunity")):
        raise PermissionDenied(_("You may not create opportunities."))
    form = OpportunityCreateForm(request.POST or None, initial=_initial_subject(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.opportunity_create(
                actor=user, name=data["name"], customer=data.get("customer"), lead=data.get("lead"),
                expected_close=data["expected_close"], pipeline=data["pipeline"].pk if data.get("pipeline") else None,
                probability=data.get("probability"), next_step=data["next_step"], competitors=data["competitors"],
                committed=data["committed"], lines=form.lines())
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The opportunity has been created."))
            return redirect("sales:opportunity", opportunity.pk)
    return render(request, "sales/opportunities/form.html", {"form": form, "opportunity": None},
                  status=422 if form.errors else 200)


@login_required
def opportunity_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    opportunity = _get(user, pk)
    if not (opportunity.is_open and selectors.may_change(user=user, opportunity=opportunity)):
        raise PermissionDenied(_("You may not change this opportunity."))
    lines = list(opportunity.lines.all())
    initial = {name: getattr(opportunity, name) for name in ("name", "expected_close", "probability", "next_step",
                                                             "competitors", "committed")}
    form = OpportunityForm(request.POST or None, initial=initial, lines=lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = request.POST.get("version", "")
        try:
            services.opportunity_update(
                actor=user, opportunity=opportunity, expected_version=int(version) if version.isdigit() else None,
                lines=form.lines(), **{name: data[name] for name in ("name", "expected_close", "next_step",
                                                                      "competitors", "committed")},
                **({"probability": data["probability"]} if data.get("probability") is not None else {}))
        except ConcurrentUpdateError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The opportunity has been changed."))
            return redirect("sales:opportunity", pk)
    return render(request, "sales/opportunities/form.html", {"form": form, "opportunity": opportunity},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def opportunity_won(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    opportunity = _get(user, pk)
    version = request.POST.get("version", "")
    try:
        services.opportunity_win(actor=user, opportunity=opportunity,
                                 expected_version=int(version) if version.isdigit() else None)
    except (ConcurrentUpdateError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Won: %(name)s.") % {"name": opportunity.name})
    return redirect("sales:opportunity", pk)


@login_required
@require_POST
def opportunity_lost(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    opportunity = _get(user, pk)
    form = LoseForm(request.POST)
    if form.is_valid():
        try:
            services.opportunity_lose(actor=user, opportunity=opportunity, reason=form.cleaned_data["reason"],
                                      note=form.cleaned_data["note"],
                                      expected_version=form.cleaned_data.get("version"))
        except (ConcurrentUpdateError, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Lost: %(name)s.") % {"name": opportunity.name})
            return redirect("sales:opportunity", pk)
    else:
        messages.error(request, _("Say why the deal was lost."))
    return redirect(reverse("sales:opportunity", args=[pk]) + "#lose")


@login_required
def forecast_page(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    _viewer(user)
    branches = forecasting.branch_choices(user=user)
    form = ForecastFilterForm(request.GET or None, staff=staff_list(user=user), branches=branches)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    owner, branch = data.get("owner"), data.get("branch")
    result = forecasting.forecast(user=user, start=data.get("start"), months=data.get("months") or 6,
                                  owner_id=owner.pk if owner else None, branch_id=branch.pk if branch else None,
                                  pipeline=data.get("pipeline"))
    peak = max([row.amount for row in result.months] + [1])
    funnel_peak = max([step.reached for step in result.funnel] + [1])
    return render(request, "sales/opportunities/forecast.html", {
        "form": form, "forecast": result, "peak": peak, "funnel_peak": funnel_peak, "total": result.total})
