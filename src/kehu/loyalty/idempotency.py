"""Counter writes with an ``Idempotency-Key`` header: the first answer is stored with the write, in its transaction;
a replay with the same key and the same request returns that answer and changes nothing; the same key with a
different request answers 409 ``idempotency_conflict``. Keys are per user (two tills may use the same key)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from kehu.core.exceptions import IdempotencyConflictError

from .models import IdempotentRequest

KEY_MAX = 80


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\0" + request.path.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def idempotent(request: HttpRequest, handler: Callable[[], tuple[int, dict[str, Any]]]) -> JsonResponse:
    """Run ``handler`` (which returns the status and the JSON body) once per ``Idempotency-Key``."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = handler()
        return JsonResponse(body, status=status)
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise ValidationError({"Idempotency-Key": [_("Give a key of 1 to 80 printable characters.")]})
    actor = request.auth  # type: ignore[attr-defined]
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(actor=actor, key=key, fingerprint=fingerprint)
        except IntegrityError:
            # the first request with this key: on PostgreSQL the insert waited for its commit
            first = IdempotentRequest.objects.get(actor=actor, key=key)
            if first.fingerprint != fingerprint:
                raise IdempotencyConflictError(
                    _("This Idempotency-Key was already used for a different request. Use a new key for a new "
                      "request."), key=key, fields=[]) from None
            response = JsonResponse(first.body, status=first.status)
            response["Idempotent-Replayed"] = "true"
            return response
        status, body = handler()
        record.status, record.body = status, body
        record.save(update_fields=["status", "body"])
    return JsonResponse(body, status=status)
