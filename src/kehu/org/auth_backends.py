"""The sign-in lockout in front of Django's ModelBackend (django-axes)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' check, which refuses a locked-out user name and address before any password is compared.

    Every sign-in over the web (the sign-in page, the admin's) passes the request. A call without one is not a web
    sign-in (``kehu shell``, the test client's ``login()``): there is no address to lock, so this backend stands
    aside instead of refusing it as django-axes does.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,  # type: ignore[override]
                     password: str | None = None, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
