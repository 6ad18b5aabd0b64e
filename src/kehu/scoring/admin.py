"""Configuration of customer value: tier schemes and the scoring settings; runs and alerts read-only."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import schemes
from .models import Alert, ScoringConfiguration, ScoringRun, TierScheme, tier_label


class TierSchemeForm(forms.ModelForm):
    class Meta:
        model = TierScheme
        fields = ["name", "label", "description", "kind", "is_primary", "is_active", "position", "parameters"]
        widgets = {"parameters": forms.Textarea(attrs={"rows": 22, "cols": 90, "class": "vLargeTextField",
                                                       "style": "font-family: monospace"})}

    def _get_validation_exclusions(self) -> set[str]:
        """Marking a scheme primary is allowed while another one is (saving moves the flag, see the service), so the
        database's one-primary constraint is not checked here; ``TierScheme.clean`` still checks the flag's rules."""
        return super()._get_validation_exclusions() | {"is_primary"}  # type: ignore[misc]


@admin.register(TierScheme)
class TierSchemeAdmin(admin.ModelAdmin):
    """Schemes are validated by ``TierScheme.clean``; saving goes through ``services.tier_scheme_save`` so that
    marking one primary takes the flag from the other."""

    form = TierSchemeForm
    list_display = ["display_label", "name", "kind", "is_primary", "is_active", "position", "tier_list"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "is_active"]
    ordering = ["position", "id"]
    actions = ["make_primary"]
    readonly_fields = ["example_parameters"]
    fieldsets = [
        (None, {"fields": ["name", "label", "description", "kind", "is_primary", "is_active", "position"]}),
        (_("Parameters"), {"fields": ["parameters", "example_parameters"],
                           "description": _("Leave the parameters empty to start from the defaults of the kind.")}),
    ]

    @admin.display(description=_("label"))
    def display_label(self, obj: TierScheme) -> str:
        return tier_label(obj.label)

    @admin.display(description=_("tiers"))
    def tier_list(self, obj: TierScheme) -> str:
        try:
            return format_html_join(" · ", "<b>{}</b> {}", ((t.code, tier_label(t.label)) for t in obj.tiers))
        except (KeyError, TypeError):
            return "—"

    @admin.display(description=_("defaults of each kind"))
    def example_parameters(self, obj: TierScheme | None) -> str:
        blocks = format_html_join(
            "", "<p><b>{}</b></p><pre style='font-size:11px'>{}</pre>",
            ((kind, json.dumps(parameters, ensure_ascii=False, indent=2))
             for kind, parameters in schemes.DEFAULT_PARAMETERS.items()),
        )
        return format_html("<details><summary>{}</summary>{}</details>", _("Show"), blocks)

    def save_model(self, request: HttpRequest, obj: TierScheme, form: Any, change: bool) -> None:
        from . import services  # on use: services load the numerics (scipy), which `kehu` commands seldom need

        services.tier_scheme_save(scheme=obj)

    @admin.action(description=_("Make the selected scheme primary"))
    def make_primary(self, request: HttpRequest, queryset: QuerySet[TierScheme]) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one scheme."), messages.ERROR)
            return
        from . import services

        try:
            scheme = services.tier_scheme_set_primary(scheme=queryset.get())
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(request, _("%(scheme)s is now the primary scheme; the next run sets the customers' tier.")
                          % {"scheme": scheme})

    def has_delete_permission(self, request: HttpRequest, obj: TierScheme | None = None) -> bool:
        if obj is not None and obj.is_primary:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ScoringConfiguration)
class ScoringConfigurationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "period_days", "rfm_window_days", "clv_horizon_months", "discount_rate",
                    "p_alive_threshold"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ScoringConfiguration.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    """Runs are started from the staff UI, the API, the command line or the schedule; shown here read-only."""

    list_display = ["as_of", "status", "trigger", "requested_by", "customers", "changes", "alerts", "started_at",
                    "duration_seconds"]
    list_filter = ["status", "trigger"]
    date_hierarchy = "as_of"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["customer", "reason", "as_of", "status", "owner", "handled_by"]
    list_filter = ["reason", "status", "as_of"]
    list_select_related = ["customer", "owner", "handled_by"]
    raw_id_fields = ["customer", "owner", "handled_by", "run"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
