"""API rate limits (django-ninja's throttling), read from the settings at each request.

- ``KEHU_API_RATE_TOKEN``: requests per API token (or per signed-in session), counted on every authenticated call.
- ``KEHU_API_RATE_ANON``: requests without valid credentials per client address. Each 401 counts; once an address is
  over the limit its calls answer 429 before any token is looked up, until the window has room again.

Over a limit the answer is 429 in the API's error shape with ``Retry-After``. The counts live in the ``ratelimit``
cache (Redis, shared by every process, when ``KEHU_REDIS_URL`` is set; else each process counts for itself).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from kehu.core.net import client_address


class SettingRateThrottle(SimpleRateThrottle):
    """A ninja ``SimpleRateThrottle`` whose rate is the named setting, read at each request (tests change it)."""

    setting_name = ""

    def __init__(self) -> None:  # the rate is parsed per request, not once at import
        self.rate = None

    @property  # type: ignore[override]
    def cache(self):  # noqa: ANN201 - Django's cache object
        return caches["ratelimit"]

    def _load_rate(self) -> None:
        self.rate = str(getattr(settings, self.setting_name))
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request) or "unknown"

    def allow_request(self, request: HttpRequest) -> bool:
        self._load_rate()
        return super().allow_request(request)


class TokenRateThrottle(SettingRateThrottle):
    """Requests per API token, or per session for the staff UI's own calls (``KEHU_API_RATE_TOKEN``)."""

    scope = "token"
    setting_name = "KEHU_API_RATE_TOKEN"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if authorization:
            ident = "t" + hashlib.sha256(authorization.encode("utf-8", "replace")).hexdigest()
        else:
            session = getattr(request, "session", None)
            session_key = getattr(session, "session_key", None)
            if not session_key:
                return None
            ident = "s" + hashlib.sha256(session_key.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(SettingRateThrottle):
    """Requests without valid credentials per client address (``KEHU_API_RATE_ANON``)."""

    scope = "anon"
    setting_name = "KEHU_API_RATE_ANON"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked_for(self, request: HttpRequest) -> float | None:
        """Seconds until the address may try again when it is over the limit now (nothing is counted), else None."""
        self._load_rate()
        key = self.get_cache_key(request)
        assert self.duration is not None and self.num_requests is not None
        now = time.time()
        history = [moment for moment in self.cache.get(key, []) if moment > now - self.duration]
        if len(history) < self.num_requests:
            return None
        return max(1.0, self.duration - (now - history[-1]))

    def wait_seconds(self) -> float:
        """After ``allow_request`` refused: seconds until the oldest counted request leaves the window."""
        assert self.duration is not None
        return max(1.0, self.duration - (self.now - self.history[-1])) if self.history else float(self.duration)


address_throttle = AddressRateThrottle()
