"""Forms of the loyalty pages (validation of the shape; the services check the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import text_problem

from .services import POINTS_MAX


def _clean_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise forms.ValidationError(problem)
    return value


class LookupForm(forms.Form):
    q = forms.CharField(label=_("Card number or mobile"), max_length=40)

    def clean_q(self) -> str:
        return _clean_text(self.cleaned_data["q"]).strip()


class RedeemForm(forms.Form):
    card = forms.CharField(label=_("Card"), max_length=19)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=POINTS_MAX - 1)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean_reason(self) -> str:
        return _clean_text(self.cleaned_data["reason"])


class AdjustmentForm(forms.Form):
    points = forms.IntegerField(label=_("Points (negative takes away)"), min_value=-(POINTS_MAX - 1),
                                max_value=POINTS_MAX - 1)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_reason(self) -> str:
        return _clean_text(self.cleaned_data["reason"])
