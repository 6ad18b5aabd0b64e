"""Administrator configuration of the customer base: custom attributes and the customer code pattern."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import CustomerKind


class CustomAttribute(models.Model):
    """An administrator-defined customer field; values are kept in ``Customer.custom_attributes`` by ``key``."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=50, unique=True,
                           help_text=_("Letters, digits and underscores; used in imports and the API."))
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=8, choices=Type.choices, default=Type.TEXT)
    choices = models.TextField(_("choices"), blank=True, default="", help_text=_("One choice per line."))
    required = models.BooleanField(_("required"), default=False)
    applies_to = models.CharField(_("applies to"), max_length=16, blank=True, default="",
                                  choices=CustomerKind.choices, help_text=_("Empty: both kinds."))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("custom attribute")
        verbose_name_plural = _("custom attributes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean_value(self, raw: object) -> object:
        """Convert a raw value (from a form, file or JSON) to the stored JSON value, or raise ValidationError."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if self.type == self.Type.NUMBER:
            try:
                number = Decimal(str(raw).strip().replace(",", ""))
            except InvalidOperation:
                raise ValidationError(_("%(label)s must be a number.") % {"label": self.label}) from None
            if not number.is_finite():
                raise ValidationError(_("%(label)s must be a number.") % {"label": self.label})
            return int(number) if number == number.to_integral_value() else float(number)
        if self.type == self.Type.DATE:
            from kehu.core.validators import validate_business_date

            if isinstance(raw, dt.date):
                day = raw.date() if isinstance(raw, dt.datetime) else raw
            else:
                try:
                    day = dt.date.fromisoformat(str(raw).strip()[:10])
                except ValueError:
                    raise ValidationError(
                        _("%(label)s must be a date like 2024-03-15.") % {"label": self.label}
                    ) from None
            try:
                validate_business_date(day)
            except ValidationError as error:
                raise ValidationError(f"{self.label}: {error.messages[0]}") from None
            return day.isoformat()
        if self.type == self.Type.CHOICE:
            text = str(raw).strip()
            if text not in self.choice_list:
                raise ValidationError(
                    _("%(label)s must be one of: %(choices)s.")
                    % {"label": self.label, "choices": ", ".join(self.choice_list)}
                )
            return text
        return str(raw).strip()[:1000]

    @classmethod
    def validate_values(cls, values: dict, *, kind: str) -> dict:
        """Validate a dict of custom attribute values against the active definitions; unknown keys are rejected."""
        definitions = {
            a.key: a for a in cls.objects.filter(is_active=True) if not a.applies_to or a.applies_to == kind
        }
        if not isinstance(values, dict):
            raise ValidationError(_("Custom attributes must be a mapping of key to value."))
        messages: list[str] = []
        cleaned: dict[str, object] = {}
        for key, raw in values.items():
            if key not in definitions:
                messages.append(str(_("Unknown custom attribute “%(key)s”.") % {"key": key}))
                continue
            try:
                value = definitions[key].clean_value(raw)
            except ValidationError as error:
                messages.extend(error.messages)
                continue
            if value is not None:
                cleaned[key] = value
        for key, definition in definitions.items():
            if definition.required and key not in cleaned:
                messages.append(str(_("%(label)s is required.") % {"label": definition.label}))
        if messages:
            raise ValidationError(messages)
        return cleaned


class CodeSettings(models.Model):
    """The pattern customer codes are generated from, and the counter (one row).

    Placeholders: ``{seq}`` (with a format such as ``{seq:08d}``), ``{year}``, ``{month}``, ``{branch}`` (branch code),
    ``{kind}`` (P or O).
    """

    pattern = models.CharField(_("code pattern"), max_length=60, default="KH{seq:08d}")
    next_number = models.PositiveBigIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name = _("customer code settings")
        verbose_name_plural = _("customer code settings")

    def __str__(self) -> str:
        return self.pattern
