"""Forms of the evaluation pages: evaluating a customer (one score field per indicator, computed ones prefilled),
the list's filters and a template's thresholds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import validate_past_business_date

from ..models import MANUAL, EvaluationTemplate, Recommendation
from .selectors import GRADES


class EvaluationForm(forms.Form):
    evaluated_on = forms.DateField(label=_("Date"), validators=[validate_past_business_date],
                                   widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, template: EvaluationTemplate, computed: dict[int, tuple[Decimal, Any]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        self.indicators = list(template.indicators.all())
        for indicator in self.indicators:
            name = f"score_{indicator.pk}"
            found = computed.get(indicator.pk)
            help_text = indicator.description
            if indicator.source != MANUAL:
                value = found[1] if found else None
                help_text = (_("Measured: %(value)s. %(basis)s") % {"value": value if value is not None else "—",
                                                                       "basis": indicator.description})
            self.fields[name] = forms.DecimalField(
                label=f"{indicator.name} ({_('weight')} {indicator.weight.normalize()}, 0–"
                      f"{indicator.max_score.normalize()})",
                min_value=0, max_value=indicator.max_score, max_digits=9, decimal_places=2,
                required=indicator.source == MANUAL, help_text=help_text,
                initial=found[0] if found else None, widget=forms.NumberInput(attrs={"class": "score-input",
                                                                                   "step": "0.01"}))

    def scores(self) -> dict[int, Decimal]:
        return {indicator.pk: self.cleaned_data[f"score_{indicator.pk}"] for indicator in self.indicators
                if self.cleaned_data.get(f"score_{indicator.pk}") is not None}


class EvaluationFilterForm(forms.Form):
    q = forms.CharField(label=_("Customer name or code"), required=False, max_length=100)
    grade = forms.ChoiceField(label=_("Grade"), required=False,
                              choices=[("", _("Any grade"))] + [(grade, grade) for grade in GRADES])
    recommendation = forms.ChoiceField(label=_("Recommendation"), required=False,
                                       choices=[("", _("Any recommendation")), *Recommendation.choices])
    branch = forms.TypedChoiceField(label=_("Branch"), required=False, coerce=int, empty_value=None)
    customer = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, branches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", _("Every branch"))] + [(b.pk, str(b)) for b in branches]  # type: ignore[attr-defined]


class TemplateForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = EvaluationTemplate
        fields = ["name", "description", "is_active", "periodic", "period_months", "maintain_from", "terminate_below",
                  "grade_a_from", "grade_b_from", "grade_c_from"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
