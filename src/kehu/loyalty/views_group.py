"""Loyalty pages of the group of stores: the group's rules, the stores' promotions, the settlement statements
(between stores and with partners, with CSV), the alliance partners, and moving stored value between cards
(with a confirmation step). Thin: reads through ``selectors_group`` / ``settlement``, writes through ``services``."""

from __future__ import annotations

import csv
from decimal import ROUND_FLOOR, Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.customers.models import Customer

from . import selectors_group, services, settlement
from .forms_group import ExchangeForm, GroupRulesForm, PartnerForm, PeriodForm, PromotionForm, TransferForm
from .models import Card, EarningRule, Partner, SettlementClose
from .views import AuthenticatedRequest, _errors_to_form


def _need(user: object, permission: str) -> None:
    if not user.has_perm(permission):  # type: ignore[attr-defined]
        raise PermissionDenied


@login_required
def group_rules(request: AuthenticatedRequest) -> HttpResponse:
    """The group's rules: everyone with the permission reads them, the group administrator changes them."""
    _need(request.user, "loyalty.view_grouprules")
    rules = services.group_rules_for()
    may_change = request.user.has_perm("loyalty.change_grouprules")
    initial = {"max_multiplier": rules.max_multiplier, "max_bonus_points": rules.max_bonus_points,
               "max_days": rules.max_days, "point_value": rules.point_value, "version": rules.version,
               "allowed_categories": list(rules.allowed_categories.all())}
    form = GroupRulesForm(initial=initial)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = GroupRulesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.group_rules_save(
                    actor=request.user, max_multiplier=data["max_multiplier"],
                    max_bonus_points=data["max_bonus_points"], max_days=data["max_days"],
                    point_value=data["point_value"],
                    allowed_category_ids=[c.pk for c in data["allowed_categories"]], expected_version=data["version"])
            except ConcurrentUpdateError:
                messages.error(request, _("Someone else changed the group's rules in the meantime; look and try "
                                          "again."))
                return redirect("loyalty:group_rules")
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("The group's rules have been saved."))
                return redirect("loyalty:group_rules")
    return render(request, "loyalty/group_rules.html", {"rules": rules, "form": form, "may_change": may_change})


@login_required
def promotion_list(request: AuthenticatedRequest) -> HttpResponse:
    _need(request.user, "loyalty.view_earningrule")
    promotions = list(selectors_group.promotion_list(user=request.user)[:300])
    return render(request, "loyalty/promotions.html", {
        "promotions": promotions, "rules": services.group_rules_for(),
        "may_manage": request.user.has_perm("loyalty.manage_store_promotion")})


@login_required
def promotion_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """A store promotion, new or changed; past the group's rules the form says which limit and why."""
    _need(request.user, "loyalty.manage_store_promotion")
    promotion = None
    if pk is not None:
        try:
            promotion = selectors_group.promotion_get(user=request.user, pk=pk)
        except EarningRule.DoesNotExist:
            raise Http404(_("No such promotion.")) from None
    initial = {}
    if promotion is not None:
        initial = {"store": promotion.owner_branch, "name": promotion.name, "category": promotion.category,
                   "multiplier": promotion.multiplier, "bonus_points": promotion.bonus_points,
                   "cap_points": promotion.cap_points, "starts_on": promotion.starts_on,
                   "ends_on": promotion.ends_on, "is_active": promotion.is_active}
    form = PromotionForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.store_promotion_save(
                actor=request.user, branch=data["store"], name=data["name"], multiplier=data["multiplier"],
                bonus_points=data["bonus_points"], cap_points=data["cap_points"],
                category_id=data["category"].pk if data["category"] else None, starts_on=data["starts_on"],
                ends_on=data["ends_on"], is_active=data["is_active"], promotion=promotion)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The store promotion has been saved."))
            return redirect("loyalty:promotions")
    return render(request, "loyalty/promotion_form.html", {
        "form": form, "promotion": promotion, "rules": services.group_rules_for()})


def _period(request: AuthenticatedRequest) -> tuple[PeriodForm, str]:
    form = PeriodForm(request.GET or None, initial={"period": settlement.period_default()})
    period = settlement.period_default()
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"]
    return form, period


@login_required
def settlement_page(request: AuthenticatedRequest) -> HttpResponse:
    """The month's statements: between stores (a branch manager sees the rows of their stores) and with partners;
    ``?format=csv`` downloads them."""
    _need(request.user, "loyalty.view_settlement")
    form, period = _period(request)
    if request.method == "POST":
        return _settlement_change(request, request.POST.get("period", ""))
    try:
        stores, partners, closing = settlement.statements(period=period, user=request.user)
    except ValidationError as error:
        form.add_error("period", error.messages)
        period = settlement.period_default()
        stores, partners, closing = settlement.statements(period=period, user=request.user)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="settlement-{period}.csv"'
        response.write("\ufeff")
        csv.writer(response).writerows(settlement.csv_cells(settlement.statement_rows(stores, partners)))
        return response
    history = SettlementClose.objects.filter(period=period).select_related("closed_by", "reopened_by")
    return render(request, "loyalty/settlement.html", {"form": form, "period": period, "stores": stores,
                                                       "partners": partners, "closing": closing,
                                                       "history": list(history)})


