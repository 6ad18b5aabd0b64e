"""Configuration of the customer information base: custom attributes, code pattern, tags; read-only access log and
merge records."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CodeSettings, CustomAttribute, Customer, MergeRecord, PersonalDataAccess, Tag


@admin.register(CustomAttribute)
class CustomAttributeAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "type", "required", "applies_to", "is_active", "position"]
    list_editable = ["position", "is_active"]
    list_filter = ["type", "required", "is_active"]


@admin.register(CodeSettings)
class CodeSettingsAdmin(admin.ModelAdmin):
    list_display = ["pattern", "next_number"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not CodeSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "color"]
    search_fields = ["name"]


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    """Read-only view for administrators; customers are edited in the staff UI so services apply their rules."""

    list_display = ["code", "name", "kind", "branch", "owner", "lifecycle_status"]
    list_filter = ["kind", "lifecycle_status", "management_class"]
    search_fields = ["code", "name", "name_pinyin"]
    list_select_related = ["branch", "owner"]
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ["accessed_at", "user", "customer", "action", "fields", "reason", "ip_address"]
    list_filter = ["action"]
    search_fields = ["user__username", "customer__code", "reason"]
    list_select_related = ["user", "customer"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(MergeRecord)
class MergeRecordAdmin(admin.ModelAdmin):
    """The audit record of merges: looked at, never edited here."""

    list_display = ["merged_code", "merged_name", "kept_customer", "merged_by", "merged_at"]
    search_fields = ["merged_code", "merged_name"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
