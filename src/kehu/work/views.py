"""The work pages: "my work" (tasks), a task, the inbox and its e-mail settings, approvals. Thin: reads through
``selectors``, writes through ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import staff_list

from . import selectors, services
from .exceptions import RecordChangedError
from .forms import CompleteForm, DecisionForm, ReassignForm, TaskForm
from .models import Approval, Task
from .registry import notification_kinds


class AuthenticatedRequest(HttpRequest):
    user: User


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _task(request: AuthenticatedRequest, pk: int) -> Task:
    try:
        return selectors.task_get(user=request.user, pk=pk)
    except Task.DoesNotExist:
        raise Http404(_("No such task.")) from None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def my_work(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("work.view_task"):
        raise PermissionDenied
    team = selectors.user_sees_team_tasks(user)
    scope = "team" if team and request.GET.get("scope") == "team" else "mine"
    tier = request.GET.get("tier", "")[:32] or None
    work = selectors.my_work(user=user, scope=scope, tier=tier)
    return render(request, "work/my_work.html", {"work": work, "scope": scope, "team": team, "tier": tier or ""})


@login_required
def task_create(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("work.add_task"):
        raise PermissionDenied
    customer: Customer | None = None
    raw = request.GET.get("customer") or request.POST.get("customer")
    if raw:
        try:
            customer = customer_get(user=user, pk=int(raw))
        except (ValueError, OverflowError, Customer.DoesNotExist):
            raise Http404(_("No such customer.")) from None
    staff = staff_list(user=user)
    form = TaskForm(request.POST or None, staff=staff, initial={"kind": "follow_up"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(actor=user, customer=customer, title=data["title"], kind=data["kind"],
                                        due_date=data["due_date"], priority=data["priority"],
                                        owner=data["owner"], notes=data["notes"])
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The task has been created."))
            if customer is not None:
                return redirect(reverse("customers:detail", args=[customer.pk]))
            return redirect(reverse("work:task", args=[task.pk]))
    return render(request, "work/task_form.html", {"form": form, "customer": customer})


@login_required
def task_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    user = request.user
    may_change = Task.objects.visible_to(user, "change").filter(pk=task.pk).exists() and user.has_perm(
        "work.change_task")
    return render(request, "work/task_detail.html", {
        "task": task, "may_change": may_change,
        "complete_form": CompleteForm(task=task), "reassign_form": ReassignForm(staff=staff_list(user=user),
                                                                                initial={"version": task.version}),
    })


def _task_action(request: AuthenticatedRequest, pk: int, form: Any, action: Any) -> HttpResponse:
    task = _task(request, pk)
    if form.is_valid():
        try:
            action(task, form.cleaned_data)
        except RecordChangedError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect(_safe_next(request, reverse("work:my_work")))
    task = _task(request, pk)
    context: dict[str, Any] = {"task": task, "may_change": True, "complete_form": CompleteForm(task=task),
                               "reassign_form": ReassignForm(staff=staff_list(user=request.user))}
    context["complete_form" if isinstance(form, CompleteForm) else "reassign_form"] = form
    return render(request, "work/task_detail.html", context, status=422)


@login_required
@require_POST
def task_complete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def complete(task: Task, data: dict[str, Any]) -> None:
        services.task_complete(actor=request.user, task=task, outcome=data["outcome"], channel=data["channel"],
                               satisfaction=data["satisfaction"], expected_version=data["version"])
        messages.success(request, _("The task is done."))

    return _task_action(request, pk, CompleteForm(request.POST), complete)


@login_required
@require_POST
def task_reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def reassign(task: Task, data: dict[str, Any]) -> None:
        services.task_reassign(actor=request.user, task=task, owner=data["owner"],
                               expected_version=data["version"])
        messages.success(request, _("The task has been handed over."))

    return _task_action(request, pk, ReassignForm(request.POST, staff=staff_list(user=request.user)), reassign)


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.notification_list(user=request.user, unread_only=unread_only), 25).get_page(
        request.GET.get("page"))
    return render(request, "work/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def inbox_read(request: AuthenticatedRequest) -> HttpResponse:
    """Mark one notification (``id``) or all read; opening a notification's link goes through here."""
    raw = request.POST.get("id", "")
    ids = None
    if raw:
        try:
            ids = [int(raw)]
        except ValueError:
            raise Http404 from None
        if not 0 < ids[0] < 2**63:
            raise Http404
    services.notification_mark_read(user=request.user, ids=ids)
    return redirect(_safe_next(request, reverse("work:inbox")))


@login_required
def inbox_settings(request: AuthenticatedRequest) -> HttpResponse:
    from .models import NotificationSetting

    if request.method == "POST":
        chosen = [key for key in request.POST.getlist("email") if key in notification_kinds]
        services.notification_settings_save(user=request.user, by_email=chosen)
        messages.success(request, _("Your notification settings have been saved."))
        return redirect(reverse("work:inbox_settings"))
    stored = dict(NotificationSetting.objects.filter(user=request.user).values_list("kind", "by_email"))
    kinds = [(key, kind.label, stored.get(key, kind.email_by_default)) for key, kind in notification_kinds.items()]
    return render(request, "work/inbox_settings.html", {"kinds": kinds})


@login_required
def approval_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    waiting = selectors.approvals_waiting(user=user)
    mine = selectors.approval_list(user=user).filter(submitted_by=user)[:50]
    return render(request, "work/approvals.html", {"waiting": waiting, "mine": mine})


@login_required
def approval_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        approval = selectors.approval_get(user=user, pk=pk)
    except Approval.DoesNotExist:
        raise Http404(_("No such approval.")) from None
    form = DecisionForm(request.POST or None, initial={"version": approval.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.approval_decide(actor=user, approval=approval,
                                     approve=form.cleaned_data["decision"] == "approve",
                                     comment=form.cleaned_data["comment"],
                                     expected_version=form.cleaned_data["version"])
        except RecordChangedError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your decision has been recorded."))
            return redirect(reverse("work:approval", args=[approval.pk]))
    return render(request, "work/approval_detail.html", {
        "approval": approval, "form": form, "may_decide": services.approval_may_decide(user=user, approval=approval),
    }, status=422 if form.errors else 200)
