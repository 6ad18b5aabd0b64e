"""Coupon pages (``/loyalty/coupons/``): batches (list, create, issue), a batch's coupons with search and pages, a
coupon checked and used at the counter, void and reissue behind a confirmation. Thin: reads through ``selectors``,
writes through ``services``."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.core.pagination import capped_page
from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import branch_list

from . import selectors, services
from .forms import BatchForm, CheckForm, CouponSearchForm, IssueForm, ReasonForm, UseForm
from .models import Coupon, CouponBatch, CouponStatus


class AuthenticatedRequest(HttpRequest):
    user: User


def _batch(user: User, pk: int) -> CouponBatch:
    try:
        return selectors.batch_get(user=user, pk=pk)
    except CouponBatch.DoesNotExist:
        raise Http404(_("No such coupon batch.")) from None


def _coupon(user: User, code: str) -> Coupon:
    try:
        return selectors.coupon_get(user=user, code=code)
    except Coupon.DoesNotExist:
        raise Http404(_("No such coupon.")) from None


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for problems in error.message_dict.values():
        for problem in problems:
            messages.error(request, problem)


@login_required
def batch_list(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("loyalty.view_couponbatch"):
        raise PermissionDenied
    query = (request.GET.get("q") or "").replace("\x00", "")[:100].strip()
    page = capped_page(selectors.batch_list(user=request.user, q=query), request.GET.get("page"))
    return render(request, "loyalty/coupons/batches.html", {"page": page, "q": query})


@login_required
def batch_create(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("loyalty.add_couponbatch"):
        raise PermissionDenied
    from kehu.loyalty.models import Level

    form = BatchForm(request.POST or None, branches=branch_list(user=request.user),
                     levels=Level.objects.select_related("programme").order_by("programme", "rank"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start, end = form.window()
        try:
            batch = services.batch_create(
                actor=request.user, name=data["name"], kind=data["kind"], value=data["value"] or Decimal("0"),
                max_discount=data["max_discount"], gift=data["gift"], valid_from=start, valid_until=end,
                branch=data["branch"], stores=list(data["stores"]), quantity=data["quantity"],
                per_customer=data["per_customer"], rule=data["rule"] or "", rule_level=data["rule_level"],
                rule_min_amount=data["rule_min_amount"])
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("Coupon batch “%(name)s” created.") % {"name": batch.name})
            return redirect("loyalty:coupon_batch", pk=batch.pk)
    return render(request, "loyalty/coupons/batch_form.html", {"form": form})


@login_required
def batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = _batch(request.user, pk)
    search = CouponSearchForm(request.GET or None)
    query, status = "", ""
    if search.is_bound and search.is_valid():
        query, status = search.cleaned_data["q"], search.cleaned_data["status"]
    coupons = selectors.coupon_list(user=request.user, batch_id=batch.pk, status=status, q=query)
    page = capped_page(coupons, request.GET.get("page"))
    return render(request, "loyalty/coupons/batch.html", {
        "batch": batch, "stores": list(batch.stores.all()), "search": search, "page": page,
        "issue_form": IssueForm(), "used": batch.coupons.filter(status=CouponStatus.USED).count()})


@login_required
def batch_issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = _batch(request.user, pk)
    if request.method != "POST":
        return redirect("loyalty:coupon_batch", pk=batch.pk)
    by_rule = request.POST.get("by_rule") == "1"
    form = IssueForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        return redirect("loyalty:coupon_batch", pk=batch.pk)
    codes = form.cleaned_data["customers"]
    ids: list[int] = []
    if not by_rule:
        found = dict(Customer.objects.visible_to(request.user).filter(code__in=codes).values_list("code", "pk"))
        missing = [code for code in codes if code not in found]
        if missing:
            messages.error(request, _("No customer has these codes: %(codes)s.") % {"codes": ", ".join(missing[:20])})
            return redirect("loyalty:coupon_batch", pk=batch.pk)
        ids = [found[code] for code in codes]
    try:
        counts = services.batch_issue(actor=request.user, batch=batch, customer_ids=ids, by_rule=by_rule)
    except ValidationError as error:
        _error_messages(request, error)
    except services.CouponRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(issued)d coupons issued; %(limit)d customers already had their share, "
                                    "%(quantity)d found none left.")
                         % {"issued": counts["issued"], "limit": counts["skipped_limit"],
                            "quantity": counts["skipped_quantity"]})
    return redirect("loyalty:coupon_batch", pk=batch.pk)


@login_required
def coupon_check(request: AuthenticatedRequest) -> HttpResponse:
    """The counter's coupon check: a code typed or scanned, the coupon with what it gives and the form to use it."""
    if not request.user.has_perm("loyalty.view_coupon"):
        raise PermissionDenied
    form = CheckForm(request.GET or None)
    coupon = None
    if form.is_bound and form.is_valid():
        try:
            coupon = selectors.coupon_get(user=request.user, code=form.cleaned_data["code"])
        except Coupon.DoesNotExist:
            form.add_error("code", _("No coupon has this code."))
    store = services.counter_store(request.user, None)
    return render(request, "loyalty/coupons/check.html", {
        "form": form, "coupon": coupon, "use_form": UseForm(), "store": store,
        "valid_here": services.valid_at(coupon.batch, store) if coupon else False})


@login_required
def coupon_use(request: AuthenticatedRequest, code: str) -> HttpResponse:
    coupon = _coupon(request.user, code)
    back = reverse("loyalty:coupon_check") + "?code=" + coupon.code
    if request.method != "POST":
        return redirect(back)
    form = UseForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        return redirect(back)
    try:
        used = services.coupon_use(actor=request.user, coupon=coupon,
                                   store=services.counter_store(request.user, None),
                                   order_ref=form.cleaned_data["order_ref"], amount=form.cleaned_data["amount"])
    except services.CouponRefused as error:
        messages.error(request, str(error))
    except ValidationError as error:
        _error_messages(request, error)
    else:
        if used.discount is not None:
            messages.success(request, _("Coupon used: %(discount)s yuan off.") % {"discount": used.discount})
        else:
            messages.success(request, _("Coupon used."))
    return redirect(back)


COUPON_ACTIONS = {"void": True, "reissue": True}


@login_required
def coupon_action(request: AuthenticatedRequest, code: str, action: str) -> HttpResponse:
    """Void or reissue a coupon: GET asks for the reason and confirmation, POST does it."""
    if action not in COUPON_ACTIONS:
        raise Http404
    coupon = _coupon(request.user, code)
    if not request.user.has_perm("loyalty.void_coupon"):
        raise PermissionDenied
    back = reverse("loyalty:coupon_batch", args=[coupon.batch_id])
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if action == "void":
                services.coupon_void(actor=request.user, coupon=coupon, reason=form.cleaned_data["reason"])
                messages.success(request, _("Coupon %(code)s voided.") % {"code": coupon.code})
            else:
                new = services.coupon_reissue(actor=request.user, coupon=coupon, reason=form.cleaned_data["reason"])
                messages.success(request, _("Coupon %(code)s voided and reissued as %(new)s.")
                                 % {"code": coupon.code, "new": new.code})
        except services.CouponRefused as error:
            messages.error(request, str(error))
        except ValidationError as error:
            _error_messages(request, error)
        return redirect(back)
    title = _("Void a coupon") if action == "void" else _("Reissue a coupon")
    question = (_("Void coupon %(code)s? It can no longer be used.") if action == "void" else
                _("Void coupon %(code)s and issue its holder a new code?")) % {"code": coupon.code}
    return render(request, "loyalty/coupons/confirm.html", {
        "title": title, "question": question, "coupon": coupon, "form": form, "back": back})
