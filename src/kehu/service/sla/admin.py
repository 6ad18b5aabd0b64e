"""Administration of business calendars, their days and the SLA policies (registered from ``service.admin``)."""

from __future__ import annotations

from django.contrib import admin

from kehu.service.models import BranchCalendar, BusinessCalendar, CalendarDay, SlaPolicy


class BranchCalendarInline(admin.TabularInline):
    model = BranchCalendar
    extra = 1


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "name", "hours"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "monday", "saturday", "sunday", "use_public_holidays", "is_default"]
    inlines = [BranchCalendarInline, CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "hours", "calendar"]
    list_filter = ["kind", "calendar"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "priority", "type", "first_response_minutes", "resolution_minutes",
                    "warn_percent", "active"]
    list_filter = ["active", "priority", "type"]
