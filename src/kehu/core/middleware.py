"""Middleware of the whole site (domain-free)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PrivateResponsesMiddleware:
    """Responses to a signed-in user (session or API token) are never stored by a browser or a proxy.

    Every page and API answer a staff member gets may carry personal data (revealed phones and ID numbers, exports,
    import error files, addresses): ``Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private``,
    ``Expires`` in the past and ``Pragma: no-cache`` for HTTP/1.0 caches. A view that set ``Cache-Control`` itself
    keeps its own. Static files are answered by WhiteNoise before this middleware and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
