"""Forms of the group pages of loyalty (shape only; the services check the group's rules and the scope)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import text_problem

from .services import POINTS_MAX, VALUE_MAX


def _text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise forms.ValidationError(problem)
    return value


class _Dates(forms.Form):
    def clean(self) -> dict:
        data = super().clean() or {}
        for name in ("starts_on", "ends_on"):
            day = data.get(name)
            if day is not None and not 2000 <= day.year <= 2999:
                self.add_error(name, _("Give a date from 2000 to 2999."))
        return data


class GroupRulesForm(forms.Form):
    max_multiplier = forms.DecimalField(label=_("Highest multiplier a store may offer"), min_value=1,
                                        max_value=100, max_digits=5, decimal_places=2)
    max_bonus_points = forms.IntegerField(label=_("Highest bonus points per transaction"), min_value=0,
                                          max_value=10**9 - 1)
    max_days = forms.IntegerField(label=_("Longest promotion (days)"), min_value=1, max_value=366)
    point_value = forms.DecimalField(label=_("Value of one point in settlements (yuan)"), min_value=0,
                                     max_value=Decimal("999.9999"), max_digits=8, decimal_places=4)
    allowed_categories: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Categories stores may promote (none: any)"), queryset=None, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: object, **kwargs: object) -> None:
        from kehu.purchases.models import Category

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["allowed_categories"].queryset = Category.objects.order_by("name")  # type: ignore[attr-defined]


class PromotionForm(_Dates):
    store: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Store"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=100)
    category: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Category (empty: the whole store)"),
                                                              queryset=None, required=False)
    multiplier = forms.DecimalField(label=_("Points multiplier"), min_value=1, max_value=100, max_digits=5,
                                    decimal_places=2, initial=Decimal("1.5"))
    bonus_points = forms.IntegerField(label=_("Bonus points per transaction"), min_value=0, max_value=10**9 - 1,
                                      initial=0)
    cap_points = forms.IntegerField(label=_("Cap per transaction"), min_value=1, max_value=10**9 - 1,
                                    required=False)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: object, user: object = None, **kwargs: object) -> None:
        from kehu.org.selectors import branch_list
        from kehu.purchases.models import Category

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"].queryset = branch_list(user=user)  # type: ignore[arg-type,attr-defined]
        self.fields["category"].queryset = Category.objects.order_by("name")  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        return _text(self.cleaned_data["name"]).strip()


class PartnerForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)
    rate_out = forms.DecimalField(label=_("Partner units per point out"), min_value=Decimal("0.0001"),
                                  max_value=Decimal("999999.9999"), max_digits=10, decimal_places=4)
    rate_in = forms.DecimalField(label=_("Points per partner unit in"), min_value=Decimal("0.0001"),
                                 max_value=Decimal("999999.9999"), max_digits=10, decimal_places=4)
    unit_value = forms.DecimalField(label=_("Value of one partner unit (yuan)"), min_value=0,
                                    max_value=Decimal("9999.9999"), max_digits=8, decimal_places=4)
    daily_limit_out = forms.IntegerField(label=_("Daily limit out (points)"), min_value=1,
                                         max_value=POINTS_MAX - 1, required=False)
    monthly_limit_out = forms.IntegerField(label=_("Monthly limit out (points)"), min_value=1,
                                           max_value=POINTS_MAX - 1, required=False)
    daily_limit_in = forms.IntegerField(label=_("Daily limit in (points)"), min_value=1, max_value=POINTS_MAX - 1,
                                        required=False)
    monthly_limit_in = forms.IntegerField(label=_("Monthly limit in (points)"), min_value=1,
                                          max_value=POINTS_MAX - 1, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def clean_name(self) -> str:
        return _text(self.cleaned_data["name"]).strip()


class TransferForm(forms.Form):
    to = forms.CharField(label=_("To card number"), max_length=19, min_length=19)
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"),
                                max_value=VALUE_MAX - Decimal("0.01"), max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=120, required=False)

    def clean_to(self) -> str:
        value = self.cleaned_data["to"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("A card number is 19 digits."))
        return value

    def clean_reason(self) -> str:
        return _text(self.cleaned_data["reason"])


class PeriodForm(forms.Form):
    period = forms.RegexField(label=_("Month"), regex=r"^\d{4}-\d{2}$", max_length=7,
                              widget=forms.TextInput(attrs={"type": "month"}))


class ExchangeForm(forms.Form):
    """A card's exchange with an alliance partner: points out for the partner's units, or units in for points."""

    direction = forms.ChoiceField(label=_("Direction"), choices=[
        ("out", _("Our points to the partner")), ("in", _("The partner's units to our points"))])
    partner: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("Partner"), queryset=None)  # type: ignore[arg-type]  # the card's programme's, set in __init__
    amount = forms.DecimalField(label=_("Amount (points out, or partner units in)"), min_value=Decimal("0.0001"),
                                max_value=Decimal(POINTS_MAX) - 1, max_digits=17, decimal_places=4)
    reference = forms.CharField(label=_("Partner's reference"), max_length=64, required=False)

    def __init__(self, *args: object, partners: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]

    def clean_reference(self) -> str:
        return _text(self.cleaned_data["reference"].strip())

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        amount = data.get("amount")
        if data.get("direction") == "out" and amount is not None and amount != amount.to_integral_value():
            self.add_error("amount", _("Points out are a whole number."))
        return data
