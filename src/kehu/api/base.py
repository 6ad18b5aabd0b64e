"""The NinjaAPI subclass that keeps the one error shape also outside the operations (405, unknown paths)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.parser import Parser

from kehu.core.middleware import parsed_json_body, was_parsed

from .errors import error_response


class KehuParser(Parser):
    """Ninja's JSON parser, reusing the body the ``HostileInputMiddleware`` has already parsed and checked."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = parsed_json_body(request)
        return data if was_parsed(data) else super().parse_body(request)


class KehuNinjaAPI(NinjaAPI):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parser", KehuParser())
        super().__init__(*args, **kwargs)

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._method_not_allowed_as_json(pattern.callback)
        patterns.append(re_path(r"^", csrf_exempt(self._unknown_path), name="unknown-path"))
        return patterns

    def _method_not_allowed_as_json(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                allowed = response["Allow"]
                response = error_response(self, request, status=405, code="method_not_allowed",
                                          message=_("This method is not allowed here."))
                response["Allow"] = allowed
            return response

        return wrapper

    def _unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return error_response(self, request, status=404, code="not_found", message=_("Not found."))
