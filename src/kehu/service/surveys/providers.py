"""How survey invitations leave: a provider per channel with one method, ``send(to, subject, body)``.

- E-mail: Django's mail backend (SMTP at ``KEHU_EMAIL_HOST``/``KEHU_EMAIL_PORT``, sender ``KEHU_EMAIL_FROM``).
- SMS: the class named by ``KEHU_SMS_PROVIDER`` (a dotted path); the default, :class:`DevelopmentSmsProvider`,
  logs the message and stores it in ``service.SmsOutbox`` instead of sending it. A real gateway is a class with the
  same ``send`` (SMS has no subject: it is ignored or prefixed as the gateway wants).

A provider raises on failure; the sender marks the invitation failed with the error."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Provider(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class EmailProvider:
    """Through Django's configured mail backend."""

    def send(self, to: str, subject: str, body: str) -> None:
        from django.core.mail import send_mail

        send_mail(subject=subject, message=body, from_email=None, recipient_list=[to], fail_silently=False)


class DevelopmentSmsProvider:
    """Logs the text and keeps it in the SMS outbox table; nothing leaves the machine."""

    def send(self, to: str, subject: str, body: str) -> None:
        from kehu.service.models import SmsOutbox

        logger.info("SMS to %s: %s", to, body)
        SmsOutbox.objects.create(to=to[:32], body=body[:2000])


def provider_for(channel: str) -> Provider:
    if channel == "email":
        return EmailProvider()
    if channel == "sms":
        path = getattr(settings, "KEHU_SMS_PROVIDER", "") or "kehu.service.surveys.providers.DevelopmentSmsProvider"
        return import_string(path)()
    raise ValueError(f"no provider for channel {channel!r}")
