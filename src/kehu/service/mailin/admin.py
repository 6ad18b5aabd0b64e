"""The log of received e-mail in the admin: read only (it is written by the ingest service alone)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from ..models import InboundEmail


class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "subject", "mailbox", "status", "ticket"]
    list_filter = ["status", "mailbox"]
    search_fields = ["message_id", "sender", "subject"]
    raw_id_fields = ["ticket", "ticket_message", "team"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


def register_admin() -> None:
    if not admin.site.is_registered(InboundEmail):
        admin.site.register(InboundEmail, InboundEmailAdmin)
