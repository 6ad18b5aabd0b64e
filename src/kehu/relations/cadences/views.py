"""Cadence pages: the rules (administrators: list, add, edit, delete after confirmation) and the coverage report
(scoped: account managers their own customers, branch managers their branches, administrators and auditors all).
Thin: reads through ``selectors``, writes through ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.work.exceptions import RecordChangedError

from ..models import CadenceRule
from ..views import AuthenticatedRequest
from . import selectors, services
from .forms import CadenceRuleForm, CoverageForm

RULES_PER_PAGE = 50
OWNERS_PER_PAGE = 50


def _require(user: object, permission: str) -> None:
    if not user.has_perm(permission):  # type: ignore[attr-defined]
        raise PermissionDenied(_("You do not have permission to manage cadence rules."))


def _rule(pk: int) -> CadenceRule:
    try:
        return CadenceRule.objects.get(pk=pk)
    except CadenceRule.DoesNotExist:
        raise Http404(_("No such cadence rule.")) from None


@login_required
def rule_list(request: AuthenticatedRequest) -> HttpResponse:
    _require(request.user, "relations.change_cadencerule")
    page = Paginator(selectors.cadence_rule_list(), RULES_PER_PAGE).get_page(request.GET.get("page"))
    from .forms import primary_tier_choices

    tiers = dict(primary_tier_choices())
    for rule in page.object_list:
        rule.tier_display = tiers.get(rule.tier, rule.tier)  # type: ignore[attr-defined]
    return render(request, "relations/cadence_rules.html", {"page": page, "tiers": tiers})


@login_required
def rule_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    _require(request.user, "relations.change_cadencerule" if pk else "relations.add_cadencerule")
    rule = _rule(pk) if pk else CadenceRule()
    form = CadenceRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.RULE_FIELDS}
        try:
            if pk:
                services.cadence_rule_update(actor=request.user, rule=rule,
                                             expected_version=form.cleaned_data.get("version"), **data)
            else:
                services.cadence_rule_create(actor=request.user, **data)
        except RecordChangedError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The cadence rule has been saved."))
            return redirect("relations:cadence_rules")
    status = 422 if form.errors else 200
    return render(request, "relations/cadence_rule_form.html", {"form": form, "rule": rule}, status=status)


@login_required
def rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (the rule's open tasks are cancelled)."""
    _require(request.user, "relations.delete_cadencerule")
    rule = _rule(pk)
    if request.method == "POST":
        try:
            services.cadence_rule_delete(actor=request.user, rule=rule)
        except CadenceRule.DoesNotExist:
            raise Http404(_("No such cadence rule.")) from None
        messages.success(request, _("The cadence rule has been deleted."))
        return redirect("relations:cadence_rules")
    from kehu.work.models import Task

    open_tasks = Task.objects.filter(kind=services.TASK_KIND, source_id=rule.pk, status=Task.Status.OPEN).count()
    return render(request, "relations/cadence_rule_delete.html", {"rule": rule, "open_tasks": open_tasks})


@login_required
def coverage(request: AuthenticatedRequest) -> HttpResponse:
    """The share of customers contacted on cadence as of a day, per account manager and per home branch."""
    if not request.user.has_perm("relations.view_cadencerule"):
        raise PermissionDenied(_("You may not see the cadence coverage."))
    form = CoverageForm(request.GET or None)
    as_of = timezone.localdate()
    if form.is_bound:
        if not form.is_valid():
            return render(request, "relations/cadence_coverage.html", {"form": form, "report": None}, status=400)
        as_of = form.cleaned_data["as_of"]
    report = selectors.cadence_coverage(user=request.user, as_of=as_of)
    owners = Paginator(report.by_owner, OWNERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "relations/cadence_coverage.html", {"form": form, "report": report, "page": owners})
