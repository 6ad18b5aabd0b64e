"""Ticket pages: list (filters, search, paginated), new ticket (``?customer=ID``), detail (replies and internal
notes apart, the allowed status moves, the registered sections, merge, compensation), edit and assign. Thin: reads
through ``selectors``, writes through ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.pagination import capped_page
from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import hooks, selectors, services, workflow
from .forms import (
    CompensationForm,
    MergeForm,
    MessageForm,
    TicketEditForm,
    TicketFilterForm,
    TicketForm,
    TransitionForm,
)
from .models import Compensation, Ticket, TicketMessage, TicketStatus
from .recovery.services import compensation_request


class AuthenticatedRequest(HttpRequest):
    user: User


def _get(user: User, pk: int) -> Ticket:
    try:
        return selectors.ticket_get(user=user, pk=pk)
    except Ticket.DoesNotExist:
        raise Http404(_("No such ticket.")) from None


def _errors_into(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _may_change(user: User, ticket: Ticket) -> bool:
    return user.has_perm("service.change_ticket") and selectors.ticket_may_change(user=user, ticket=ticket)


@login_required
def ticket_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("service.view_ticket"):
        raise PermissionDenied
    form = TicketFilterForm(request.GET or None, teams=selectors.team_list(user=user))
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    team = data.get("team")
    tickets = selectors.ticket_list(user=user, q=data.get("q") or "", status=data.get("status") or "",
                                    type=data.get("type") or "", team_id=team.pk if team else None,
                                    mine=bool(data.get("mine")), open_only=bool(data.get("open")))
    page = capped_page(tickets, request.GET.get("page"))
    filtered = any(data.get(name) for name in ("q", "status", "type", "team", "mine", "open"))
    return render(request, "service/tickets/list.html", {
        "form": form, "page": page, "is_filtered": filtered, "may_create": user.has_perm("service.add_ticket")})


@login_required
def ticket_create(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("service.add_ticket"):
        raise PermissionDenied
    customer = None
    raw = request.POST.get("customer") or request.GET.get("customer") or ""
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise Http404(_("No such customer."))
        customer = Customer.objects.visible_to(user).select_related("branch").filter(pk=int(raw)).first()
        if customer is None:
            raise Http404(_("No such customer."))
    teams, categories = selectors.team_list(user=user), selectors.category_list()
    form = TicketForm(request.POST or None, teams=teams, categories=categories,
                      initial={"customer": customer.pk if customer else None,
                               "caller_phone": request.GET.get("caller_phone", "")[:20].replace("\x00", ""),
                               "channel": "phone" if request.GET.get("caller_phone") else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                actor=user, type=data["type"], channel=data["channel"], subject=data["subject"],
                description=data["description"], customer=customer, caller_name=data["caller_name"],
                caller_phone=data["caller_phone"], caller_email=data["caller_email"], category=data["category"],
                team=data["team"], branch=user.branches.first() if customer is None and data["team"] is None
                else None)
        except ValidationError as error:
            _errors_into(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Ticket %(number)s recorded.") % {"number": ticket.number})
            return redirect("service:ticket", pk=ticket.pk)
    return render(request, "service/tickets/form.html", {"form": form, "customer": customer})


@login_required
def ticket_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = _get(user, pk)
    may_change = _may_change(user, ticket)
    moves = selectors.ticket_next_statuses(user=user, ticket=ticket) if may_change else []
    sections = []
    for section in hooks.ticket_section_list():
        data = section.loader(ticket=ticket, user=user)
        if data is not None:
            sections.append({"section": section, "data": data})
    all_messages = list(selectors.ticket_messages(ticket=ticket))
    return render(request, "service/tickets/detail.html", {
        "ticket": ticket, "may_change": may_change,
        "moves": [{"to": to, "label": TicketStatus(to).label, "confirm": to in workflow.CONFIRM} for to in moves],
        "conversation": [m for m in all_messages if m.kind != TicketMessage.Kind.NOTE],
        "notes": [m for m in all_messages if m.kind == TicketMessage.Kind.NOTE],
        "history": list(selectors.ticket_history(ticket=ticket)), "sections": sections,
        "message_form": MessageForm(), "merge_form": MergeForm(), "compensation_form": CompensationForm(),
        "may_merge": may_change and user.has_perm("service.merge_ticket") and ticket.status != TicketStatus.MERGED,
        "may_compensate": may_change and user.has_perm("service.add_compensation"),
        "compensations": list(Compensation.objects.filter(ticket=ticket).order_by("-created_at")[:50])
        if user.has_perm("service.view_compensation") else [],
        "merged_tickets": list(ticket.merged_tickets.only("pk", "subject")[:50])})


@login_required
def ticket_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = _get(user, pk)
    if not _may_change(user, ticket):
        raise PermissionDenied
    kwargs = {"teams": selectors.team_list(user=user), "categories": selectors.category_list(),
              "staff": staff_list(user=user).order_by("username")}
    initial = {"subject": ticket.subject, "category": ticket.category, "priority": ticket.priority,
               "team": ticket.team, "assignee": ticket.assignee, "version": ticket.version}
    form = TicketEditForm(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.ticket_update(actor=user, ticket=ticket, expected_version=version, **data)
        except ValidationError as error:
            _errors_into(form, error)
        except (ConcurrentUpdateError, services.TransitionRefused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Ticket %(number)s saved.") % {"number": ticket.number})
            return redirect("service:ticket", pk=ticket.pk)
    return render(request, "service/tickets/edit.html", {"form": form, "ticket": ticket}, status=200
                  if request.method == "GET" or form.is_valid() else 422)


def _refused(request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
    messages.error(request, message)
    response = redirect("service:ticket", pk=ticket.pk)
    response.status_code = 303
    return response


@login_required
@require_POST
def ticket_transition(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = _get(user, pk)
    if not _may_change(user, ticket):
        raise PermissionDenied
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered moves."))
        return render(request, "service/tickets/refused.html", {"ticket": ticket, "reason": form.errors},
                      status=400)
    try:
        services.ticket_transition(actor=user, ticket=ticket, to=form.cleaned_data["to"],
                                   comment=form.cleaned_data["comment"],
                                   expected_version=form.cleaned_data["version"])
    except (services.TransitionRefused, ConcurrentUpdateError) as error:
        return render(request, "service/tickets/refused.html", {"ticket": ticket, "reason": str(error)},
                      status=409)
    messages.success(request, _("Ticket %(number)s is now “%(status)s”.") % {
        "number": ticket.number, "status": TicketStatus(form.cleaned_data["to"]).label})
    return redirect("service:ticket", pk=ticket.pk)


@login_required
@require_POST
def ticket_message(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = _get(user, pk)
    if not _may_change(user, ticket) or not user.has_perm("service.add_ticketmessage"):
        raise PermissionDenied
    form = MessageForm(request.POST)
    if ticket.status == TicketStatus.MERGED:
        return _refused(request, ticket, _("This ticket was merged into another one: work on that ticket."))
    if not form.is_valid():
        return _refused(request, ticket, _("The message is empty."))
    services.ticket_message_add(ticket=ticket, kind=form.cleaned_data["kind"], body=form.cleaned_data["body"],
                                author=user)
    return redirect("service:ticket", pk=ticket.pk)


@login_required
@require_POST
def ticket_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = _get(user, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, _("Give the number of the duplicate ticket."))
    raw = form.cleaned_data["duplicate"].strip().lstrip("Tt")
    duplicate = None
    if raw.isdigit() and len(raw) <= 18:
        duplicate = Ticket.objects.visible_to(user).filter(pk=int(raw)).first()
    if duplicate is None:
        return _refused(request, ticket, _("No such ticket."))
    try:
        services.ticket_merge(actor=user, keep=ticket, merge=duplicate)
    except ValidationError as error:
        return _refused(request, ticket, " ".join(error.messages))
    except services.TransitionRefused as error:
        return _refused(request, ticket, str(error))
    messages.success(request, _("%(number)s merged into this ticket.") % {"number": duplicate.number})
    return redirect("service:ticket", pk=ticket.pk)


@login_required
@require_POST
def ticket_compensation(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = _get(user, pk)
    form = CompensationForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, " ".join(str(e) for errors in form.errors.values() for e in errors))
    try:
        compensation_request(actor=user, ticket=ticket, kind=form.cleaned_data["kind"],
                             cost=form.cleaned_data["cost"], description=form.cleaned_data["description"])
    except ValidationError as error:
        return _refused(request, ticket, " ".join(error.messages))
    messages.success(request, _("Compensation submitted for approval."))
    return redirect("service:ticket", pk=ticket.pk)
