"""Forms of the plan, event and gift pages (thin: the services check again)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core import validators
from kehu.customers.models import Customer, ManagementClass
from kehu.org.models import User

from ..models import EventKind, GiftOccasion, MaintenancePlan, PlanStatus

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal(0),
                         "max_value": Decimal("999999999999.99")}
VERSION: dict[str, Any] = {"widget": forms.HiddenInput, "required": False, "min_value": 1, "max_value": 2**31 - 1}
CODES_SPLIT = re.compile(r"[\s,，;；]+")


def _date_field(label: Any, *, past: bool = False, required: bool = True) -> forms.DateField:
    check = validators.validate_past_business_date if past else validators.validate_business_date
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}),
                           validators=[check])


def split_codes(text: str) -> list[str]:
    return [code for code in CODES_SPLIT.split(text or "") if code][:5001]


class CustomerCodesField(forms.CharField):
    """Customer codes separated by spaces, commas or new lines; resolved against a queryset by the form."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        kwargs.setdefault("max_length", 100_000)
        super().__init__(**kwargs)


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    customer_codes = CustomerCodesField(label=_("Customers"),
                                        help_text=_("Customer codes, separated by spaces, commas or new lines."))
    objective = forms.CharField(label=_("Objective"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(label=_("Methods and measures"), max_length=5000, required=False,
                               widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False,
                                   help_text=_("Empty: yourself."))
    budget = forms.DecimalField(label=_("Budget"), **MONEY)
    period_start = _date_field(_("From"))
    period_end = _date_field(_("To"))
    version = forms.IntegerField(**VERSION)

    def __init__(self, *args: Any, staff: Any = None, customers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.customer_scope = customers if customers is not None else Customer.objects.none()

    def clean_customer_codes(self) -> list[Customer]:
        codes = split_codes(self.cleaned_data["customer_codes"])
        found = {customer.code: customer for customer in self.customer_scope.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError(_("Not one of your customers: %(codes)s") % {
                "codes": ", ".join(unknown[:10])})
        return list(found.values())


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    due_date = _date_field(_("Due date"))
    cost = forms.DecimalField(label=_("Planned cost"), initial=0, **MONEY)
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), required=False,
                                      help_text=_("Empty: the plan's customer when it has one."))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False,
                                   help_text=_("Empty: the plan's owner."))

    def __init__(self, *args: Any, plan: MaintenancePlan | None = None, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            self.fields["customer"].queryset = plan.customers.order_by("name")  # type: ignore[attr-defined]
        if staff is not None:
            self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class SubmitForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(**VERSION)


class SummaryForm(forms.Form):
    results = forms.CharField(label=_("Results"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    cost_spent = forms.DecimalField(label=_("Cost spent"), required=False,
                                    help_text=_("Empty: what the plan's events, gifts and actions cost."), **MONEY)
    next_plan = forms.CharField(label=_("Next plan"), max_length=5000, required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(**VERSION)


class CostForm(forms.Form):
    recorded_cost = forms.DecimalField(label=_("Recorded cost"), **MONEY)


class PlanFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *PlanStatus.choices])
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    branch = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class EventForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    date = _date_field(_("Date"))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    cost = forms.DecimalField(label=_("Cost"), initial=0, **MONEY)
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=MaintenancePlan.objects.none(), required=False,
                                  help_text=_("The event's cost counts against this plan's budget."))
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(**VERSION)

    def __init__(self, *args: Any, plans: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plans is not None:
            self.fields["plan"].queryset = plans  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    customer_codes = CustomerCodesField(label=_("Customer codes"), required=False,
                                        help_text=_("Separated by spaces, commas or new lines."))
    management_class = forms.ChoiceField(label=_("Or every customer of the class"), required=False,
                                         choices=[("", "—"), *ManagementClass.choices])
    only_mine = forms.BooleanField(label=_("Only customers I own"), required=False)


class GiftForm(forms.Form):
    description = forms.CharField(label=_("Gift"), max_length=200)
    cost = forms.DecimalField(label=_("Cost"), **MONEY)
    given_on = _date_field(_("Given on"), past=True)
    occasion = forms.ChoiceField(label=_("Occasion"), choices=GiftOccasion.choices)
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=MaintenancePlan.objects.none(), required=False)

    def __init__(self, *args: Any, plans: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plans is not None:
            self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