def _settlement_change(request: AuthenticatedRequest, period: str) -> HttpResponse:
    """Close (keep) or reopen a month's statements, then back to the month."""
    try:
        if request.POST.get("action") == "reopen":
            services.settlement_reopen(actor=request.user, period=period, reason=request.POST.get("reason", ""))
            messages.success(request, _("The month %(period)s is open again: its statements are computed from the "
                                        "ledger.") % {"period": period})
        else:
            services.settlement_close(actor=request.user, period=period)
            messages.success(request, _("The month %(period)s is closed: its statements are kept as they are now.")
                             % {"period": period})
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        if not settlement.PERIOD.match(period):
            return redirect("loyalty:settlement")
    return redirect(f"{reverse('loyalty:settlement')}?period={period}")


@login_required
def partner_list(request: AuthenticatedRequest) -> HttpResponse:
    _need(request.user, "loyalty.view_partner")
    return render(request, "loyalty/partners.html", {
        "partners": list(selectors_group.partner_list()),
        "may_change": request.user.has_perm("loyalty.change_partner")})


@login_required
def partner_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    _need(request.user, "loyalty.change_partner")
    partner = None
    if pk is not None:
        partner = Partner.objects.filter(pk=pk).first()
        if partner is None:
            raise Http404(_("No such partner."))
    initial = {}
    if partner is not None:
        initial = {name: getattr(partner, name) for name in PartnerForm.base_fields}
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_save(
                actor=request.user, code=data["code"], name=data["name"], rate_out=data["rate_out"],
                rate_in=data["rate_in"], unit_value=data["unit_value"], is_active=data["is_active"],
                limits={name: data[name] for name in services.partners.LIMIT_FIELDS}, partner=partner,
                expected_version=data.get("version"))
        except ConcurrentUpdateError:
            messages.error(request, _("Someone else changed this partner in the meantime; look and try again."))
            return redirect("loyalty:partners")
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The partner has been saved."))
            return redirect("loyalty:partners")
    return render(request, "loyalty/partner_form.html", {"form": form, "partner": partner})


@login_required
def card_transfer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Move stored value from this card to another: the form, then a confirmation naming both cards and the
    amount, then the transfer."""
    card = (Card.objects.filter(pk=pk, customer__in=Customer.objects.visible_to(request.user))
            .select_related("customer", "stored_value").first())
    if card is None or card.membership_id is None:
        raise Http404(_("No such card."))
    _need(request.user, "loyalty.add_pointsentry")
    form = TransferForm(request.POST or None)
    target = None
    if request.method == "POST" and form.is_valid():
        target = (Card.objects.filter(number=form.cleaned_data["to"],
                                      customer__in=Customer.objects.visible_to(request.user))
                  .select_related("customer").first())
        if target is None:
            form.add_error("to", _("No card with this number among the customers you may see."))
        elif request.POST.get("confirm") == "1":
            try:
                services.stored_value_transfer(actor=request.user, source=card, target=target,
                                               amount=form.cleaned_data["amount"],
                                               reason=form.cleaned_data["reason"])
            except services.InsufficientValueError as error:
                form.add_error("amount", str(error))
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("%(amount)s yuan moved to card %(number)s.")
                                 % {"amount": form.cleaned_data["amount"], "number": target.number})
                return redirect("loyalty:member", pk=card.membership_id)
    confirming = request.method == "POST" and form.is_valid() and not form.errors and target is not None
    return render(request, "loyalty/transfer.html", {"card": card, "form": form, "target": target,
                                                     "confirming": confirming})


@login_required
def card_exchange(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Exchange a card's points with an alliance partner (out: points for the partner's units; in: the partner's
    units for points): the form, then a confirmation naming the card, the partner and both amounts, then the
    exchange (the partner's limits and the balance checked by the service)."""
    card = (Card.objects.filter(pk=pk, customer__in=Customer.objects.visible_to(request.user))
            .select_related("customer", "membership__points_account").first())
    if card is None or card.membership_id is None:
        raise Http404(_("No such card."))
    _need(request.user, "loyalty.add_partnerexchange")
    partners = Partner.objects.filter(is_active=True, programme_id=card.membership.programme_id  # type: ignore[union-attr]
                                      ).order_by("name")
    form = ExchangeForm(request.POST or None, partners=partners)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        partner, amount = data["partner"], data["amount"]
        if data["direction"] == "out":
            preview = {"points": int(amount), "units": (amount * partner.rate_out).quantize(Decimal("0.0001"))}
        else:
            preview = {"points": int((amount * partner.rate_in).to_integral_value(rounding=ROUND_FLOOR)),
                       "units": amount}
        if request.POST.get("confirm") == "1":
            try:
                if data["direction"] == "out":
                    services.exchange_out(actor=request.user, card=card, partner=partner, points=int(amount),
                                          reference=data["reference"])
                else:
                    services.exchange_in(actor=request.user, card=card, partner=partner, units=amount,
                                         reference=data["reference"])
            except (services.InsufficientPointsError, services.PartnerLimitError) as error:
                form.add_error("amount", str(error))
            except ValidationError as error:
                _errors_to_form(form, ValidationError({
                    "amount" if name in ("points", "units") else name: problems
                    for name, problems in error.message_dict.items()}))
            else:
                messages.success(request, _("Exchanged %(points)s points with %(partner)s (%(units)s units).")
                                 % {"points": preview["points"], "partner": partner.name, "units": preview["units"]})
                return redirect("loyalty:member", pk=card.membership_id)
    confirming = preview is not None and not form.errors
    return render(request, "loyalty/exchange.html", {"card": card, "form": form, "preview": preview,
                                                     "confirming": confirming})
