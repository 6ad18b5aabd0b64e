from django.contrib import admin

from .models import ApprovalAuthority


@admin.register(ApprovalAuthority)
class ApprovalAuthorityAdmin(admin.ModelAdmin):
    list_display = ("kind", "role", "user", "max_amount")
    list_filter = ("kind", "role")
