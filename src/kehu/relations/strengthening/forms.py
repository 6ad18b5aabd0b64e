"""The form of a strengthening row (the organisation's 360 page links to it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import validate_business_date

from ..models import StrengtheningRow


class StrengtheningForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    due_date = forms.DateField(label=_("By"), required=False, validators=[validate_business_date],
                               widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = StrengtheningRow
        fields = ["our_level", "our_staff", "our_name", "our_title", "their_contact", "their_name", "their_title",
                  "strength", "competitor", "competitor_strength", "measures", "schedule", "due_date", "owner",
                  "notes"]
        widgets = {"measures": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, staff: Any, our_staff: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["our_staff"].queryset = our_staff  # type: ignore[attr-defined]
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["their_contact"].queryset = contacts  # type: ignore[attr-defined]
