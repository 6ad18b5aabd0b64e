"""Administration of relationship maintenance: evaluation templates with their indicators (weights must add up to
100; a source is ``manual`` or a registered computed source)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import CadenceRule, EvaluationIndicator, EvaluationTemplate, KpiConfiguration


class IndicatorForm(forms.ModelForm):
    source = forms.ChoiceField(choices=())

    class Meta:
        model = EvaluationIndicator
        fields = ["position", "name", "weight", "max_score", "source", "target", "default_score", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .evaluations.sources import source_choices

        super().__init__(*args, **kwargs)
        self.fields["source"].choices = source_choices()  # type: ignore[attr-defined]


class IndicatorFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        total = Decimal(0)
        for form in self.forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE"):
                total += form.cleaned_data.get("weight") or 0
        if total != 100:
            raise ValidationError(_("The weights add up to %(sum)s; they must add up to 100.") % {"sum": total})


class IndicatorInline(admin.TabularInline):
    model = EvaluationIndicator
    form = IndicatorForm
    formset = IndicatorFormSet
    extra = 0


@admin.register(EvaluationTemplate)
class EvaluationTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "periodic", "maintain_from", "terminate_below")
    exclude = ("version",)
    inlines = [IndicatorInline]

    def save_model(self, request: Any, obj: EvaluationTemplate, form: Any, change: bool) -> None:
        obj.version = (obj.version or 0) + 1 if change else 1
        super().save_model(request, obj, form, change)


@admin.register(KpiConfiguration)
class KpiConfigurationAdmin(admin.ModelAdmin):
    """The one row of staff KPI settings: quotas, the two halves' points, the contribution target and the cap."""

    list_display = ("__str__", "weekly_quota", "monthly_quota", "information_weight", "contribution_weight",
                    "contribution_share", "bonus_cap", "updated_at")
    fields = ("weekly_quota", "monthly_quota", "information_weight", "contribution_weight", "contribution_share",
              "bonus_cap")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("relations.change_kpiconfiguration") and not KpiConfiguration.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    """Cadence rules (also on the settings page ``/relations/cadence/``, which checks versions)."""

    list_display = ("tier", "management_class", "channel", "every", "unit", "title", "is_active")
    list_filter = ("is_active", "channel", "unit", "management_class")
    search_fields = ("tier", "title")
    readonly_fields = ("version", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)
