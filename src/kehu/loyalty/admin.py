"""Configuration of programmes, levels and earning rules (administrators); the ledger is read-only here."""

from django.contrib import admin

from .models import EarningRule, Level, Programme


class LevelInline(admin.TabularInline):
    model = Level
    extra = 0


class RuleInline(admin.TabularInline):
    model = EarningRule
    extra = 0
    autocomplete_fields = ()


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_default", "points_per_yuan", "window_days", "is_active")
    inlines = [LevelInline, RuleInline]
