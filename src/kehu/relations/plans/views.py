"""Pages of maintenance plans, events and gifts. Thin: reads through ``selectors``, writes through ``services``;
another branch's ids answer 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list
from kehu.work.exceptions import RecordChangedError
from kehu.work.forms import DecisionForm
from kehu.work.models import Approval, ApprovalDecision
from kehu.work.services import approval_decide, approval_may_decide

from ..models import Event, MaintenancePlan, PlanAction, PlanStatus
from . import selectors, services
from .forms import (
    ActionForm,
    CostForm,
    EventForm,
    GiftForm,
    InviteForm,
    PlanFilterForm,
    PlanForm,
    SubmitForm,
    SummaryForm,
    split_codes,
)

PAGE_SIZE = 25


class AuthenticatedRequest(HttpRequest):
    user: User


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _plan(request: AuthenticatedRequest, pk: int) -> MaintenancePlan:
    try:
        return selectors.plan_get(user=request.user, pk=pk)
    except MaintenancePlan.DoesNotExist:
        raise Http404(_("No such plan.")) from None


def _event(request: AuthenticatedRequest, pk: int) -> Event:
    try:
        return selectors.event_get(user=request.user, pk=pk)
    except Event.DoesNotExist:
        raise Http404(_("No such event.")) from None


def _run(form: Any, call: Callable[[], Any]) -> tuple[Any, int]:
    """Call a service; its refusals become form errors (422, or 409 for a stale version); out of scope → 404."""
    try:
        return call(), 200
    except RecordChangedError as error:
        form.add_error(None, str(error))
        return None, 409
    except ValidationError as error:
        _form_errors(form, error)
        return None, 422
    except (MaintenancePlan.DoesNotExist, Event.DoesNotExist, Customer.DoesNotExist, PlanAction.DoesNotExist):
        raise Http404 from None


# --- plans ----------------------------------------------------------------------------------------------------------


@login_required
def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("relations.view_maintenanceplan"):
        raise PermissionDenied
    staff = staff_list(user=user)
    form = PlanFilterForm(request.GET or None, staff=staff)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"search": data["q"].strip(), "status": data["status"],
                   "owner_id": data["owner"].pk if data["owner"] else None, "branch_id": data["branch"]}
    elif request.GET:
        return render(request, "relations/plans/plan_list.html", {"form": form, "page": None}, status=400)
    page = Paginator(selectors.plan_list(user=user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "relations/plans/plan_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "filtered": any(filters.values()),
        "may_create": user.has_perm("relations.add_maintenanceplan")})


def _plan_form_page(request: AuthenticatedRequest, plan: MaintenancePlan | None) -> HttpResponse:
    user = request.user
    customers = selectors.customers_for_plans(user=user)
    initial: dict[str, Any] = {}
    if plan is not None:
        initial = {"title": plan.title, "objective": plan.objective, "measures": plan.measures,
                   "owner": plan.owner_id, "budget": plan.budget, "period_start": plan.period_start,
                   "period_end": plan.period_end, "version": plan.version,
                   "customer_codes": " ".join(link.customer.code for link in plan.plan_customers.all())}
    elif request.GET.get("customer", "").isdigit():
        customer = customers.filter(pk=int(request.GET["customer"][:19])).first()
        if customer is not None:
            initial["customer_codes"] = customer.code
    form = PlanForm(request.POST or None, staff=staff_list(user=user), customers=customers, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"title": data["title"], "objective": data["objective"], "measures": data["measures"],
                  "budget": data["budget"], "period_start": data["period_start"], "period_end": data["period_end"],
                  "owner": data["owner"]}
        if plan is None:
            saved, status = _run(form, lambda: services.plan_create(actor=user, customers=data["customer_codes"],
                                                                    **fields))
        else:
            saved, status = _run(form, lambda: services.plan_update(
                actor=user, plan=plan, expected_version=data["version"], customers=data["customer_codes"],
                **{**fields, "owner": data["owner"] or plan.owner}))
        if saved is not None:
            messages.success(request, _("The plan has been saved."))
            return redirect(reverse("relations:plan", args=[saved.pk]))
    elif form.errors:
        status = 422
    return render(request, "relations/plans/plan_form.html", {"form": form, "plan": plan}, status=status)


@login_required
def plan_create(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("relations.add_maintenanceplan"):
        raise PermissionDenied
    return _plan_form_page(request, None)


@login_required
def plan_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if not selectors.may_change_plan(user=request.user, plan=plan):
        raise PermissionDenied
    return _plan_form_page(request, plan)


def _plan_context(request: AuthenticatedRequest, plan: MaintenancePlan, **forms: Any) -> dict[str, Any]:
    user = request.user
    may_change = selectors.may_change_plan(user=user, plan=plan)
    approval = plan.approval
    decisions = (list(ApprovalDecision.objects.filter(approval=approval).select_related("actor"))
                 if approval is not None else [])
    may_decide = approval is not None and approval_may_decide(user=user, approval=approval)
    return {
        "plan": plan, "budget": selectors.plan_budget(plan=plan), "may_change": may_change,
        "customers": [link.customer for link in plan.plan_customers.all()], "actions": list(plan.actions.all()),
        "events": selectors.event_list(user=user, plan_id=plan.pk)[:20],
        "gifts": selectors.gift_list(user=user, plan_id=plan.pk)[:20], "decisions": decisions,
        "may_decide": may_decide, "editable": may_change and plan.is_editable,
        "running": may_change and plan.status in services.RUNNING,
        "action_form": forms.get("action_form") or ActionForm(plan=plan, staff=staff_list(user=user)),
        "submit_form": forms.get("submit_form") or SubmitForm(initial={"version": plan.version}),
        "summary_form": forms.get("summary_form") or SummaryForm(initial={"version": plan.version}),
        "decision_form": forms.get("decision_form") or DecisionForm(
            initial={"version": approval.version if approval else None}),
    }


@login_required
def plan_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    return render(request, "relations/plans/plan_detail.html", _plan_context(request, plan))


def _plan_post(request: AuthenticatedRequest, pk: int, name: str, form: Any,
               call: Callable[[MaintenancePlan, dict[str, Any]], Any], done: str) -> HttpResponse:
    plan = _plan(request, pk)
    status = 422
    if form.is_valid():
        result, status = _run(form, lambda: call(plan, form.cleaned_data))
        if status == 200:
            messages.success(request, done)
            return redirect(reverse("relations:plan", args=[plan.pk]) + ("#actions" if name == "action_form" else ""))
    plan = _plan(request, pk)
    return render(request, "relations/plans/plan_detail.html", _plan_context(request, plan, **{name: form}),
                  status=status)


@login_required
@require_POST
def plan_action_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _plan(request, pk)
    form = ActionForm(request.POST, plan=plan, staff=staff_list(user=user))
    return _plan_post(request, pk, "action_form", form, lambda plan, data: services.plan_action_add(
        actor=user, plan=plan, title=data["title"], due_date=data["due_date"], cost=data["cost"],
        customer=data["customer"], owner=data["owner"]), _("The action has been added."))


@login_required
@require_POST
def plan_action_remove(request: AuthenticatedRequest, pk: int, action_pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    action = plan.actions.filter(pk=action_pk).first()
    if action is None:
        raise Http404
    try:
        services.plan_action_remove(actor=request.user, action=action)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("relations:plan", args=[plan.pk]) + "#actions")


@login_required
@require_POST
def plan_action_cost(request: AuthenticatedRequest, pk: int, action_pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    action = plan.actions.filter(pk=action_pk).first()
    if action is None:
        raise Http404
    form = CostForm(request.POST)
    if form.is_valid():
        try:
            services.plan_action_record_cost(actor=request.user, action=action,
                                             recorded_cost=form.cleaned_data["recorded_cost"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The cost has been recorded."))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect(reverse("relations:plan", args=[plan.pk]) + "#actions")


@login_required
@require_POST
def plan_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    return _plan_post(request, pk, "submit_form", SubmitForm(request.POST), lambda plan, data: services.plan_submit(
        actor=user, plan=plan, expected_version=data["version"], comment=data["comment"]),
        _("The plan has been submitted for approval."))


@login_required
@require_POST
def plan_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    return _plan_post(request, pk, "submit_form", SubmitForm(request.POST), lambda plan, data: services.plan_start(
        actor=user, plan=plan, expected_version=data["version"]), _("The plan is under way."))


@login_required
@require_POST
def plan_summarise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    return _plan_post(request, pk, "summary_form", SummaryForm(request.POST),
                      lambda plan, data: services.plan_summarise(
                          actor=user, plan=plan, results=data["results"], cost_spent=data["cost_spent"],
                          next_plan=data["next_plan"], expected_version=data["version"]),
                      _("The plan has been summarised."))


@login_required
@require_POST
def plan_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Approve or reject the plan's waiting approval from the plan page (the same service as the approvals page)."""
    user = request.user

    def decide(plan: MaintenancePlan, data: dict[str, Any]) -> Any:
        if plan.approval is None or plan.status != PlanStatus.SUBMITTED:
            raise ValidationError(_("This plan is not waiting for a decision."))
        try:
            return approval_decide(actor=user, approval=plan.approval, approve=data["decision"] == "approve",
                                   comment=data["comment"], expected_version=data["version"])
        except Approval.DoesNotExist:
            raise Http404 from None

    return _plan_post(request, pk, "decision_form", DecisionForm(request.POST), decide,
                      _("Your decision has been recorded."))


