"""Forms of the set-up pages (they parse; ``setup.services`` checks and writes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.org.models import Branch, User
from kehu.service.models import TicketCategory


class TeamForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    branch = forms.ModelChoiceField(label=_("branch"), queryset=Branch.objects.none())
    lead = forms.ModelChoiceField(label=_("team lead"), queryset=User.objects.none(), required=False)
    members = forms.ModelMultipleChoiceField(label=_("members"), queryset=User.objects.none(), required=False,
                                             widget=forms.CheckboxSelectMultiple)
    email = forms.EmailField(label=_("team address"), required=False, max_length=254,
                             help_text=_("Mail sent to this address becomes tickets of the team."))

    def __init__(self, *args: Any, branches: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        self.fields["lead"].queryset = staff  # type: ignore[attr-defined]
        self.fields["members"].queryset = staff  # type: ignore[attr-defined]


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    parent = forms.ModelChoiceField(label=_("parent"), queryset=TicketCategory.objects.none(), required=False)
    priority_raise = forms.IntegerField(label=_("raises the priority by"), min_value=0, max_value=2, initial=0,
                                        help_text=_("Steps above the priority the customer's tier gives (0–2)."))

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
