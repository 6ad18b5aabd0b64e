"""The cadence rule form and the coverage report's date (thin: the services check again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core import validators
from kehu.customers.models.choices import ManagementClass

from ..models import CadenceRule


def primary_tier_choices(current: str = "") -> list[tuple[str, str]]:
    """The tiers of the primary tier scheme (and a rule's current tier when the scheme no longer has it)."""
    from kehu.scoring.models import TierScheme, tier_label

    scheme = TierScheme.objects.filter(is_primary=True).first()
    choices = [("", str(_("Any tier")))]
    codes = set()
    for tier in scheme.tiers if scheme is not None else []:
        choices.append((tier.code, f"{tier.code} · {tier_label(tier.label)}" if tier.label else tier.code))
        codes.add(tier.code)
    if current and current not in codes:
        choices.append((current, str(_("%(code)s (not in the primary scheme)") % {"code": current})))
    return choices


class CadenceRuleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CadenceRule
        fields = ["tier", "management_class", "channel", "every", "unit", "title", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"] = forms.ChoiceField(label=_("tier"), required=False,
                                                choices=primary_tier_choices(self.instance.tier),
                                                help_text=_("A tier of the primary tier scheme; empty: any tier."))
        self.fields["management_class"] = forms.ChoiceField(
            label=_("management class"), required=False,
            choices=[("", str(_("Any management class"))), *ManagementClass.choices])
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class CoverageForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_as_of(self) -> Any:
        value = self.cleaned_data.get("as_of") or timezone.localdate()
        validators.validate_business_date(value)
        return value
