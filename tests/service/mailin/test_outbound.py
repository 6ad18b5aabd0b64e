"""Replies by e-mail: a reply on an e-mail ticket is sent (after the commit) through a local SMTP server with its
Message-ID, In-Reply-To, References and the [T…] tag; the customer's answer to it, fed back in, threads to the
ticket."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from kehu.service import services as ticket_services
from kehu.service.mailin.services import mail_ingest
from kehu.service.models import TicketMessage

from .conftest import header_ids, make_mail, sign

pytestmark = pytest.mark.django_db


def test_a_reply_goes_out_threaded_and_the_customers_answer_comes_back_to_the_ticket(
        smtp_server, team, users, client, settings, django_capture_on_commit_callbacks):
    ticket = mail_ingest(raw=make_mail(message_id="<ask@example.cn>", subject="发票开错了"), mailbox="INBOX").ticket
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_services.ticket_message_add(ticket=ticket, kind="reply", body="已为您重开发票。",
                                                   author=users["service_agent"])
    reply.refresh_from_db()
    assert reply.message_id.endswith("@kehu.test>") and reply.in_reply_to == "<ask@example.cn>"
    assert len(smtp_server.messages) == 1
    sent = message_from_bytes(smtp_server.messages[0], policy=default_policy)
    assert sent["To"] == "lisi@example.cn" and sent["From"] == "Support@Kehu.test"
    assert sent["Message-ID"] == reply.message_id and sent["In-Reply-To"] == "<ask@example.cn>"
    assert header_ids(sent["References"]) == ["<ask@example.cn>"]
    assert sent["Subject"] == f"Re: 发票开错了 [{ticket.number}]"
    assert "重开发票" in sent.get_content()

    # the customer answers the reply (their client quotes our Message-ID) through the webhook
    settings.KEHU_MAILIN_SECRET = "s3cret-shared"
    answer = make_mail(subject=str(sent["Subject"]), in_reply_to=reply.message_id,
                       references=f"<ask@example.cn> {reply.message_id}", body="收到，谢谢！")
    response = client.generic("POST", "/api/mail/inbound", answer, content_type="message/rfc822",
                              HTTP_X_KEHU_SIGNATURE=sign(answer))
    assert response.status_code == 200 and response.json()["ticket"] == ticket.pk
    assert response.json()["status"] == "threaded"
    inbound = TicketMessage.objects.filter(ticket=ticket, kind="inbound").get()
    assert inbound.body == "收到，谢谢！" and inbound.in_reply_to == reply.message_id

    # the second reply answers the customer's latest message and carries the whole thread
    with django_capture_on_commit_callbacks(execute=True):
        second = ticket_services.ticket_message_add(ticket=ticket, kind="reply", body="不客气。")
    second.refresh_from_db()
    sent2 = message_from_bytes(smtp_server.messages[1], policy=default_policy)
    assert sent2["In-Reply-To"] == inbound.message_id == second.in_reply_to
    assert header_ids(sent2["References"]) == ["<ask@example.cn>", reply.message_id, inbound.message_id]


def test_notes_and_non_email_tickets_send_nothing(smtp_server, team, users, org,
                                                  django_capture_on_commit_callbacks):
    ticket = mail_ingest(raw=make_mail(), mailbox="INBOX").ticket
    phone = ticket_services.ticket_create(actor=users["service_agent"], type="inquiry", channel="phone",
                                          subject="电话咨询", caller_email="x@example.cn", team=team)
    with django_capture_on_commit_callbacks(execute=True):
        note = ticket_services.ticket_message_add(ticket=ticket, kind="note", body="内部备注")
        ticket_services.ticket_message_add(ticket=phone, kind="reply", body="电话已回复")
    assert smtp_server.messages == []
    note.refresh_from_db()
    assert note.message_id == ""


def test_a_known_customer_is_answered_at_their_own_address(smtp_server, team, make_customer,
                                                          django_capture_on_commit_callbacks):
    make_customer("王五", email="wangwu@example.cn")
    ticket = mail_ingest(raw=make_mail(sender="wangwu@example.cn"), mailbox="INBOX").ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_message_add(ticket=ticket, kind="reply", body="您好")
    assert message_from_bytes(smtp_server.messages[0], policy=default_policy)["To"] == "wangwu@example.cn"
