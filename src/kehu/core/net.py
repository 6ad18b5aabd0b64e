"""The address of the client that sent a request, for sign-in lockouts and API rate limits."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, or None when the request carries none that is valid.

    ``REMOTE_ADDR``; behind a reverse proxy (``KEHU_BEHIND_PROXY``) the address that proxy appended last to
    ``X-Forwarded-For`` (the entries further left were sent by the client and could be forged).
    """
    if getattr(settings, "KEHU_BEHIND_PROXY", False):
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = _valid(forwarded[-1][:64])
            if address:
                return address
    return _valid(str(request.META.get("REMOTE_ADDR") or "")[:64])
