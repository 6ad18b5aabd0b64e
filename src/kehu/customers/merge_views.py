"""Pages of the duplicates list and the merge of two customers (administrators and branch managers). Thin: parse a
form, call :mod:`kehu.customers.merge` or :mod:`kehu.customers.duplicates`, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.core.pagination import CappedPaginator
from kehu.org.models import User

from .duplicates import DUPLICATE_CRITERIA, customer_duplicate_groups, customer_duplicate_members
from .forms import MergeForm, RevealForm
from .merge import customer_may_merge, customer_merge, customer_merge_fields, merge_maskers
from .models import Customer
from .selectors import customer_get
from .services import REVEALABLE_FIELDS, personal_data_reveal


class AuthenticatedRequest(HttpRequest):
    user: User


def _require_merge(request: AuthenticatedRequest) -> None:
    if not customer_may_merge(user=request.user):
        raise PermissionDenied(_("Only administrators and branch managers may merge customers."))


@login_required
def duplicates(request: AuthenticatedRequest) -> HttpResponse:
    """Groups of customers that look like one person or organisation, for managers to merge."""
    _require_merge(request)
    criterion = request.GET.get("by", "mobile")
    if criterion not in DUPLICATE_CRITERIA:
        criterion = "mobile"
    page = CappedPaginator(customer_duplicate_groups(user=request.user, criterion=criterion), 20,
                           page_hint=request.GET.get("page")).get_page(request.GET.get("page"))
    keys = [group["key"] for group in page.object_list]
    members = customer_duplicate_members(user=request.user, criterion=criterion, keys=keys) if keys else {}
    groups = [(group, members.get(group["key"], [])) for group in page.object_list]
    return render(request, "customers/duplicates.html", {
        "page": page, "groups": groups, "criterion": criterion, "criteria": list(DUPLICATE_CRITERIA.items()),
    })


def _merge_pair(request: AuthenticatedRequest) -> tuple[Customer, Customer]:
    try:
        keep = customer_get(user=request.user, pk=int(request.GET.get("keep", "0")), action="change")
        merge = customer_get(user=request.user, pk=int(request.GET.get("merge", "0")), action="change")
    except (ValueError, Customer.DoesNotExist):
        raise Http404(_("No such customer.")) from None
    return keep, merge


def _merge_reveal(request: AuthenticatedRequest, keep: Customer, merge_customer: Customer) -> tuple[Any, bool]:
    """The merge page's reveal step: with a reason, both customers' phones, e-mail and ID numbers are shown in full
    for this page view, each reveal written to the personal data access log as on the 360 page."""
    asked = request.method == "POST" and "reveal-reason" in request.POST
    form = RevealForm(request.POST if asked else None, prefix="reveal")
    if not asked or not form.is_valid():
        return form, False
    if not request.user.has_perm("customers.view_personal_data"):
        raise PermissionDenied(_("You may not see personal data."))
    try:
        for customer in (keep, merge_customer):
            fields = REVEALABLE_FIELDS if customer.is_person else tuple(
                f for f in REVEALABLE_FIELDS if f != "id_number")
            personal_data_reveal(customer=customer, actor=request.user, fields=fields,
                                 reason=form.cleaned_data["reason"],
                                 ip_address=request.META.get("REMOTE_ADDR") or None)
    except ValidationError as error:
        for message in error.messages:
            form.add_error("reason", message)
        return form, False
    return form, True


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: AuthenticatedRequest) -> HttpResponse:
    """Merge two customers: choose the value to keep for every conflicting field, then confirm.

    Phones, e-mail and ID numbers are masked until the user reveals them with a reason (logged per customer)."""
    _require_merge(request)
    keep, merge_customer = _merge_pair(request)
    reveal_form, revealed = _merge_reveal(request, keep, merge_customer)
    fields = customer_merge_fields(keep=keep, merge=merge_customer,
                                   maskers=merge_maskers(user=request.user, revealed=revealed))
    merging = request.method == "POST" and not reveal_form.is_bound
    form = MergeForm(request.POST if merging else None, fields=fields)
    if merging and form.is_valid():
        try:
            record = customer_merge(keep=keep, merge=merge_customer, actor=request.user,
                                    choices=form.choices(), reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("%(merged)s (%(code)s) was merged into %(kept)s.")
                             % {"merged": record.merged_name, "code": record.merged_code, "kept": keep.name})
            return redirect("customers:detail", pk=keep.pk)
    rows = [(field, form[f"choice_{field.name}"] if field.conflict else None) for field in fields]
    return render(request, "customers/merge.html", {
        "keep": keep, "merge": merge_customer, "rows": rows, "form": form, "reveal_form": reveal_form,
        "revealed": revealed, "can_reveal": request.user.has_perm("customers.view_personal_data"),
    })
