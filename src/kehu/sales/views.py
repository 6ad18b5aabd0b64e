"""Lead pages: list (filters, search, the pool), create with the duplicate warning and "attach to this one",
detail with timeline, status, contacts, claim and assignment. Thin: reads through ``selectors``, writes through
``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.pagination import capped_page
from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import selectors, services
from .forms import AssignForm, ContactForm, HandOverForm, LeadEditForm, LeadFilterForm, LeadForm, StatusForm
from .models import TRANSITIONS, Lead, LeadStatus
from .timeline import event_line


class AuthenticatedRequest(HttpRequest):
    user: User


def _get(user: User, pk: int) -> Lead:
    try:
        return selectors.lead_get(user=user, pk=pk)
    except Lead.DoesNotExist:
        raise Http404(_("No such lead.")) from None


def _errors_into(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _list(request: AuthenticatedRequest, *, pool: bool) -> HttpResponse:
    user = request.user
    if not user.has_perm("sales.view_lead"):
        raise PermissionDenied
    form = LeadFilterForm(request.GET or None, staff=staff_list(user=user))
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    owner = data.get("owner")
    leads = selectors.lead_list(user=user, q=data.get("q") or "", status=data.get("status") or "",
                                source=data.get("source") or "", owner_id=owner.pk if owner else None, pool=pool)
    page = capped_page(leads, request.GET.get("page"))
    filtered = any(data.get(name) for name in ("q", "status", "source", "owner"))
    return render(request, "sales/lead_list.html", {
        "form": form, "page": page, "pool": pool, "is_filtered": filtered,
        "may_create": selectors.may_work_leads(user) and user.has_perm("sales.add_lead"),
        "may_claim": selectors.may_work_leads(user),
        "may_hand_over": selectors.may_assign(user) and user.has_perm("customers.transfer_customer")})


@login_required
def lead_list(request: AuthenticatedRequest) -> HttpResponse:
    return _list(request, pool=False)


@login_required
def lead_pool(request: AuthenticatedRequest) -> HttpResponse:
    return _list(request, pool=True)


@login_required
def lead_create(request: AuthenticatedRequest) -> HttpResponse:
    """The lead form. A prospect already known (customers, open leads) is shown with "attach to this one"; a name and
    company alone may be created anyway, and managers may create over any match."""
    user = request.user
    if not (selectors.may_work_leads(user) and user.has_perm("sales.add_lead")):
        raise PermissionDenied(_("You may not create leads."))
    form = LeadForm(request.POST or None)
    matches: list[selectors.LeadMatch] = []
    may_force = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        product_ids = [product.pk for product in data["products"]]
        attach = request.POST.get("attach", "")
        try:
            if attach:
                kind, _sep, pk = attach.partition(":")
                found = selectors.lead_matches(user=user, name=data["name"], mobile=data["mobile"],
                                               email=data["email"], credit_code=data["credit_code"],
                                               company=data["company"])
                target = services.lead_attach(
                    actor=user, kind=kind, pk=int(pk) if pk.isdigit() else 0, matches=found, source=data["source"],
                    campaign=data["campaign"], products=product_ids, notes=data["notes"], email=data["email"],
                    company=data["company"], name=data["name"])
                messages.success(request, _("The prospect has been added to the existing record."))
                if isinstance(target, Customer):
                    return redirect("customers:detail", target.pk)
                return redirect("sales:lead", target.pk)
            force = request.POST.get("force", "")
            lead = services.lead_create(
                actor=user, kind=data["kind"], name=data["name"], mobile=data["mobile"], email=data["email"],
                company=data["company"], credit_code=data["credit_code"], source=data["source"],
                campaign=data["campaign"], products=product_ids, money=data["money"], authority=data["authority"],
                need=data["need"], man_notes=data["man_notes"], timing=data["timing"], notes=data["notes"],
                duplicates=force if force in ("identifiers", "none") else "all")
        except services.LeadConflictError as error:
            form.add_error(None, str(error))
        except services.DuplicateLeadError as error:
            matches = error.matches
            may_force = selectors.may_assign(user) or not any(match.hard for match in matches)
        except ValidationError as error:
            _errors_into(form, error)
        except (Lead.DoesNotExist, Customer.DoesNotExist):
            raise Http404(_("No such lead.")) from None
        else:
            messages.success(request, _("The lead has been created."))
            if Lead.objects.visible_to(user).filter(pk=lead.pk).exists():
                return redirect("sales:lead", lead.pk)
            return redirect("sales:leads")
    status = 422 if form.errors else 200
    return render(request, "sales/lead_form.html", {
        "form": form, "matches": matches, "may_force": may_force,
        "force_level": "none" if selectors.may_assign(user) else "identifiers"}, status=status)


@login_required
def lead_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _get(user, pk)
    may_change = selectors.lead_may_change(user=user, lead=lead)
    events = selectors.lead_events(lead=lead)
    for row in events:
        row.line = event_line(row)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "lead": lead, "events": events, "may_change": may_change,
        "plain": selectors.lead_works(user=user, lead=lead),
        "may_claim": lead.owner_id is None and lead.is_open and selectors.may_work_leads(user),
        "may_assign": may_change and selectors.may_assign(user),
        "next_statuses": [(value, LeadStatus(value).label) for value in TRANSITIONS[lead.status]],
    }
    if may_change:
        context["status_form"] = StatusForm(initial={"version": lead.version})
        context["contact_form"] = ContactForm()
        if context["may_assign"]:
            context["assign_form"] = AssignForm(initial={"version": lead.version, "owner": lead.owner_id},
                                                staff=staff_list(user=user))
    return render(request, "sales/lead_detail.html", context)


@login_required
def lead_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _get(user, pk)
    if not selectors.lead_may_change(user=user, lead=lead):
        raise PermissionDenied(_("You may not change this lead."))
    form = LeadEditForm(request.POST) if request.method == "POST" else LeadEditForm.for_lead(lead)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        products = [product.pk for product in data.pop("products")]
        try:
            services.lead_update(actor=user, lead=lead, expected_version=version, products=products, **data)
        except ConcurrentUpdateError:
            form.add_error(None, _("Someone else changed this lead meanwhile. Reload the page and make your change "
                                   "again."))
            return render(request, "sales/lead_edit.html", {"form": form, "lead": lead}, status=409)
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The lead has been saved."))
            return redirect("sales:lead", lead.pk)
    return render(request, "sales/lead_edit.html", {"form": form, "lead": lead}, status=422 if form.errors else 200)


def _form_problems(form: Form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _back(lead: Lead) -> HttpResponse:
    return redirect(reverse("sales:lead", args=[lead.pk]))


def _refuse(request: HttpRequest, lead: Lead, error: Exception) -> HttpResponse:
    if isinstance(error, ConcurrentUpdateError):
        messages.error(request, _("Someone else changed this lead meanwhile; nothing was saved. Look again."))
    elif isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, str(error))
    return _back(lead)


@login_required
@require_POST
def lead_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _get(request.user, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problems(form))
        return _back(lead)
    try:
        services.lead_transition(actor=request.user, lead=lead, status=form.cleaned_data["status"],
                                 reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
                                 expected_version=form.cleaned_data["version"])
    except (ConcurrentUpdateError, ValidationError) as error:
        return _refuse(request, lead, error)
    messages.success(request, _("The lead's status has been changed."))
    return _back(lead)


@login_required
@require_POST
def lead_contact(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _get(request.user, pk)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problems(form))
        return _back(lead)
    data = form.cleaned_data
    try:
        services.lead_contact_log(actor=request.user, lead=lead, channel=data["channel"], summary=data["summary"],
                                  next_step=data["next_step"], next_step_due=data["next_step_due"])
    except ValidationError as error:
        return _refuse(request, lead, error)
    messages.success(request, _("The contact has been logged."))
    return _back(lead)


@login_required
@require_POST
def lead_claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _get(request.user, pk)
    try:
        services.lead_claim(actor=request.user, lead=lead)
    except services.LeadConflictError as error:
        messages.error(request, str(error))
        return redirect("sales:pool")
    messages.success(request, _("The lead is yours now."))
    return _back(lead)


@login_required
@require_POST
def lead_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _get(user, pk)
    form = AssignForm(request.POST, staff=staff_list(user=user))
    if not form.is_valid():
        messages.error(request, _form_problems(form))
        return _back(lead)
    try:
        services.lead_assign(actor=user, lead=lead, owner=form.cleaned_data["owner"],
                             expected_version=form.cleaned_data["version"])
    except (ConcurrentUpdateError, ValidationError) as error:
        return _refuse(request, lead, error)
    messages.success(request, _("The lead has been assigned."))
    return _back(lead)


@login_required
def hand_over(request: AuthenticatedRequest) -> HttpResponse:
    """A member of staff leaves: move their open leads, customers and open tasks to successors in one action, after
    a confirmation step showing how much moves; the hand-overs done are listed below."""
    user = request.user
    if not (selectors.may_assign(user) and user.has_perm("customers.transfer_customer")):
        raise PermissionDenied(_("Only managers hand over a leaving member's work."))
    leaving = selectors.staff_in_scope(user=user)
    form = HandOverForm(request.POST or None, leaving=leaving, staff=staff_list(user=user))
    counts = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "confirm" in request.POST:
            try:
                record = services.staff_hand_over(actor=user, leaving=data["leaving"], leads_to=data["leads_to"],
                                                  customers_to=data["customers_to"], tasks_to=data["tasks_to"],
                                                  reason=data["reason"])
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Handed over: %(leads)d leads, %(customers)d customers, %(tasks)d tasks.")
                                 % {"leads": len(record.lead_ids), "customers": len(record.customer_ids),
                                    "tasks": len(record.task_ids)})
                return redirect("sales:hand_over")
        else:
            counts = selectors.hand_over_counts(user=user, leaving=data["leaving"])
    return render(request, "sales/hand_over.html", {
        "form": form, "counts": counts, "history": selectors.hand_over_list(user=user)})
