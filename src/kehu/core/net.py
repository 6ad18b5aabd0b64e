"""The address of the client that sent a request, for sign-in lockouts and API rate limits."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """``REMOTE_ADDR``; behind a reverse proxy (``KEHU_BEHIND_PROXY``) the address that proxy appended last to
    ``X-Forwarded-For`` (addresses further left were sent by the client and could be forged)."""
    if getattr(settings, "KEHU_BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]