# --- events ---------------------------------------------------------------------------------------------------------


def _event_plans(user: User) -> Any:
    return (MaintenancePlan.objects.visible_to(user)
            .exclude(status__in=[PlanStatus.SUMMARISED, PlanStatus.REJECTED]).order_by("-created_at"))


@login_required
def event_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("relations.view_event"):
        raise PermissionDenied
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.event_list(user=user, search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "relations/plans/event_list.html", {
        "page": page, "q": search, "may_create": user.has_perm("relations.add_event")})


def _event_form_page(request: AuthenticatedRequest, event: Event | None) -> HttpResponse:
    user = request.user
    initial: dict[str, Any] = {}
    if event is not None:
        initial = {"name": event.name, "kind": event.kind, "date": event.date, "place": event.place,
                   "cost": event.cost, "plan": event.plan_id, "notes": event.notes, "version": event.version}
    form = EventForm(request.POST or None, plans=_event_plans(user), initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"name": data["name"], "kind": data["kind"], "date": data["date"], "place": data["place"],
                  "cost": data["cost"], "notes": data["notes"]}
        if event is None:
            saved, status = _run(form, lambda: services.event_create(actor=user, plan=data["plan"], **fields))
        else:
            saved, status = _run(form, lambda: services.event_update(actor=user, event=event,
                                                                     expected_version=data["version"], **fields))
        if saved is not None:
            messages.success(request, _("The event has been saved."))
            return redirect(reverse("relations:event", args=[saved.pk]))
    elif form.errors:
        status = 422
    return render(request, "relations/plans/event_form.html", {"form": form, "event": event}, status=status)


