"""``kehu mail-in`` against a local IMAP server started by the test: unseen messages become tickets, are marked seen
only after the commit, and a run cut off half-way resumes without duplicates."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kehu.service.mailin.tasks import mail_in_task
from kehu.service.models import InboundEmail, Ticket, TicketMessage

from .conftest import make_mail

pytestmark = pytest.mark.django_db


def run(server, *extra: str, monkeypatch) -> str:
    monkeypatch.setenv("MAILIN_TEST_PASSWORD", server.box.password)
    out = io.StringIO()
    call_command("mail-in", "--host", "127.0.0.1", "--port", str(server.server_address[1]), "--plain",
                 "--user", server.box.user, "--password-env", "MAILIN_TEST_PASSWORD", *extra, stdout=out)
    return out.getvalue()


def test_unseen_messages_become_tickets_and_replies_thread(imap_server, team, monkeypatch):
    box = imap_server.box
    box.add(make_mail(message_id="<m1@example.cn>", subject="退货"))
    box.add(make_mail(message_id="<m2@example.cn>", subject="Re: 退货", in_reply_to="<m1@example.cn>", body="补充"))
    box.add(make_mail(message_id="<m3@example.cn>", subject="其他", sender="c@example.cn"))
    box.messages.append({"raw": make_mail(message_id="<old@example.cn>"), "seen": True})
    output = run(imap_server, monkeypatch=monkeypatch)
    assert "read=3" in output and "created=2" in output and "threaded=1" in output
    assert all(item["seen"] for item in box.messages)
    assert "FETCH" in box.commands and Ticket.objects.count() == 2
    first = Ticket.objects.get(subject="退货")
    assert TicketMessage.objects.get(ticket=first, kind="inbound").body == "补充"
    assert not InboundEmail.objects.filter(message_id="<old@example.cn>").exists()
    # nothing unseen left: a second run reads nothing
    assert "read=0" in run(imap_server, monkeypatch=monkeypatch)


def test_a_run_cut_off_before_marking_seen_resumes_without_duplicates(imap_server, team, monkeypatch):
    box = imap_server.box
    for number in range(3):
        box.add(make_mail(message_id=f"<crash{number}@example.cn>", subject=f"问题{number}"))
    box.fail_store_after = 1  # the second STORE fails: the run stops after filing the second message
    with pytest.raises(CommandError):
        run(imap_server, monkeypatch=monkeypatch)
    assert [item["seen"] for item in box.messages] == [True, False, False]
    assert Ticket.objects.count() == 2
    box.fail_store_after = None
    output = run(imap_server, monkeypatch=monkeypatch)
    assert "duplicates=1" in output and "created=1" in output
    assert Ticket.objects.count() == 3 and InboundEmail.objects.count() == 3
    assert all(item["seen"] for item in box.messages)


def test_limit_reads_only_so_many(imap_server, team, monkeypatch):
    for number in range(3):
        imap_server.box.add(make_mail(message_id=f"<lim{number}@example.cn>"))
    assert "read=2" in run(imap_server, "--limit", "2", monkeypatch=monkeypatch)
    assert [item["seen"] for item in imap_server.box.messages] == [True, True, False]


def test_a_default_team_takes_mail_sent_to_no_team(imap_server, team, monkeypatch):
    imap_server.box.add(make_mail(to="alias@kehu.test"))
    assert "rejected=1" in run(imap_server, monkeypatch=monkeypatch)
    imap_server.box.add(make_mail(to="alias@kehu.test", subject="第二封"))
    assert "created=1" in run(imap_server, "--team", "support@kehu.test", monkeypatch=monkeypatch)
    assert Ticket.objects.get().team == team


def test_misuse_is_a_command_error(imap_server, team, monkeypatch):
    port = str(imap_server.server_address[1])
    with pytest.raises(CommandError, match="not set"):
        call_command("mail-in", "--host", "127.0.0.1", "--port", port, "--plain", "--password-env", "NO_SUCH_VAR_X")
    monkeypatch.setenv("MAILIN_WRONG", "wrong")
    with pytest.raises(CommandError, match="IMAP"):
        call_command("mail-in", "--host", "127.0.0.1", "--port", port, "--plain", "--user", "support",
                     "--password-env", "MAILIN_WRONG")
    with pytest.raises(CommandError, match="--team"):
        run(imap_server, "--team", "nobody@kehu.test", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="--limit"):
        run(imap_server, "--limit", "0", monkeypatch=monkeypatch)


def test_the_beat_task_reads_the_configured_mailbox_and_does_nothing_unconfigured(imap_server, team, settings):
    settings.KEHU_MAILIN_HOST = ""
    imap_server.box.add(make_mail())
    assert mail_in_task() == {} and Ticket.objects.count() == 0
    settings.KEHU_MAILIN_HOST, settings.KEHU_MAILIN_PORT = "127.0.0.1", imap_server.server_address[1]
    settings.KEHU_MAILIN_USER, settings.KEHU_MAILIN_PASSWORD = imap_server.box.user, imap_server.box.password
    settings.KEHU_MAILIN_SECURITY, settings.KEHU_MAILIN_MAILBOX = "none", "INBOX"
    assert mail_in_task()["created"] == 1 and Ticket.objects.count() == 1
