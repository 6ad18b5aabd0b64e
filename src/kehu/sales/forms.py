"""Forms of the lead pages (they only parse; the services check and write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.core.validators import validate_business_date
from kehu.org.models import User
from kehu.purchases.models import Product

from .models import Answer, DisqualifyReason, Lead, LeadContact, LeadKind, LeadSource, LeadStatus, Timing


class LeadForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=LeadKind.choices)
    name = forms.CharField(label=_("name"), max_length=200)
    mobile = forms.CharField(label=_("mobile"), max_length=40, required=False)
    email = forms.CharField(label=_("email"), max_length=254, required=False)
    company = forms.CharField(label=_("company"), max_length=200, required=False)
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=40, required=False)
    source = forms.ChoiceField(label=_("source"), choices=LeadSource.choices)
    campaign = forms.CharField(label=_("campaign"), max_length=100, required=False)
    products = forms.ModelMultipleChoiceField(label=_("products of interest"), required=False,
                                              queryset=Product.objects.none())
    money = forms.ChoiceField(label=_("money"), choices=Answer.choices, initial=Answer.UNKNOWN)
    authority = forms.ChoiceField(label=_("authority"), choices=Answer.choices, initial=Answer.UNKNOWN)
    need = forms.ChoiceField(label=_("need"), choices=Answer.choices, initial=Answer.UNKNOWN)
    man_notes = forms.CharField(label=_("notes on money, authority and need"), max_length=2000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))
    timing = forms.ChoiceField(label=_("timing"), choices=Timing.choices, initial=Timing.UNKNOWN)
    notes = forms.CharField(label=_("notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]


class LeadEditForm(LeadForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    @classmethod
    def for_lead(cls, lead: Lead) -> LeadEditForm:
        initial = {name: getattr(lead, name) for name in ("kind", "name", "company", "credit_code", "source",
                                                          "campaign", "money", "authority", "need", "man_notes",
                                                          "timing", "notes", "email", "version")}
        initial["mobile"] = lead.mobile
        initial["products"] = list(lead.products.all())
        return cls(initial=initial)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("new status"), choices=LeadStatus.choices)
    reason = forms.ChoiceField(label=_("reason"), choices=[("", "—"), *DisqualifyReason.choices], required=False)
    note = forms.CharField(label=_("note"), max_length=1000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"), choices=LeadContact.Channel.choices)
    summary = forms.CharField(label=_("summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("next step"), max_length=200, required=False)
    next_step_due = forms.DateField(label=_("next step due"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}),
                                    validators=[validate_business_date])


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False,
                                   empty_label=_("— the shared pool —"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("status"), choices=[("", _("All")), *LeadStatus.choices], required=False)
    source = forms.ChoiceField(label=_("source"), choices=[("", _("All")), *LeadSource.choices], required=False)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False,
                                   empty_label=_("All"))

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class HandOverForm(forms.Form):
    leaving = forms.ModelChoiceField(label=_("Member of staff leaving"), queryset=User.objects.none())
    leads_to = forms.ModelChoiceField(label=_("Their open leads go to"), queryset=User.objects.none())
    customers_to = forms.ModelChoiceField(label=_("Their customers go to"), queryset=User.objects.none(),
                                          required=False, empty_label=_("— the same person —"))
    tasks_to = forms.ModelChoiceField(label=_("Their open tasks go to"), queryset=User.objects.none(),
                                      required=False, empty_label=_("— the same person —"))
    reason = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args: Any, leaving: QuerySet[User], staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leaving"].queryset = leaving  # type: ignore[attr-defined]
        for name in ("leads_to", "customers_to", "tasks_to"):
            self.fields[name].queryset = staff  # type: ignore[attr-defined]
