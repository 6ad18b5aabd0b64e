"""Filing e-mail into tickets through the ingest service: new tickets, threading, duplicates, HTML, attachments."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext

from kehu.service import services as ticket_services
from kehu.service.mailin.services import mail_ingest
from kehu.service.models import InboundEmail, Ticket, TicketAttachment, TicketMessage

from .conftest import PDF, make_mail

pytestmark = pytest.mark.django_db


def test_mail_from_a_known_customer_makes_an_email_ticket_of_the_team_it_was_sent_to(team, make_customer, org):
    customer = make_customer("王五", email="WangWu@Example.cn", branch=org["sh2"])
    result = mail_ingest(raw=make_mail(sender="王五 <wangwu@example.cn>", cc="Support@KEHU.test"), mailbox="INBOX")
    ticket = result.ticket
    assert not result.duplicate and result.log.status == InboundEmail.Status.CREATED
    assert ticket.channel == "email" and ticket.team == team and ticket.customer == customer
    assert ticket.branch == org["sh2"]  # the customer's branch
    assert ticket.subject == "发票开错了" and "请重开" in ticket.description and ticket.caller_email == ""


def test_mail_from_an_unknown_sender_is_a_caller_with_their_address(team, org):
    ticket = mail_ingest(raw=make_mail(sender="Zhao Liu <ZHAO@example.cn>"), mailbox="INBOX").ticket
    assert ticket.customer is None and ticket.caller_email == "zhao@example.cn" and ticket.caller_name == "Zhao Liu"
    assert ticket.branch == org["sh1"] and ticket.team == team


def test_the_same_message_id_never_files_twice(team):
    raw = make_mail(message_id="<once@example.cn>")
    first = mail_ingest(raw=raw, mailbox="INBOX")
    again = mail_ingest(raw=raw, mailbox="webhook")
    assert again.duplicate and again.ticket == first.ticket
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1
    # without a Message-ID the digest of the bytes stands in for it
    bare = make_mail(subject="没有编号").replace(b"Message-ID:", b"X-Old-ID:")
    assert mail_ingest(raw=bare, mailbox="INBOX").log.message_id.endswith("@kehu.invalid>")
    assert mail_ingest(raw=bare, mailbox="INBOX").duplicate
    assert Ticket.objects.count() == 2


def test_a_reply_threads_by_in_reply_to_references_and_the_subject_tag(team):
    ticket = mail_ingest(raw=make_mail(message_id="<start@example.cn>"), mailbox="INBOX").ticket
    reply = ticket_services.ticket_message_add(ticket=ticket, kind="reply", body="已重开", message_id="<r1@kehu.test>")
    by_parent = mail_ingest(raw=make_mail(subject="Re: 发票", in_reply_to=reply.message_id, body="收到"),
                            mailbox="INBOX")
    by_references = mail_ingest(raw=make_mail(subject="又一封", references="<other@x> <start@example.cn>",
                                              body="还有一个问题"), mailbox="INBOX")
    by_tag = mail_ingest(raw=make_mail(subject=f"补充材料 [{ticket.number}]", body="见附件"), mailbox="INBOX")
    for result in (by_parent, by_references, by_tag):
        assert result.ticket == ticket and result.log.status == InboundEmail.Status.THREADED
    inbound = TicketMessage.objects.filter(ticket=ticket, kind="inbound").order_by("id")
    assert [m.body for m in inbound] == ["收到", "还有一个问题", "见附件"]
    assert inbound[0].in_reply_to == "<r1@kehu.test>" and inbound[0].message_id
    assert Ticket.objects.count() == 1
    # an unknown tag is not a thread: a new ticket
    other = mail_ingest(raw=make_mail(subject="[T9999999] 新问题"), mailbox="INBOX").ticket
    assert other != ticket


def test_a_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(team):
    first = mail_ingest(raw=make_mail(message_id="<a@example.cn>"), mailbox="INBOX").ticket
    second = mail_ingest(raw=make_mail(message_id="<b@example.cn>", subject="另一个"), mailbox="INBOX").ticket
    Ticket.objects.filter(pk=second.pk).update(merged_into=first, status="merged")
    assert mail_ingest(raw=make_mail(in_reply_to="<b@example.cn>"), mailbox="INBOX").ticket == first


def test_mail_to_no_team_is_rejected_and_logged(team):
    result = mail_ingest(raw=make_mail(to="sales@kehu.test"), mailbox="INBOX")
    assert result.log.status == InboundEmail.Status.REJECTED and result.ticket is None
    assert result.log.error == gettext("The message was not sent to the address of an active service team.")
    assert Ticket.objects.count() == 0
    assert mail_ingest(raw=make_mail(to="sales@kehu.test"), mailbox="INBOX").ticket is None
    garbage = mail_ingest(raw=b"\x00\xff not mail at all", mailbox="INBOX")
    assert garbage.log.status == InboundEmail.Status.REJECTED
    assert garbage.log.error == gettext("This is not an e-mail message: it has no sender's address.")


def test_html_only_mail_becomes_text_without_scripts_or_tags(team):
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>您好&amp;谢谢</p><div onclick=\"evil()\">第二行<br>第三行</div></body></html>")
    ticket = mail_ingest(raw=make_mail(body=None, html=html), mailbox="INBOX").ticket
    assert ticket.description == "您好&谢谢\n\n第二行\n第三行"
    assert "alert" not in ticket.description and "<" not in ticket.description


def test_attachments_are_checked_like_the_contact_logs_and_stored_under_random_names(team):
    raw = make_mail(attachments=[("发票.pdf", PDF, "application/pdf"),
                                 ("run.exe", b"MZ\x90\x00binary", "application/octet-stream"),
                                 ("fake.pdf", b"<html>not a pdf</html>", "application/pdf")])
    result = mail_ingest(raw=raw, mailbox="INBOX")
    kept = list(TicketAttachment.objects.filter(ticket=result.ticket))
    assert [(a.name, a.content_type, a.size) for a in kept] == [("发票.pdf", "application/pdf", len(PDF))]
    assert kept[0].file.name.startswith("tickets/") and "发票" not in kept[0].file.name
    assert kept[0].file.read() == PDF
    assert "run.exe" in result.log.error and "fake.pdf" in result.log.error


def test_hostile_headers_do_not_break_filing(team):
    raw = (b"From: =?utf-8?q?x?= <evil@example.cn>\r\nTo: support@kehu.test\r\nSubject: =1+1\x00\r\n"
           b"Message-ID: <" + b"x" * 400 + b"@e>\r\nIn-Reply-To: garbage\r\n\r\nbody\x00text\r\n")
    result = mail_ingest(raw=raw, mailbox="INBOX")
    assert result.ticket is not None and "\x00" not in result.ticket.description
    assert len(result.log.message_id) <= 250
