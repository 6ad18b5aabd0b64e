"""Configuration site for the organisation: branches, staff and API tokens."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Branch, User
from .services import api_token_create, branch_refresh_paths


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "code", "kind", "province", "city", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    ordering = ["path"]

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, branch: Branch) -> str:
        return "— " * branch.depth + branch.name

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        # keep the materialised paths of this branch and its subtree right after a create or a move
        branch_refresh_paths()


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "display_name", "staff_number", "email", "role_names", "is_active"]
    list_filter = ["groups", "is_active", "branches"]
    search_fields = ["username", "display_name", "staff_number", "email"]
    filter_horizontal = ["groups", "user_permissions", "branches"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Kehu"), {"fields": ("display_name", "staff_number", "mobile", "branches")}),
    )

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "is_active", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = api_token_create(user=obj.user, name=obj.name)
        obj.pk = token.pk
        self.message_user(request, _("Token created. Copy the key now, it is not shown again: %(key)s") % {"key": key})
