"""``POST /api/mail/inbound``: signature, size, garbage, JSON and raw bodies, duplicates."""

from __future__ import annotations

import base64
import json

import pytest
from django.utils.translation import gettext

from kehu.service.models import InboundEmail, Ticket

from .conftest import make_mail, sign

pytestmark = pytest.mark.django_db
URL = "/api/mail/inbound"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.KEHU_MAILIN_SECRET = "s3cret-shared"
    settings.KEHU_MAILIN_MAX_BYTES = 64 * 1024


def post(client, body: bytes, *, content_type: str = "message/rfc822", signature: str | None = None):
    headers = {} if signature == "" else {"HTTP_X_KEHU_SIGNATURE": signature or sign(body)}
    return client.generic("POST", URL, body, content_type=content_type, **headers)


def test_a_signed_message_makes_a_ticket_and_a_retry_answers_the_same(client, team):
    raw = make_mail(message_id="<hook-1@example.cn>")
    response = post(client, raw)
    assert response.status_code == 200, response.content
    data = response.json()
    ticket = Ticket.objects.get(pk=data["ticket"])
    assert data["number"] == ticket.number and data["status"] == "created" and data["duplicate"] is False
    again = post(client, raw)
    assert again.status_code == 200 and again.json()["ticket"] == ticket.pk and again.json()["duplicate"] is True
    assert Ticket.objects.count() == 1 and InboundEmail.objects.get().mailbox == "webhook"


def test_json_with_base64_and_the_sha256_prefix(client, team):
    body = json.dumps({"raw": base64.b64encode(make_mail()).decode()}).encode()
    response = post(client, body, content_type="application/json", signature="sha256=" + sign(body))
    assert response.status_code == 200 and Ticket.objects.count() == 1


@pytest.mark.parametrize("signature", ["", "deadbeef", "sha256=" + "0" * 64])
def test_a_missing_or_wrong_signature_is_401(client, team, signature):
    response = post(client, make_mail(), signature=signature)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert Ticket.objects.count() == 0 and InboundEmail.objects.count() == 0


def test_without_a_configured_secret_every_call_is_401(client, team, settings):
    raw = make_mail()
    settings.KEHU_MAILIN_SECRET = ""
    assert post(client, raw, signature=sign(raw, "")).status_code == 401


def test_a_signature_of_another_body_is_401(client, team):
    assert post(client, make_mail(subject="b"), signature=sign(make_mail(subject="a"))).status_code == 401


def test_too_large_is_413_before_anything_else(client, team):
    raw = make_mail(body="很长" * 40000)
    response = post(client, raw, signature="wrong")
    assert response.status_code == 413 and Ticket.objects.count() == 0


@pytest.mark.parametrize(("body", "content_type"), [
    (b"\x00\x01garbage bytes", "message/rfc822"),
    (b'{"raw": "not base64!!"}', "application/json"),
    (b'{"other": 1}', "application/json"),
    (b"[1, 2]", "application/json"),
    (b"{broken json", "application/json"),
    (b"From: a@b.c\r\n\r\nx", "image/png"),
    (b"", "message/rfc822"),
])
def test_garbage_is_422(client, team, body, content_type):
    response = post(client, body, content_type=content_type)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert Ticket.objects.count() == 0


def test_mail_for_no_team_is_422_with_the_reason(client, team):
    response = post(client, make_mail(to="nobody@kehu.test"))
    assert response.status_code == 422
    assert response.json()["error"]["message"] == gettext(
        "The message was not sent to the address of an active service team.")
    assert InboundEmail.objects.get().status == "rejected"


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405
