"""One JSON shape for every API error, and the exception handlers that produce it.

Every error answers ``{"error": {"code": "...", "message": "...", "fields": {"field": ["message", ...]}}}``.
``fields`` names the offending input: body fields by their dotted path in the request body (``person.id_number``,
``customer_ids.2``), query parameters by their name (``phone``, ``limit``). Messages are in the request's language.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from kehu.core.exceptions import ConcurrentUpdateError, IdempotencyConflictError
from kehu.core.middleware import DATABASE_RETRY_AFTER_SECONDS, database_unavailable_message

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("kehu.api")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}
    current_version: int | None = None


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorBody


# Error responses every authenticated operation may give; merged into each operation's ``response`` for the docs.
COMMON_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut,
                                          429: ErrorOut, 503: ErrorOut}

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    422: "validation_error",
    429: "throttled",
}


def error_response(
    api: NinjaAPI, request: HttpRequest, *, status: int, code: str, message: str,
    fields: Mapping[str, list[str]] | None = None, **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message, "fields": dict(fields or {})}
    body.update(extra)
    return api.create_response(request, {"error": body}, status=status)


# Pydantic error types → messages. Where Django has the same message its msgid is reused, so the existing
# translations of Django's catalogue apply.
def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"decimal_parsing", "decimal_type", "float_parsing", "float_type", "finite_number"}:
        return _("Enter a number.")
    if kind in {"date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"}:
        return _("Enter a valid date.")
    if kind in {"datetime_parsing", "datetime_type", "datetime_from_date_parsing"}:
        return _("Enter a valid date/time.")
    if kind in {"enum", "literal_error"}:
        return _("Select a valid choice. That choice is not one of the available choices.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind == "string_type":
        return _("Enter a text value.")
    if kind == "list_type":
        return _("Enter a list of values.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Enter an object.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in {"string_too_long", "too_long"}:
        return _("Ensure this value has at most %(max)s characters or items.") % {
            "max": context.get("max_length", "?")
        }
    if kind in {"string_too_short", "too_short"}:
        return _("Ensure this value has at least %(min)s characters or items.") % {
            "min": context.get("min_length", "?")
        }
    if kind == "greater_than_equal":
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {"limit_value": context.get("ge")}
    if kind == "less_than_equal":
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": context.get("le")}
    if kind == "greater_than":
        return _("Ensure this value is greater than %(limit_value)s.") % {"limit_value": context.get("gt")}
    if kind == "less_than":
        return _("Ensure this value is less than %(limit_value)s.") % {"limit_value": context.get("lt")}
    # Django's DecimalValidator messages, with their translations
    if kind == "decimal_max_digits":
        count = int(context.get("max_digits") or 0)
        return ngettext("Ensure that there are no more than %(max)s digit in total.",
                        "Ensure that there are no more than %(max)s digits in total.", count) % {"max": count}
    if kind == "decimal_max_places":
        count = int(context.get("decimal_places") or 0)
        return ngettext("Ensure that there are no more than %(max)s decimal place.",
                        "Ensure that there are no more than %(max)s decimal places.", count) % {"max": count}
    if kind == "decimal_whole_digits":
        count = int(context.get("whole_digits") or 0)
        return ngettext("Ensure that there are no more than %(max)s digit before the decimal point.",
                        "Ensure that there are no more than %(max)s digits before the decimal point.",
                        count) % {"max": count}
    if kind in {"json_invalid", "json_type"}:
        return _("The request body is not valid JSON.")
    if kind == "value_error" and "error" in context:
        return str(context["error"]).removeprefix("Value error, ")
    return str(error.get("msg", _("This value is not valid.")))


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "person", "id_number") → "person.id_number"; ("query", "limit") → "limit"."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[2:]  # the source and the body parameter's name
    elif parts:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or NON_FIELD_ERRORS


def fields_from_ninja(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(_pydantic_message(error))
    return fields


def fields_from_django(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(message) for message in messages] for field, messages in error.message_dict.items()}
    return {}


@contextmanager
def renamed_fields(mapping: Mapping[str, str] | None = None, *, prefixes: Mapping[str, str] | None = None) -> Iterator[
    None
]:
    """Re-raise a Django ValidationError from a service with field names as the request body spells them.

    ``mapping`` renames fields (``{"branch": "branch_id"}``); ``prefixes`` maps a field to the nested object it
    belongs to (``{"id_number": "person"}`` gives ``person.id_number``).
    """
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        renamed: dict[str, list[str]] = {}
        for field, messages in error.message_dict.items():
            name = (mapping or {}).get(field, field)
            if prefixes and field in prefixes:
                name = f"{prefixes[field]}.{field}"
            renamed.setdefault(name, []).extend(messages)
        raise DjangoValidationError(renamed) from error


def _validation_message(fields: Mapping[str, list[str]], fallback: list[str] | None = None) -> str:
    if fallback:
        return " ".join(fallback)
    return _("Some values are not valid: %(fields)s.") % {"fields": ", ".join(fields)} if fields else _(
        "The request is not valid."
    )


# how the request body names the service's fields of a transaction (for the 409's ``fields``)
_IDEMPOTENCY_FIELD_NAMES = {"customer": "customer_id", "product": "product_id", "branch": "branch_id"}


def register_exception_handlers(api: NinjaAPI) -> None:
    """Make every error, ninja's and the services', answer in the one shape."""

    @api.exception_handler(NinjaValidationError)
    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = fields_from_ninja(exc.errors)
        return error_response(api, request, status=422, code="validation_error", message=_validation_message(fields),
                              fields=fields)

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = fields_from_django(exc)
        general = None if fields else [str(message) for message in exc.messages]
        return error_response(api, request, status=422, code="validation_error",
                              message=_validation_message(fields, general), fields=fields)

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or _("You do not have permission to do this.")
        return error_response(api, request, status=403, code="permission_denied", message=message)

    @api.exception_handler(ObjectDoesNotExist)
    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # only the API's own Http404s carry a message meant for the client; DoesNotExist texts name models
        message = str(exc) if isinstance(exc, Http404) and exc.args else _("Not found.")
        return error_response(api, request, status=404, code="not_found", message=message)

    @api.exception_handler(ConcurrentUpdateError)
    def on_conflict(request: HttpRequest, exc: ConcurrentUpdateError) -> HttpResponse:
        return error_response(api, request, status=409, code="version_conflict", message=str(exc),
                              current_version=exc.current_version)

    @api.exception_handler(IdempotencyConflictError)
    def on_idempotency_conflict(request: HttpRequest, exc: IdempotencyConflictError) -> HttpResponse:
        differs = _("Differs from the request first sent with this reference.")
        fields = {_IDEMPOTENCY_FIELD_NAMES.get(name, name): [differs] for name in exc.fields}
        return error_response(api, request, status=409, code="idempotency_conflict", message=str(exc), fields=fields)

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        from kehu.core.middleware import too_large_message

        return error_response(api, request, status=413, code="request_too_large", message=too_large_message())

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # a lock or statement timeout (KEHU_DB_*_TIMEOUT_MS) or a lost connection: try again, not a server error
        logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
        response = error_response(api, request, status=503, code="database_unavailable",
                                  message=database_unavailable_message())
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        # ninja sets Retry-After on the answer; the message says it too when the wait is known
        wait = math.ceil(exc.wait) if exc.wait else None
        message = (ngettext("Too many requests: please wait %(seconds)s second and try again.",
                            "Too many requests: please wait %(seconds)s seconds and try again.", wait)
                   % {"seconds": wait}) if wait else _("Too many requests: please wait a moment and try again.")
        response = error_response(api, request, status=429, code="throttled", message=message)
        if wait:
            response["Retry-After"] = str(wait)
        return response

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        from .throttling import address_throttle

        # every call without valid credentials counts against its address (KEHU_API_RATE_ANON)
        if not address_throttle.allow_request(request):
            response = on_throttled(request, Throttled(wait=address_throttle.wait_seconds()))  # type: ignore[arg-type]
            return response
        return error_response(api, request, status=401, code="not_authenticated",
                              message=_("Authentication credentials were not provided or are not valid."))

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403 and exc.message == "CSRF check Failed":
            return error_response(api, request, status=403, code="csrf_failed",
                                  message=_("CSRF verification failed. Request aborted."))
        if exc.status_code == 400 and exc.message == "Cannot parse request body":
            return error_response(api, request, status=400, code="bad_request",
                                  message=_("The request body is not valid JSON."))
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(api, request, status=exc.status_code, code=code, message=str(exc))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Unexpected API error on %s %s", request.method, request.path, exc_info=exc)
        if settings.DEBUG:
            raise exc  # the developer wants the traceback page
        return error_response(api, request, status=500, code="server_error",
                              message=_("Something went wrong on the server. The error was logged."))

