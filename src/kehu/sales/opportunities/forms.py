"""Forms of the opportunity pages: new and edit (with up to ``LINE_ROWS`` product lines), lose with a reason, the
board's and the forecast's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import validate_business_date
from kehu.purchases.models import Product

from ..models import LossReason, OpportunityStatus, Pipeline

LINE_ROWS = 5


class OpportunityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    expected_close = forms.DateField(label=_("Expected close"), validators=[validate_business_date],
                                     widget=forms.DateInput(attrs={"type": "date"}))
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100, required=False,
                                     help_text=_("Empty: the stage's default."))
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    competitors = forms.CharField(label=_("Competitors"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    committed = forms.BooleanField(label=_("Committed (counts in the committed forecast)"), required=False)

    def __init__(self, *args: Any, lines: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(is_active=True).order_by("name")
        for index in range(LINE_ROWS):
            line = lines[index] if lines and index < len(lines) else None
            self.fields[f"product_{index}"] = forms.ModelChoiceField(
                label=_("Product"), queryset=products, required=False, initial=line.product_id if line else None)
            self.fields[f"quantity_{index}"] = forms.DecimalField(
                label=_("Quantity"), min_value=0.01, max_value=1000000, decimal_places=2, required=False,
                initial=line.quantity if line else None)
            self.fields[f"unit_price_{index}"] = forms.DecimalField(
                label=_("Unit price"), min_value=0, max_value=100000000, decimal_places=2, required=False,
                initial=line.unit_price if line else None, help_text=_("Empty: the list price."))

    @property
    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.rsplit("_", 1)[-1].isdigit()]

    @property
    def line_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"product_{index}"], self[f"quantity_{index}"], self[f"unit_price_{index}"])
                for index in range(LINE_ROWS)]

    def lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [{"product": data[f"product_{index}"].pk, "quantity": data.get(f"quantity_{index}") or 1,
                 "unit_price": data.get(f"unit_price_{index}")}
                for index in range(LINE_ROWS) if data.get(f"product_{index}")]

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class OpportunityCreateForm(OpportunityForm):
    customer = forms.IntegerField(label=_("Customer number"), min_value=1, max_value=2**62, required=False)
    lead = forms.IntegerField(label=_("Lead number"), min_value=1, max_value=2**62, required=False)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True),
                                      required=False, empty_label=_("Default pipeline"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("customer")) == bool(data.get("lead")):
            self.add_error("customer", _("Choose a customer or a lead (one of them)."))
        return data


class LoseForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=LossReason.objects.filter(is_active=True))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, required=False)


class BoardFilterForm(forms.Form):
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True),
                                      required=False, empty_label=_("Default pipeline"))
    owner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False,
                                                           empty_label=_("Everyone"))

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class ListFilterForm(BoardFilterForm):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *OpportunityStatus.choices])


class ForecastFilterForm(BoardFilterForm):
    start = forms.DateField(label=_("From month"), required=False, validators=[validate_business_date],
                            widget=forms.DateInput(attrs={"type": "date"}))
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=24, required=False, initial=6)
    branch: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Branch"), queryset=None, required=False,
                                                            empty_label=_("All branches"))

    def __init__(self, *args: Any, branches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]

