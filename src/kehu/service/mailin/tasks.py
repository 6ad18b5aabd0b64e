"""Background jobs of e-mail in (thin: they call the services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.service.mailin.tasks.send_reply_task")
def send_reply_task(message_pk: int) -> bool:
    from .outbound import send_reply

    return send_reply(message_pk=message_pk)


@shared_task(name="kehu.service.mailin.tasks.mail_in_task")
def mail_in_task() -> dict[str, int]:
    """Read the configured mailbox (KEHU_MAILIN_*); nothing when no IMAP host is configured."""
    from .imap import fetch_configured

    return fetch_configured()
