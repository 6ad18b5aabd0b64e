"""Forms of the coupon pages (the shape; the services check the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import text_problem

from .models import CouponKind, CouponStatus, IssueRule
from .services import PER_CUSTOMER_MAX, QUANTITY_MAX, VALUE_MAX


def money() -> dict[str, Any]:
    return {"max_digits": 10, "decimal_places": 2, "min_value": 0, "max_value": VALUE_MAX - 1}



def _clean_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise forms.ValidationError(problem)
    return value


class BatchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=CouponKind.choices)
    value = forms.DecimalField(label=_("Value"), required=False,
                               help_text=_("Yuan off, or the percentage off; not used for a gift."), **money())
    max_discount = forms.DecimalField(label=_("Discount cap (yuan)"), required=False, **money())
    gift = forms.CharField(label=_("Gift"), max_length=100, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    branch: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Issued by"), queryset=None)  # type: ignore[arg-type]
    stores: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Valid at"), queryset=None, required=False,  # type: ignore[arg-type]
        help_text=_("These branches and every store below them; none: everywhere."))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=QUANTITY_MAX, required=False)
    per_customer = forms.IntegerField(label=_("Per customer"), min_value=1, max_value=PER_CUSTOMER_MAX, initial=1)
    rule = forms.ChoiceField(label=_("Issue rule"), choices=IssueRule.choices, required=False)
    rule_level: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Level"), queryset=None,  # type: ignore[arg-type]
                                                                required=False)
    rule_min_amount = forms.DecimalField(label=_("Purchase of at least (yuan)"), required=False, **money())

    def __init__(self, *args: object, branches: object, levels: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        self.fields["stores"].queryset = branches  # type: ignore[attr-defined]
        self.fields["rule_level"].queryset = levels  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        return _clean_text(self.cleaned_data["name"]).strip()

    def clean_gift(self) -> str:
        return _clean_text(self.cleaned_data["gift"]).strip()

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """The window as moments: the first day's start to the last day's end, in the current time zone."""
        start = self.cleaned_data["valid_from"]
        end = self.cleaned_data["valid_until"] + dt.timedelta(days=1)
        zone = timezone.get_current_timezone()
        return (dt.datetime.combine(start, dt.time(), tzinfo=zone), dt.datetime.combine(end, dt.time(), tzinfo=zone))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and not (dt.date(2000, 1, 1) <= start <= end < dt.date(2099, 12, 31)):
            self.add_error("valid_until", _("Give dates between 2000 and 2099, the end not before the start."))
        return data


class IssueForm(forms.Form):
    customers = forms.CharField(label=_("Customer codes"), max_length=200_000, required=False,
                                widget=forms.Textarea(attrs={"rows": 3}),
                                help_text=_("One or more customer codes, separated by spaces, commas or lines."))

    def clean_customers(self) -> list[str]:
        text = _clean_text(self.cleaned_data["customers"]).replace(",", " ").replace("，", " ")
        codes = list(dict.fromkeys(text.split()))
        if len(codes) > 10_000:
            raise forms.ValidationError(_("Name at most 10,000 customers at a time here."))
        return codes


class CouponSearchForm(forms.Form):
    q = forms.CharField(label=_("Code, customer or order"), max_length=40, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any"))] + list(CouponStatus.choices),
                               required=False)

    def clean_q(self) -> str:
        return _clean_text(self.cleaned_data["q"]).strip()


class CheckForm(forms.Form):
    code = forms.CharField(label=_("Coupon code"), max_length=40)

    def clean_code(self) -> str:
        return _clean_text(self.cleaned_data["code"]).strip()


class UseForm(forms.Form):
    order_ref = forms.CharField(label=_("Order reference"), max_length=80, required=False)
    amount = forms.DecimalField(label=_("Order amount"), required=False, **money())

    def clean_order_ref(self) -> str:
        return _clean_text(self.cleaned_data["order_ref"]).strip()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_reason(self) -> str:
        return _clean_text(self.cleaned_data["reason"]).strip()
