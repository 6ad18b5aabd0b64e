"""Evaluation pages: the list (filters, paginated), one evaluation, evaluating a customer (computed indicators
prefilled, manual ones entered) and the templates (administrators change the thresholds). Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.pagination import capped_page
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.selectors import branch_list

from ..models import Evaluation, EvaluationTemplate
from . import selectors, services
from .forms import EvaluationFilterForm, EvaluationForm, TemplateForm


class AuthenticatedRequest(HttpRequest):
    user: User


@login_required
def evaluation_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("relations.view_evaluation"):
        raise PermissionDenied
    form = EvaluationFilterForm(request.GET or None, branches=branch_list(user=user))
    filters = form.cleaned_data if form.is_valid() else {}
    customer = None
    if filters.get("customer"):
        try:
            customer = customer_get(user=user, pk=filters["customer"])
        except Customer.DoesNotExist:
            raise Http404(_("No such customer.")) from None
    evaluations = selectors.evaluation_list(
        user=user, customer_id=customer.pk if customer else None, grade=filters.get("grade") or None,
        recommendation=filters.get("recommendation") or None, branch_id=filters.get("branch"),
        q=(filters.get("q") or "").strip() or None)
    page = capped_page(evaluations, request.GET.get("page"))
    return render(request, "relations/evaluations/list.html",
                  {"form": form, "page": page, "customer": customer, "filtered": bool(filters and any(
                      value for value in filters.values()))})


@login_required
def evaluation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        evaluation = selectors.evaluation_get(user=request.user, pk=pk)
    except Evaluation.DoesNotExist:
        raise Http404(_("No such evaluation.")) from None
    return render(request, "relations/evaluations/detail.html", {"evaluation": evaluation})


@login_required
def evaluation_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Evaluate a customer with a template (``?template=``, default the first active one)."""
    user = request.user
    try:
        customer = customer_get(user=user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not selectors.may_evaluate(user=user, customer=customer):
        raise PermissionDenied(_("You may not evaluate this customer."))
    templates = list(selectors.template_list(active_only=True))
    if not templates:
        messages.error(request, _("There is no evaluation template in use."))
        return redirect("customers:detail", customer.pk)
    wanted = request.POST.get("template") or request.GET.get("template")
    template = next((item for item in templates if str(item.pk) == wanted), templates[0])
    today = timezone.localdate()
    computed = services.evaluation_preview(customer=customer, template=template, evaluated_on=today)
    form = EvaluationForm(request.POST if request.method == "POST" else None, template=template, computed=computed,
                          initial={"evaluated_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.evaluation_create(
                actor=user, customer=customer, template=template, evaluated_on=form.cleaned_data["evaluated_on"],
                scores=form.scores(), notes=form.cleaned_data["notes"])
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The evaluation has been saved: %(total)s, grade %(grade)s.") % {
                "total": evaluation.total, "grade": evaluation.grade})
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#evaluations")
    status = 422 if form.errors else 200
    return render(request, "relations/evaluations/form.html",
                  {"form": form, "customer": customer, "template": template, "templates": templates},
                  status=status)


@login_required
def template_list(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("relations.view_evaluationtemplate"):
        raise PermissionDenied
    return render(request, "relations/evaluations/templates.html",
                  {"templates": selectors.template_list(),
                   "may_change": request.user.has_perm("relations.change_evaluationtemplate")})


@login_required
def template_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A template's name, switches, period and thresholds (administrators); indicators in the admin."""
    user = request.user
    if not user.has_perm("relations.change_evaluationtemplate"):
        raise PermissionDenied
    try:
        template = selectors.template_list().get(pk=pk)
    except EvaluationTemplate.DoesNotExist:
        raise Http404(_("No such template.")) from None
    form = TemplateForm(request.POST or None, instance=EvaluationTemplate.objects.get(pk=pk),
                        initial={"version": template.version})
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in TemplateForm.Meta.fields}
        try:
            services.template_update(actor=user, template=template, expected_version=form.cleaned_data["version"],
                                     **fields)
        except ConcurrentUpdateError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The template has been saved."))
            return redirect("relations:evaluation_templates")
    status = 422 if form.errors else 200
    return render(request, "relations/evaluations/template_form.html", {"form": form, "template": template},
                  status=status)
