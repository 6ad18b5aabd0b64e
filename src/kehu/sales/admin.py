from django.contrib import admin

from .models import AssignmentRoute, AssignmentRule, IntakeForm, IntakeSubmission


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("branch", "strategy", "cap", "pool_days", "claim_cap", "is_active")
    filter_horizontal = ("members",)


@admin.register(AssignmentRoute)
class AssignmentRouteAdmin(admin.ModelAdmin):
    list_display = ("name", "branch", "priority", "province_code", "city_code", "strategy", "cap", "is_active")
    list_filter = ("branch", "is_active")
    filter_horizontal = ("members", "products")


@admin.register(IntakeForm)
class IntakeFormAdmin(admin.ModelAdmin):
    list_display = ("name", "branch", "campaign", "public_key", "is_active")
    readonly_fields = ("public_key", "created_at")
    filter_horizontal = ("products",)


@admin.register(IntakeSubmission)
class IntakeSubmissionAdmin(admin.ModelAdmin):
    """Read only: what a visitor sent and the consent text shown are records, not to be edited."""

    list_display = ("created_at", "form", "name", "channel", "outcome", "consent_version")
    list_filter = ("form", "outcome", "channel")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
