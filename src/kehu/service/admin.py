from django.contrib import admin

from .models import ServiceTeam, TicketCategory


@admin.register(ServiceTeam)
class ServiceTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "lead", "email", "active"]
    filter_horizontal = ["members"]


@admin.register(TicketCategory)
class TicketCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "priority_raise", "active"]

from .sla import admin as sla_admin  # noqa: E402,F401  (calendars, days, SLA policies)
