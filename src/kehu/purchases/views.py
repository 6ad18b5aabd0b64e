"""The purchases pages: all purchases of one customer (the 360 page's panel shows the newest 10 and links here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.pagination import CappedPaginator
from kehu.customers.forms import PAGE_SIZES
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.org.models import Branch, User

from .selectors import transaction_branches, transaction_list

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(9998, 12, 31)
AMOUNT_LIMIT = Decimal("999999999999.99")


class AuthenticatedRequest(HttpRequest):
    user: User


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           validators=[MinValueValidator(DATE_MIN), MaxValueValidator(DATE_MAX)])


def _amount_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, max_digits=14, decimal_places=2,
                              min_value=-AMOUNT_LIMIT, max_value=AMOUNT_LIMIT,
                              widget=forms.NumberInput(attrs={"step": "0.01"}))


class PurchaseFilterForm(forms.Form):
    """Filters of a customer's purchases; invalid values are shown as errors and ignored."""

    date_from = _date_field(gettext_lazy("From"))
    date_to = _date_field(gettext_lazy("To"))
    store = forms.ModelChoiceField(label=gettext_lazy("Store / branch"), required=False,
                                   queryset=Branch.objects.none(), empty_label=gettext_lazy("All stores"))
    amount_min = _amount_field(gettext_lazy("Amount from"))
    amount_max = _amount_field(gettext_lazy("Amount to"))
    per_page = forms.TypedChoiceField(label=gettext_lazy("Rows per page"), required=False, coerce=int,
                                      empty_value=None, choices=[("", "—"), *[(str(n), str(n)) for n in PAGE_SIZES]])

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store = self.fields["store"]
        assert isinstance(store, forms.ModelChoiceField)
        store.queryset = transaction_branches(customer=customer)

    def valid_data(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
def customer_purchases(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every purchase of one customer, newest first, a page at a time, filtered by date, store and amount."""
    try:
        customer = customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    if not request.user.has_perm("purchases.view_transaction"):
        raise PermissionDenied(_("You may not see purchases."))
    form = PurchaseFilterForm(request.GET or None, customer=customer)
    data = form.valid_data()
    date_to = data.get("date_to")
    transactions = transaction_list(
        user=request.user, customer=customer,
        since=_day_start(data["date_from"]) if data.get("date_from") else None,
        until=_day_start(date_to + dt.timedelta(days=1)) if date_to else None,
        branch=data.get("store"), amount_min=data.get("amount_min"), amount_max=data.get("amount_max"),
    ).select_related(None).select_related("product", "branch")
    per_page = int(data["per_page"]) if data.get("per_page") in PAGE_SIZES else int(settings.KEHU_PAGE_SIZE)
    paginator = CappedPaginator(transactions, per_page, page_hint=request.GET.get("page"))
    page = paginator.get_page(request.GET.get("page"))
    context = {"customer": customer, "form": form, "page": page,
               "is_filtered": any(value not in (None, "") for key, value in data.items() if key != "per_page")}
    return render(request, "purchases/customer_purchases.html", context)
