"""The public lead form's fields (checked again, and filed, by ``intake.services``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import IntakeForm


class PublicLeadForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    province = forms.CharField(label=_("Province"), max_length=40, required=False)
    city = forms.CharField(label=_("City"), max_length=40, required=False)
    products = forms.TypedMultipleChoiceField(label=_("Interested in"), coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    message = forms.CharField(label=_("Message"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.BooleanField(label=_("I agree"), required=True)
    consent_version = forms.CharField(widget=forms.HiddenInput, max_length=16, required=False)
    # the honeypot: hidden from people (off screen, out of the tab order); a bot filling it is thanked and ignored
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args: Any, intake: IntakeForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(product.pk, product.name) for product in intake.products.filter(is_active=True).order_by("name")]
        if choices:
            products = self.fields["products"]
            assert isinstance(products, forms.TypedMultipleChoiceField)
            products.choices = choices
        else:
            del self.fields["products"]
