"""Set-up pages for administrators: service teams and ticket categories. Thin: forms parse, ``services`` check and
write; deactivating asks for a confirmation first (a page saying what it does, then a POST)."""

from __future__ import annotations

from collections.abc import Callable
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


def _form_page(request: HttpRequest, form: Any, save: Callable[[dict[str, Any]], Any], *, obj: Any, kind: str,
               back: str, saved: str) -> HttpResponse:
    """A team's or a category's form page: on a valid POST ``save`` writes (its errors go back on the form) and the
    list follows with ``saved`` (a text with ``%(name)s``); else the form again (400 with errors)."""
    if request.method == "POST" and form.is_valid():
        try:
            written = save(form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, saved % {"name": written.name})
            return redirect(back)
    return render(request, "service/setup/form.html", {"form": form, "object": obj, "kind": kind, "back": back},
                  status=400 if form.errors else 200)


def _active_page(request: HttpRequest, obj: Any, set_active: Callable[[bool], Any], *, kind: str, back: str,
                 reactivated: str, deactivated: str, confirm: Callable[[], dict[str, Any]]) -> HttpResponse:
    """Deactivating (or reactivating) a team or a category: GET the confirmation page (``confirm`` gives what it
    says besides the object, e.g. the open tickets); POST ``set_active`` with the opposite of the current state, a
    message and back to the list."""
    activate = not obj.active
    if request.method == "POST":
        try:
            set_active(activate)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, (reactivated if activate else deactivated) % {"name": obj.name})
        return redirect(back)
    return render(request, "service/setup/confirm.html", {"object": obj, "activate": activate, "kind": kind,
                                                          "back": back, **confirm()})


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

    def save(data: dict[str, Any]) -> Any:
        return services.team_save(actor=user, team=team, name=data["name"], branch=data["branch"],
                                  lead=data["lead"], members=list(data["members"]), email=data["email"])

    return _form_page(request, form, save, obj=team, kind="team", back="service:setup_teams",
                      saved=_("Team “%(name)s” saved."))


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
    user: User = request.user  # type: ignore[assignment]
    return _active_page(
        request, team, lambda active: services.team_set_active(actor=user, team=team, active=active),
        kind="team", back="service:setup_teams", reactivated=_("Team “%(name)s” reactivated."),
        deactivated=_("Team “%(name)s” deactivated."),
        confirm=lambda: {"open_count": Ticket.objects.filter(_OPEN, team=team).count()})


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

    def save(data: dict[str, Any]) -> Any:
        return services.category_save(actor=request.user, category=category,  # type: ignore[arg-type]
                                      name=data["name"], parent=data["parent"], priority_raise=data["priority_raise"])

    return _form_page(request, form, save, obj=category, kind="category", back="service:setup_categories",
                      saved=_("Category “%(name)s” saved."))


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
    user: User = request.user  # type: ignore[assignment]
    return _active_page(
        request, category, lambda active: services.category_set_active(actor=user, category=category, active=active),
        kind="category", back="service:setup_categories", reactivated=_("Category “%(name)s” reactivated."),
        deactivated=_("Category “%(name)s” deactivated."),
        confirm=lambda: {"children": TicketCategory.objects.filter(parent=category, active=True).count()})
