from django.contrib import admin

from .models import AssignmentRule


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("branch", "strategy", "cap", "pool_days", "claim_cap", "is_active")
    filter_horizontal = ("members",)
