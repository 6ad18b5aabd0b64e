"""Set-up pages for administrators: service teams and ticket categories. Thin: forms parse, ``services`` check and
write; deactivating asks for a confirmation first (a page saying what it does, then a POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kehu.org.models import Branch, User
from kehu.org.selectors import staff_list
from kehu.service.models import ServiceTeam, Ticket, TicketCategory
from kehu.service.models.tickets import OPEN_STATUSES

from . import services
from .forms import CategoryForm, TeamForm

_OPEN = Q(status__in=[str(status) for status in OPEN_STATUSES])


def _apply_errors(form: Any, error: ValidationError) -> None:
    for field, texts in getattr(error, "message_dict", {"__all__": error.messages}).items():
        form.add_error(field if field in form.fields else None, texts)


# --- teams ---------------------------------------------------------------------------------------------------------
@login_required
@permission_required("service.change_serviceteam", raise_exception=True)
def team_list(request: HttpRequest) -> HttpResponse:
    open_counts = dict(Ticket.objects.filter(_OPEN, team__isnull=False).values("team_id")
                       .annotate(n=Count("id")).values_list("team_id", "n"))
    teams = list(ServiceTeam.objects.select_related("branch", "lead").annotate(member_count=Count("members"))
                 .order_by("-active", "branch__code", "name"))
    for team in teams:
        team.open_count = open_counts.get(team.pk, 0)  # type: ignore[attr-defined]
    return render(request, "service/setup/teams.html", {"teams": teams})


def _team_form(request: HttpRequest, team: ServiceTeam | None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {}
    if team is not None:
        initial = {"name": team.name, "branch": team.branch, "lead": team.lead, "email": team.email,
                   "members": list(team.members.all())}
    form = TeamForm(request.POST or None, initial=initial, branches=Branch.objects.filter(is_active=True)
                    .order_by("path"), staff=staff_list())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.team_save(actor=user, team=team, name=data["name"], branch=data["branch"],
                                       lead=data["lead"], members=list(data["members"]), email=data["email"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": saved.name})
            return redirect("service:setup_teams")
    return render(request, "service/setup/form.html", {"form": form, "object": team, "kind": "team",
                                                       "back": "service:setup_teams"},
                  status=400 if form.errors else 200)


@login_required
@permission_required("service.add_serviceteam", raise_exception=True)
def team_create(request: HttpRequest) -> HttpResponse:
    return _team_form(request, None)


@login_required
@permission_required("service.change_serviceteam", raise_exception=True)
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_form(request, get_object_or_404(ServiceTeam, pk=pk))


@login_required
@permission_required("service.change_serviceteam", raise_exception=True)
def team_active(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (what deactivating does, how many open tickets the team has); POST: done."""
    team = get_object_or_404(ServiceTeam, pk=pk)
    activate = not team.active
    if request.method == "POST":
        try:
            services.team_set_active(actor=request.user, team=team, active=activate)  # type: ignore[arg-type]
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, (_("Team “%(name)s” reactivated.") if activate
                                       else _("Team “%(name)s” deactivated.")) % {"name": team.name})
        return redirect("service:setup_teams")
    open_count = Ticket.objects.filter(_OPEN, team=team).count()
    return render(request, "service/setup/confirm.html", {"object": team, "activate": activate, "kind": "team",
                                                          "open_count": open_count, "back": "service:setup_teams"})


# --- categories ----------------------------------------------------------------------------------------------------
@login_required
@permission_required("service.change_ticketcategory", raise_exception=True)
def category_list(request: HttpRequest) -> HttpResponse:
    categories = list(TicketCategory.objects.select_related("parent").order_by("-active", "name"))
    return render(request, "service/setup/categories.html", {"categories": categories})


def _category_form(request: HttpRequest, category: TicketCategory | None) -> HttpResponse:
    parents = TicketCategory.objects.filter(active=True).order_by("name")
    if category is not None:
        parents = parents.exclude(pk=category.pk)
    initial = ({"name": category.name, "parent": category.parent, "priority_raise": category.priority_raise}
               if category is not None else {})
    form = CategoryForm(request.POST or None, initial=initial, parents=parents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.category_save(actor=request.user, category=category,  # type: ignore[arg-type]
                                           name=data["name"], parent=data["parent"],
                                           priority_raise=data["priority_raise"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": saved.name})
            return redirect("service:setup_categories")
    return render(request, "service/setup/form.html", {"form": form, "object": category, "kind": "category",
                                                       "back": "service:setup_categories"},
                  status=400 if form.errors else 200)


@login_required
@permission_required("service.add_ticketcategory", raise_exception=True)
def category_create(request: HttpRequest) -> HttpResponse:
    return _category_form(request, None)


@login_required
@permission_required("service.change_ticketcategory", raise_exception=True)
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _category_form(request, get_object_or_404(TicketCategory, pk=pk))


@login_required
@permission_required("service.change_ticketcategory", raise_exception=True)
def category_active(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (subcategories go with it; tickets keep their category); POST: done."""
    category = get_object_or_404(TicketCategory, pk=pk)
    activate = not category.active
    if request.method == "POST":
        try:
            services.category_set_active(actor=request.user, category=category,  # type: ignore[arg-type]
                                         active=activate)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, (_("Category “%(name)s” reactivated.") if activate
                                       else _("Category “%(name)s” deactivated.")) % {"name": category.name})
        return redirect("service:setup_categories")
    children = TicketCategory.objects.filter(parent=category, active=True).count()
    return render(request, "service/setup/confirm.html", {"object": category, "activate": activate,
                                                          "kind": "category", "children": children,
                                                          "back": "service:setup_categories"})
