"""Configuration views of imports: saved mappings (editable); jobs (read-only audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import ImportJob, ImportMapping


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "target", "key", "created_by", "updated_at"]
    list_filter = ["target"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit records: looked at, never edited here."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "original_name", "target", "status", "created", "updated", "unchanged", "failed", "user",
                    "created_at"]
    list_filter = ["target", "status", "mode"]
    search_fields = ["original_name"]
