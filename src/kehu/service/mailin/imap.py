"""Reading a team mailbox over IMAP (``imaplib``): the unseen messages, each filed in its own transaction and
marked seen only after that commit. A run cut off half-way leaves the rest unseen; the next run reads them again,
and the ones already filed are recognised by their Message-ID (``InboundEmail``) and only marked seen."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from typing import Any

from django.conf import settings
from django.db.models.functions import Lower

from ..models import InboundEmail, ServiceTeam
from .services import mail_ingest

logger = logging.getLogger(__name__)

SECURITY_CHOICES = ("ssl", "starttls", "none")


def _connect(*, host: str, port: int, security: str, timeout: float) -> imaplib.IMAP4:
    if security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if security == "starttls":
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def _raw(parts: Any) -> bytes | None:
    for part in parts or []:
        if isinstance(part, tuple) and len(part) >= 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def team_by_address(address: str) -> ServiceTeam | None:
    if not address:
        return None
    return (ServiceTeam.objects.annotate(email_lower=Lower("email"))
            .filter(active=True, email_lower=address.strip().lower()).first())


def mail_fetch(*, host: str, port: int, user: str, password: str, mailbox: str = "INBOX", security: str = "ssl",
               limit: int = 100, timeout: float = 30.0, default_team: ServiceTeam | None = None) -> dict[str, int]:
    """File up to ``limit`` unseen messages of the mailbox; the counts by outcome. A message that fails for an
    unexpected reason stays unseen (read again next time) and the others go on."""
    if security not in SECURITY_CHOICES:
        raise ValueError(f"security must be one of {', '.join(SECURITY_CHOICES)}")
    counts = {"read": 0, "created": 0, "threaded": 0, "rejected": 0, "duplicates": 0, "failed": 0}
    label = f"imap://{user}@{host}:{port}/{mailbox}"[:200]
    client = _connect(host=host, port=port, security=security, timeout=timeout)
    try:
        client.login(user, password)
        status, _data = client.select(mailbox)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open mailbox {mailbox!r}")
        status, data = client.search(None, "UNSEEN")
        numbers = (data[0] or b"").split() if status == "OK" and data else []
        for number in numbers[:limit]:
            status, parts = client.fetch(number.decode(), "(BODY.PEEK[])")
            raw = _raw(parts) if status == "OK" else None
            if raw is None:
                counts["failed"] += 1
                continue
            counts["read"] += 1
            try:
                result = mail_ingest(raw=raw, mailbox=label, default_team=default_team)
            except Exception:  # noqa: BLE001 - left unseen, read again by the next run
                logger.exception("e-mail %s of %s could not be filed", number, label)
                counts["failed"] += 1
                continue
            if result.duplicate:
                counts["duplicates"] += 1
            elif result.log.status == InboundEmail.Status.CREATED:
                counts["created"] += 1
            elif result.log.status == InboundEmail.Status.THREADED:
                counts["threaded"] += 1
            else:
                counts["rejected"] += 1
            status, _data = client.store(number.decode(), "+FLAGS", "\\Seen")  # only now: the ticket is committed
            if status != "OK":  # stop: the next run reads it again and recognises it
                raise imaplib.IMAP4.error(f"cannot mark message {number.decode()} seen")
        client.close()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return counts


def fetch_configured() -> dict[str, int]:
    """The beat task's run: the mailbox of the KEHU_MAILIN_* settings; nothing when no host is configured."""
    host = str(getattr(settings, "KEHU_MAILIN_HOST", "") or "")
    if not host:
        return {}
    return mail_fetch(host=host, port=int(settings.KEHU_MAILIN_PORT), user=settings.KEHU_MAILIN_USER,
                      password=settings.KEHU_MAILIN_PASSWORD, mailbox=settings.KEHU_MAILIN_MAILBOX,
                      security=settings.KEHU_MAILIN_SECURITY, limit=int(settings.KEHU_MAILIN_LIMIT),
                      default_team=team_by_address(settings.KEHU_MAILIN_TEAM))
