"""Loyalty pages: the counter (find a member by card number or mobile), the member page (levels, cards with their
actions behind a confirmation, redemption, adjustment requests, the ledger) and the programmes' settings.
Thin: reads through ``selectors``, writes through ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.pagination import capped_page
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import User

from . import selectors, services
from .forms import AdjustmentForm, LookupForm, RedeemForm
from .models import Card, Membership

CARD_ACTIONS = {
    "activate": (gettext_lazy("Activate"), False),
    "freeze": (gettext_lazy("Freeze"), True),
    "report_lost": (gettext_lazy("Report lost"), True),
    "replace": (gettext_lazy("Replace"), True),
}


class AuthenticatedRequest(HttpRequest):
    user: User


def _membership(user: User, pk: int) -> Membership:
    try:
        return selectors.membership_get(user=user, pk=pk)
    except Membership.DoesNotExist:
        raise Http404(_("No such member.")) from None


def _errors_to_form(form: object, error: ValidationError) -> None:
    fields = getattr(form, "fields", {})
    for name, problems in error.message_dict.items():
        form.add_error(name if name in fields else None, problems)  # type: ignore[attr-defined]


@login_required
def counter(request: AuthenticatedRequest) -> HttpResponse:
    """The counter: find cards by full card number or mobile; the newest members below."""
    if not request.user.has_perm("loyalty.view_card"):
        raise PermissionDenied
    form = LookupForm(request.GET or None)
    found = None
    if form.is_bound and form.is_valid():
        found = list(selectors.counter_lookup(user=request.user, query=form.cleaned_data["q"])[:20])
    page = capped_page(selectors.membership_list(user=request.user), request.GET.get("page"))
    return render(request, "loyalty/counter.html", {"form": form, "found": found, "page": page})


@login_required
def member_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = _membership(request.user, pk)
    cards = list(membership.cards.select_related("replaced_by", "stored_value").order_by("-issued_at", "-id"))
    entries = capped_page(selectors.ledger(user=request.user, membership_id=membership.pk), request.GET.get("page"))
    return render(request, "loyalty/member.html", {
        "membership": membership, "cards": cards, "page": entries, "card_actions": CARD_ACTIONS,
        "redeem_form": RedeemForm(), "adjust_form": AdjustmentForm(),
        "history": list(membership.level_changes.select_related("from_level", "to_level")[:10]),
        "adjustments": list(membership.points_account.adjustments.select_related("requested_by")[:10]),
    })


@login_required
@require_POST
def member_redeem(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = _membership(request.user, pk)
    form = RedeemForm(request.POST)
    if form.is_valid():
        card = membership.cards.filter(number=form.cleaned_data["card"]).first()
        if card is None:
            form.add_error("card", _("Choose one of this member's cards."))
        else:
            try:
                services.points_redeem(actor=request.user, card=card, points=form.cleaned_data["points"],
                                       reason=form.cleaned_data["reason"])
            except services.InsufficientPointsError as error:
                form.add_error("points", str(error))
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("%(points)d points redeemed.") % {"points": form.cleaned_data["points"]})
                return redirect("loyalty:member", pk=membership.pk)
    for problems in form.errors.values():
        for problem in problems:
            messages.error(request, str(problem))
    return redirect("loyalty:member", pk=membership.pk)


@login_required
@require_POST
def member_adjust(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = _membership(request.user, pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            services.points_adjustment_request(actor=request.user, account=membership.points_account,
                                               points=form.cleaned_data["points"], reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The adjustment has been submitted for approval."))
            return redirect("loyalty:member", pk=membership.pk)
    for problems in form.errors.values():
        for problem in problems:
            messages.error(request, str(problem))
    return redirect("loyalty:member", pk=membership.pk)


@login_required
def card_issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Issue a member card of the default programme to a customer (confirmation page, then POST)."""
    try:
        customer = customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not request.user.has_perm("loyalty.add_card"):
        raise PermissionDenied
    if request.method == "POST":
        card = services.card_issue(actor=request.user, customer=customer)
        messages.success(request, _("Card %(number)s issued.") % {"number": card.number})
        return redirect("loyalty:member", pk=card.membership_id)
    return render(request, "loyalty/confirm.html", {
        "title": _("Issue a member card"),
        "question": _("Issue a new member card to %(name)s?") % {"name": customer.name},
        "back": reverse("customers:detail", args=[customer.pk]), "danger": False})


@login_required
def card_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """A card action: GET asks for confirmation, POST (with the version read) does it."""
    if action not in CARD_ACTIONS:
        raise Http404
    card = Card.objects.filter(pk=pk, customer__in=Customer.objects.visible_to(request.user)).first()
    if card is None or card.membership_id is None:
        raise Http404(_("No such card."))
    label, danger = CARD_ACTIONS[action]
    back = reverse("loyalty:member", args=[card.membership_id])
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", "0"))
        except ValueError:
            version = 0
        try:
            if action == "replace":
                new = services.card_replace(actor=request.user, card=card, expected_version=version)
                messages.success(request, _("The card has been replaced by %(number)s.") % {"number": new.number})
            else:
                services.card_change_status(actor=request.user, card=card, action=action, expected_version=version)
                messages.success(request, _("The card has been changed."))
        except ConcurrentUpdateError:
            messages.error(request, _("This card was changed by someone else in the meantime; look and try again."))
        except ValidationError as error:
            for problems in error.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
        return redirect(back)
    return render(request, "loyalty/confirm.html", {
        "title": label, "card": card, "danger": danger, "back": back,
        "question": _("%(action)s card %(number)s?") % {"action": label, "number": card.number}})


@login_required
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("loyalty.view_programme"):
        raise PermissionDenied
    programmes = list(selectors.programme_list())
    return render(request, "loyalty/programmes.html", {"programmes": programmes})
