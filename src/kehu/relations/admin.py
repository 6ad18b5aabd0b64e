from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import KpiConfiguration


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
