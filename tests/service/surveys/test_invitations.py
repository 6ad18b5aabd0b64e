"""CSAT invitations when a ticket closes, sending through the providers (a real local SMTP server), the SMS
development provider's outbox, consent respected."""

import re

import pytest
from django.core import mail

from kehu.service.models import SmsOutbox, SurveyInvitation, SurveyStatus

from .smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def _token_from(text: str) -> str:
    match = re.search(r"/s/([^/\s]+)/\?lang=", text)
    assert match, text
    return match.group(1)


def test_closing_a_ticket_sends_one_csat_email_through_a_real_smtp_server(surveyed, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.DEFAULT_FROM_EMAIL = "service@kehu.example"
    settings.KEHU_TASK_QUEUE = "eager"
    with SmtpSink() as sink:
        settings.EMAIL_PORT = sink.port
        ticket = surveyed["ticket"](surveyed["by_mail"])
        with django_capture_on_commit_callbacks(execute=True):
            surveyed["close"](ticket)
        with django_capture_on_commit_callbacks(execute=True):
            surveyed["close"](ticket)  # closed again (reopened and closed): still one invitation
    assert len(sink.messages) == 1
    received = sink.messages[0]
    assert received.recipients == ["wangfang@example.com"] and received.sender == "service@kehu.example"
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert invitation.kind == "csat" and invitation.channel == "email" and invitation.status == SurveyStatus.SENT
    assert invitation.team == surveyed["team"] and invitation.expires_at > invitation.sent_at
    import email as email_lib

    parsed = email_lib.message_from_bytes(received.data)
    text = parsed.get_payload(decode=True).decode(parsed.get_content_charset() or "utf-8")
    token = _token_from(text)
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert ticket.number in str(email_lib.header.make_header(email_lib.header.decode_header(parsed["Subject"])))


def test_sms_goes_through_the_development_provider_and_is_kept_in_the_outbox(surveyed, settings,
                                                                            django_capture_on_commit_callbacks):
    settings.KEHU_TASK_QUEUE = "eager"
    with django_capture_on_commit_callbacks(execute=True):
        surveyed["close"](surveyed["ticket"](surveyed["by_sms"]))
    outbox = list(SmsOutbox.objects.all())
    assert len(outbox) == 1 and outbox[0].to == "+8613800138002" and "/s/" in outbox[0].body
    assert len(mail.outbox) == 0
    assert SurveyInvitation.objects.get().channel == "sms"


def test_no_invitation_without_consent_a_customer_or_a_close(surveyed, settings, django_capture_on_commit_callbacks):
    from kehu.service import hooks

    settings.KEHU_TASK_QUEUE = "eager"
    with django_capture_on_commit_callbacks(execute=True):
        surveyed["close"](surveyed["ticket"](surveyed["refused"]))  # consent withdrawn
        open_ticket = surveyed["ticket"](surveyed["by_mail"])
        hooks.ticket_changed(ticket=open_ticket, event="status", from_status="received")  # not closed
    assert SurveyInvitation.objects.count() == 0 and len(mail.outbox) == 0


def test_sending_is_queued_not_done_in_the_request(surveyed, settings):
    from kehu.core.models import QueuedTask

    settings.KEHU_TASK_QUEUE = "database"
    surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    invitation = SurveyInvitation.objects.get()
    assert invitation.status == SurveyStatus.QUEUED and invitation.token_hash == "" and len(mail.outbox) == 0
    queued = QueuedTask.objects.get(name="kehu.service.surveys.tasks.survey_send_task")
    assert queued.args == [[invitation.pk]]


def test_a_provider_failure_marks_the_invitation_failed(surveyed, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 2
    with SmtpSink() as sink:  # a port nobody listens on any more once the sink is closed
        port = sink.port
    settings.EMAIL_PORT = port
    settings.KEHU_TASK_QUEUE = "eager"
    with django_capture_on_commit_callbacks(execute=True):
        surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    invitation = SurveyInvitation.objects.get()
    assert invitation.status == SurveyStatus.FAILED and invitation.error and invitation.token_hash == ""
