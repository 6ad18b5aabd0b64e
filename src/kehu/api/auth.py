"""API authentication: a personal token (``Authorization: Bearer <key>``) or the staff UI's logged-in session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.security import APIKeyCookie, HttpBearer

from kehu.org.services import api_token_authenticate

from .throttling import address_throttle


class TokenAuth(HttpBearer):
    """A personal API token created in the UI or the admin."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # an address over its limit of calls without valid credentials (KEHU_API_RATE_ANON) tries no more tokens
        wait = address_throttle.blocked_for(request)
        if wait is not None:
            raise Throttled(wait=wait)  # type: ignore[arg-type]
        user = api_token_authenticate(key=token.strip())
        if user is not None:
            # the audit history (django-simple-history) records request.user as the author of changes
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The session of a user logged in to the staff UI, so its pages can call the API; writes need the CSRF token.

    Unlike ninja's ``django_auth`` the CSRF check is made only for a logged-in session, so a client without any
    credentials gets 401 rather than a CSRF 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated and user.is_active:
            return user
        return None
