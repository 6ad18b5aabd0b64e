from django.contrib import admin

from .models import CadenceRule


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
