"""The mail service's webhook: ``POST /api/mail/inbound`` with one raw RFC 822 message (a ``message/rfc822`` body,
or JSON ``{"raw": "<base64>"}``), signed with ``X-Kehu-Signature`` (the hex HMAC-SHA256 of the body with
KEHU_MAILIN_SECRET). No user session or token: the shared secret is the authentication."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kehu.api.errors import ErrorOut

from ..models import InboundEmail
from .services import WEBHOOK_MAILBOX, mail_ingest

router = Router(tags=["e-mail in"])


class InboundOut(Schema):
    ticket: int
    number: str
    status: str
    duplicate: bool


def max_bytes() -> int:
    return int(getattr(settings, "KEHU_MAILIN_MAX_BYTES", 2 * 1024 * 1024))


def signature_valid(body: bytes, signature: str) -> bool:
    secret = str(getattr(settings, "KEHU_MAILIN_SECRET", "") or "")
    if not secret or not signature:
        return False
    signature = signature.strip()
    if signature.lower().startswith("sha256="):
        signature = signature[7:]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.lower())


def _error(status: int, code: str, message: str) -> Status:
    return Status(status, {"error": {"code": code, "message": message, "fields": {}}})


def _raw_message(request: HttpRequest, body: bytes) -> bytes | None:
    content_type = (request.content_type or "").lower()
    if content_type == "application/json":
        try:
            data: Any = json.loads(body)
            raw = data["raw"] if isinstance(data, dict) else None
            return base64.b64decode(raw, validate=True) if isinstance(raw, str) else None
        except (ValueError, KeyError, binascii.Error):
            return None
    if content_type in {"message/rfc822", "text/plain", "application/octet-stream"}:
        return body
    return None


@router.post("/inbound", auth=None, url_name="mailin_inbound",
             response={200: InboundOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut})
def inbound(request: HttpRequest) -> Any:
    """Receive one e-mail: a new ticket, or a message added to the ticket it answers (by Message-ID, In-Reply-To,
    References or the ``[T0000123]`` subject tag). The same Message-ID twice answers the first result again
    (``duplicate``). 401 bad signature, 413 over KEHU_MAILIN_MAX_BYTES, 422 not an e-mail or not for a team."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes():
        return _error(413, "request_too_large", _("The message is too large."))
    body = request.body
    if len(body) > max_bytes():
        return _error(413, "request_too_large", _("The message is too large."))
    if not signature_valid(body, request.headers.get("X-Kehu-Signature", "")):
        return _error(401, "not_authenticated", _("The signature of the message is missing or wrong."))
    raw = _raw_message(request, body)
    if not raw:
        return _error(422, "validation_error",
                      _("Send one e-mail as message/rfc822, or as JSON with the message in base64 under “raw”."))
    result = mail_ingest(raw=raw, mailbox=WEBHOOK_MAILBOX)
    log = result.log
    if log.status == InboundEmail.Status.REJECTED or log.ticket_id is None:
        return _error(422, "validation_error", log.error or _("The message could not be filed."))
    return Status(200, {"ticket": log.ticket_id, "number": f"T{log.ticket_id:07d}", "status": log.status,
                        "duplicate": result.duplicate})