@login_required
def event_create(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("relations.add_event"):
        raise PermissionDenied
    return _event_form_page(request, None)


@login_required
def event_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    if not selectors.may_change_event(user=request.user, event=event):
        raise PermissionDenied
    return _event_form_page(request, event)


@login_required
def event_detail(request: AuthenticatedRequest, pk: int, invite_form: InviteForm | None = None,
                 status: int = 200) -> HttpResponse:
    event = _event(request, pk)
    user = request.user
    page = Paginator(selectors.invitee_list(user=user, event=event), 100).get_page(request.GET.get("page"))
    return render(request, "relations/plans/event_detail.html", {
        "event": event, "page": page, "may_change": selectors.may_change_event(user=user, event=event),
        "invite_form": invite_form or InviteForm()}, status=status)


@login_required
@require_POST
def event_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Invite customers by their codes, or every customer of a management class (optionally only one's own)."""
    event = _event(request, pk)
    user = request.user
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        visible = Customer.objects.visible_to(user)
        codes = split_codes(data["customer_codes"])
        if codes:
            chosen = visible.filter(code__in=codes)
            unknown = sorted(set(codes) - set(chosen.values_list("code", flat=True)))
            if unknown:
                form.add_error("customer_codes", _("Unknown customer codes: %(codes)s") % {
                    "codes": ", ".join(unknown[:10])})
        elif data["management_class"]:
            chosen = visible.filter(management_class=data["management_class"])
        else:
            form.add_error(None, _("Give customer codes or choose a class."))
        if data["only_mine"] and not form.errors:
            chosen = chosen.filter(owner=user)
        if not form.errors:
            count, status = _run(form, lambda: services.event_invite(actor=user, event=event, customers=chosen))
            if status == 200:
                messages.success(request, _("%(count)d customers invited.") % {"count": count})
                return redirect(reverse("relations:event", args=[event.pk]))
    return event_detail(request, pk, invite_form=form, status=422)


@login_required
@require_POST
def event_attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark the ticked invitees as attended (each gets a contact record), undo that, or record their answer."""
    event = _event(request, pk)
    user = request.user
    ids = [int(value) for value in request.POST.getlist("customer") if value.isdigit() and len(value) < 19]
    answer = request.POST.get("answer", "")
    try:
        if answer == "attended":
            count = services.event_mark_attendance(actor=user, event=event, customer_ids=ids)
            messages.success(request, _("%(count)d attendances recorded.") % {"count": count})
        elif answer == "unattended":
            count = services.event_undo_attendance(actor=user, event=event, customer_ids=ids)
            messages.success(request, _("%(count)d attendances undone.") % {"count": count})
        else:
            count = services.invitation_answer(actor=user, event=event, customer_ids=ids, status=answer)
            messages.success(request, _("%(count)d invitations updated.") % {"count": count})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("relations:event", args=[event.pk]) + "#invitees")


@login_required
def event_invitees_csv(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The invitees as CSV (to send invitations, to check people in): cells a spreadsheet would run as a formula
    (a customer named ``=1+1``) are neutralised."""
    import csv

    from kehu.core.spreadsheet import csv_safe

    event = _event(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-invitees.csv"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read UTF-8
    writer = csv.writer(response)
    writer.writerow([_("Customer code"), _("Name"), _("Invitation"), _("Attended")])
    for invitee in selectors.invitee_list(user=request.user, event=event).iterator(chunk_size=2000):
        writer.writerow([csv_safe(invitee.customer.code), csv_safe(invitee.customer.name),
                         invitee.get_status_display(), _("Yes") if invitee.attended else _("No")])
    return response


# --- gifts ----------------------------------------------------------------------------------------------------------


def gift_plans(user: User, customer: Customer) -> Any:
    return (MaintenancePlan.objects.visible_to(user).filter(plan_customers__customer=customer,
                                                            status__in=services.RUNNING).order_by("-created_at"))


@login_required
def gift_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The gift form of the 360 page's "Plans and events" panel (also a page of its own when it has errors)."""
    user = request.user
    try:
        customer = customer_get(user=user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not selectors.customers_for_plans(user=user).filter(pk=customer.pk).exists() or not user.has_perm(
            "relations.add_gift"):
        raise PermissionDenied(_("You may not give gifts to this customer."))
    form = GiftForm(request.POST or None, plans=gift_plans(user, customer))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            gift, status = _run(form, lambda: services.gift_give(
                actor=user, customer=customer, description=data["description"], cost=data["cost"],
                given_on=data["given_on"], occasion=data["occasion"], plan=data["plan"]))
            if gift is not None:
                messages.success(request, _("The gift has been recorded."))
                return redirect(reverse("customers:detail", args=[customer.pk]) + "#plans_events")
    return render(request, "relations/plans/gift_form.html", {"form": form, "customer": customer}, status=status)
