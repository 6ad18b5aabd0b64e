"""Counter writes with an ``Idempotency-Key`` header: the first answer is stored with the write, in its transaction;
a replay with the same key and the same request returns that answer and changes nothing; the same key with a
different request answers 409 ``idempotency_conflict``. Keys are per user (two tills may use the same key)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
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
        record_id = _claim(actor.pk, key, fingerprint)
        if record_id is None:
            # the first request with this key: on PostgreSQL the insert waited for its commit
            first = IdempotentRequest.objects.get(actor=actor, key=key)
            if first.fingerprint != fingerprint:
                raise IdempotencyConflictError(
                    _("This Idempotency-Key was already used for a different request. Use a new key for a new "
                      "request."), key=key, fields=[])
            response = JsonResponse(first.body, status=first.status)
            response["Idempotent-Replayed"] = "true"
            return response
        status, body = handler()
        IdempotentRequest.objects.filter(pk=record_id).update(status=status, body=body)
    return JsonResponse(body, status=status)


def _claim(actor_id: int, key: str, fingerprint: str) -> int | None:
    """Record the key (one ``INSERT … ON CONFLICT DO NOTHING``, no savepoint): its row id, or None when the key
    was used before (the insert waits for a first request still in progress, then does nothing)."""
    table = connection.ops.quote_name(IdempotentRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (actor_id, key, fingerprint, status, body, created_at) "  # noqa: S608
                       "VALUES (%s, %s, %s, 0, '{}', %s) ON CONFLICT (actor_id, key) DO NOTHING RETURNING id",
                       [actor_id, key, fingerprint, connection.ops.adapt_datetimefield_value(timezone.now())])
        row = cursor.fetchone()
    return row[0] if row else None
