"""Forms of the work pages (thin: the services check again)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core import validators
from kehu.org.models import User

from .models import Task
from .registry import completion_channel_choices, task_kind_choices


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"))
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}),
                               validators=[validators.validate_business_date])
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Task.Priority.choices, coerce=int,
                                      initial=Task.Priority.NORMAL)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False,
                                   help_text=_("Empty: yourself."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = task_kind_choices()
        if staff is not None:
            self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.ChoiceField(label=_("Contact made by"), required=False)
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction"), required=False, coerce=int, empty_value=None,
        choices=[("", "—"), *[(str(n), str(n)) for n in range(1, 6)]])
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, task: Task | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = completion_channel_choices()
        cast(forms.ChoiceField, self.fields["channel"]).choices = [("", "—"), *choices]
        if task is not None:
            from .registry import task_kinds

            kind = task_kinds.get(task.kind)
            if kind is not None and kind.contact_channel:
                self.fields["channel"].initial = kind.contact_channel
            self.fields["version"].initial = task.version


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
