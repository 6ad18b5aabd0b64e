"""Forms of the ticket pages (they only parse; the services check and write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.org.models import User

from .models import (
    Channel,
    Compensation,
    Priority,
    ServiceTeam,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketType,
)

INT_MAX = 2**31 - 1


class TicketFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Number or subject")}))
    status = forms.ChoiceField(label=_("status"), choices=[("", "—"), *TicketStatus.choices], required=False)
    type = forms.ChoiceField(label=_("type"), choices=[("", "—"), *TicketType.choices], required=False)
    team = forms.ModelChoiceField(label=_("team"), queryset=ServiceTeam.objects.none(), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    open = forms.BooleanField(label=_("Open only"), required=False)

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class TicketForm(forms.Form):
    type = forms.ChoiceField(label=_("type"), choices=TicketType.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)
    caller_name = forms.CharField(label=_("caller's name"), max_length=100, required=False)
    caller_phone = forms.CharField(label=_("caller's number"), max_length=20, required=False)
    caller_email = forms.EmailField(label=_("caller's e-mail"), required=False)
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), max_length=20000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ModelChoiceField(label=_("category"), queryset=TicketCategory.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("team"), queryset=ServiceTeam.objects.none(), required=False)

    def __init__(self, *args: Any, teams: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]


class TicketEditForm(forms.Form):
    subject = forms.CharField(label=_("subject"), max_length=200)
    category = forms.ModelChoiceField(label=_("category"), queryset=TicketCategory.objects.none(), required=False)
    priority = forms.TypedChoiceField(label=_("priority"), choices=Priority.choices, coerce=int)
    team = forms.ModelChoiceField(label=_("team"), queryset=ServiceTeam.objects.none(), required=False)
    assignee = forms.ModelChoiceField(label=_("assignee"), queryset=User.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=INT_MAX)

    def __init__(self, *args: Any, teams: Any, categories: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=TicketStatus.choices)
    comment = forms.CharField(label=_("comment"), max_length=5000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=INT_MAX)


class MessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=[(TicketMessage.Kind.REPLY, TicketMessage.Kind.REPLY.label),
                                                      (TicketMessage.Kind.NOTE, TicketMessage.Kind.NOTE.label)])
    body = forms.CharField(label=_("message"), max_length=50000, widget=forms.Textarea(attrs={"rows": 3}))


class MergeForm(forms.Form):
    duplicate = forms.CharField(label=_("duplicate ticket number"), max_length=20)


class CompensationForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Compensation.Kind.choices)
    cost = forms.DecimalField(label=_("cost"), min_value=0, max_digits=12, decimal_places=2)
    description = forms.CharField(label=_("description"), max_length=500, required=False)
