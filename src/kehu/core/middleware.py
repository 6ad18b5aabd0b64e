"""Middleware of the whole site (domain-free).

Refuse, once for the whole site, request input that no view could store or answer: a 4xx instead of a 500.

``HostileInputMiddleware`` checks every request before any view or other middleware reads its body:

- a body larger than ``KEHU_MAX_REQUEST_BYTES`` (by its ``Content-Length``) answers **413**, and so does Django's
  ``RequestDataTooBig`` raised later while reading a body. File uploads (``multipart/form-data``) are not measured
  here: their files are streamed to disk and bounded by the upload views; their other fields count against the same
  limit through Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
- a NUL character in the path answers **400**; in a query string parameter (name or value) **422** under ``/api/`` and
  **400** in the UI, naming the parameter. A search with a NUL is refused rather than searched without it: the user
  sees what was wrong instead of results for something they did not type.
- under ``/api/``, a JSON body whose strings or keys hold a NUL or a lone surrogate (``"\\ud800"``) answers **422**
  with each offending field by its dotted path (``name``, ``tags.3``, ``person.employer``). PostgreSQL cannot store a
  NUL in text or JSON, and a lone surrogate cannot be encoded. The parsed body is kept on the request for the API's
  parser, so it is parsed once.

UI forms need no such step for their bodies: Django's form ``CharField`` refuses NUL characters itself, and form
bodies are decoded with replacement characters, so they cannot carry a lone surrogate.

API answers use the API's error shape (``{"error": {"code", "message", "fields"}}``); UI answers are pages.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .validators import text_problem

logger = logging.getLogger("kehu")

API_PREFIX = "/api/"
PARSED_JSON_ATTRIBUTE = "_kehu_json_body"
_NOT_PARSED = object()
# at most this many offending fields are listed in one answer
FIELDS_LISTED_MAX = 20


def max_request_bytes() -> int:
    return int(settings.KEHU_MAX_REQUEST_BYTES)


def too_large_message() -> str:
    limit = max_request_bytes()
    if limit >= 1024 * 1024:
        size = _("%(size).1f MiB") % {"size": limit / (1024 * 1024)}
    else:
        size = _("%(size)s KiB") % {"size": max(1, limit // 1024)}
    return _("The request is too large: at most %(size)s can be sent at once.") % {"size": size}


def _api_error(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> HttpResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def too_large_response(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(413, "request_too_large", too_large_message())
    return _page(request, 413, _("Too much data"), too_large_message())


def bad_strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(dotted path, message)`` of each string in parsed JSON that cannot be stored (keys count for their object)."""
    if isinstance(data, str):
        problem = text_problem(data)
        if problem:
            yield path, problem
    elif isinstance(data, dict):
        for key, value in data.items():
            key_problem = text_problem(key) if isinstance(key, str) else None
            if key_problem:
                yield path, key_problem
                continue
            yield from bad_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from bad_strings(value, f"{path}.{index}" if path else str(index))


def _collect(pairs: Iterator[tuple[str, str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, message in pairs:
        if len(fields) >= FIELDS_LISTED_MAX and name not in fields:
            break
        messages = fields.setdefault(name or "__all__", [])
        if message not in messages:
            messages.append(message)
    return fields


def _invalid_message(fields: dict[str, list[str]]) -> str:
    return _("Some values are not valid: %(fields)s.") % {"fields": ", ".join(fields)}


class HostileInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large_response(request)
        return None

    @staticmethod
    def _bad_parameters(request: HttpRequest) -> Iterator[tuple[str, str]]:
        for key, values in request.GET.lists():
            problem = text_problem(key)
            if problem:
                yield key.replace("\x00", ""), problem
                continue
            for value in values:
                problem = text_problem(value)
                if problem:
                    yield key, problem

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        content_type = request.META.get("CONTENT_TYPE", "")
        if not content_type.startswith("multipart/form-data"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_request_bytes():
                return too_large_response(request)

        api = _is_api(request)
        if "\x00" in request.path:
            message = _("The address contains a null character.")
            if api:
                return _api_error(400, "bad_request", message)
            return _page(request, 400, _("Bad request"), message)

        query = _collect(self._bad_parameters(request))
        if query:
            if api:
                return _api_error(422, "validation_error", _invalid_message(query), query)
            return _page(request, 400, _("Bad request"), " ".join(
                f"{name}: {' '.join(messages)}" for name, messages in query.items()))

        if api and request.method in {"POST", "PUT", "PATCH"} and request.content_type == "application/json":
            try:
                body = request.body
            except RequestDataTooBig:
                return too_large_response(request)
            if body:
                try:
                    data = json.loads(body)
                except ValueError:
                    return None  # the API answers its own 400 for a body that is not JSON
                setattr(request, PARSED_JSON_ATTRIBUTE, data)
                fields = _collect(bad_strings(data))
                if fields:
                    return _api_error(422, "validation_error", _invalid_message(fields), fields)
        return None


def parsed_json_body(request: HttpRequest) -> Any:
    """The body parsed by the middleware, or ``_NOT_PARSED``."""
    return getattr(request, PARSED_JSON_ATTRIBUTE, _NOT_PARSED)


def was_parsed(value: Any) -> bool:
    return value is not _NOT_PARSED


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


SESSION_LAST_SEEN_KEY = "_kehu_last_seen"
# the session's last-seen time is written at most this often (a write per request would cost a query per request)
LAST_SEEN_WRITE_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Sign a user out after ``KEHU_SESSION_IDLE_MINUTES`` without a request.

    The session keeps the time of its last request (rewritten at most once a minute). A request after the idle time
    finds the session flushed: a page is redirected to the sign-in page, which says why; an API call with the session
    cookie answers 401 like any call without credentials. Requests with an API token have no session and are not
    concerned.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login
        from django_htmx.http import HttpResponseClientRedirect

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY)
            idle_seconds = int(settings.KEHU_SESSION_IDLE_MINUTES) * 60
            if isinstance(last_seen, int) and now - last_seen > idle_seconds:
                logout(request)
                if _is_api(request):
                    return self.get_response(request)
                messages.info(request, _("You were signed out after %(minutes)s minutes without activity. "
                                         "Please sign in again.") % {"minutes": settings.KEHU_SESSION_IDLE_MINUTES})
                response = redirect_to_login(request.get_full_path())
                if request.headers.get("HX-Request"):
                    # htmx would swap the sign-in page into a fragment: the whole page goes there instead
                    return HttpResponseClientRedirect(response["Location"])
                return response
            if not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_WRITE_SECONDS:
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


def database_unavailable_message() -> str:
    return _("The database is busy or could not be reached, so this was not done. Please try again in a moment.")


# seconds a client is asked to wait before retrying after a 503
DATABASE_RETRY_AFTER_SECONDS = 5


def is_database_unavailable(exception: BaseException) -> bool:
    """A lock or statement timeout, a killed or lost connection: the database, not the request, is at fault."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exception, OperationalError | InterfaceError)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        response = _api_error(503, "database_unavailable", database_unavailable_message())
    else:
        try:
            response = _page(request, 503, _("Please try again"), database_unavailable_message())
        except Exception as error:  # the page itself needs the database (the user's permissions for the menu)
            if not is_database_unavailable(error):
                raise
            response = HttpResponse(database_unavailable_message(), status=503,
                                    content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A page whose query waited too long for a lock or ran past the statement timeout (PostgreSQL's ``lock_timeout``
    and ``statement_timeout``, ``KEHU_DB_*_TIMEOUT_MS``), or whose connection was lost, answers **503** with
    ``Retry-After`` instead of a 500. The API answers the same in its error shape (``kehu.api.errors``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)
