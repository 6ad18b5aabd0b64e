"""The contact form of the 360 page (thin: the service checks again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core import validators
from kehu.org.models import User

from .models import ContactChannel, Direction


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices, initial=ContactChannel.PHONE)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.OUTBOUND)
    occurred_at = forms.DateTimeField(label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                      validators=[validators.validate_past_business_date])
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), required=False, min_value=0,
                                          max_value=24 * 60)
    summary = forms.CharField(label=_("Summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    feedback = forms.CharField(label=_("Customer's feedback"), required=False, max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"), required=False, coerce=int, empty_value=None,
        choices=[("", "—"), ("5", _("5 · very satisfied")), ("4", _("4 · satisfied")), ("3", _("3 · neutral")),
                 ("2", _("2 · dissatisfied")), ("1", _("1 · very dissatisfied"))])
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_due = forms.DateField(label=_("Next step due"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}),
                                    validators=[validators.validate_business_date],
                                    help_text=_("With a date, the next step becomes a task."))
    staff = forms.ModelChoiceField(label=_("Staff"), queryset=User.objects.none(), required=False,
                                   help_text=_("Empty: yourself."))
    attachments = MultipleFileField(label=_("Attachments"), required=False,
                              help_text=_("PDF, images, Office documents or text; at most 10 MB each."))

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0)
                                     .strftime("%Y-%m-%dT%H:%M"))
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
