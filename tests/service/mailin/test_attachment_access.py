"""E-mail attachments are served only to users who may see the ticket; another branch's users get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.service.hooks import ticket_section_list
from kehu.service.mailin.selectors import ticket_mail
from kehu.service.mailin.services import mail_ingest
from kehu.service.models import TicketAttachment

from .conftest import PDF, make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(team):
    ticket = mail_ingest(raw=make_mail(attachments=[("合同.pdf", PDF, "application/pdf")]), mailbox="INBOX").ticket
    return TicketAttachment.objects.get(ticket=ticket)


def test_the_teams_agent_downloads_it_as_an_attachment(client, users, attachment):
    client.force_login(users["service_agent"])
    response = client.get(reverse("service:mailin_attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("role", ["bj_account_manager", "marketer"])
def test_users_who_may_not_see_the_ticket_get_404(client, users, attachment, role):
    client.force_login(users[role])
    assert client.get(reverse("service:mailin_attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("service:mailin_attachment", args=[attachment.pk + 1000])).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, attachment):
    response = client.get(reverse("service:mailin_attachment", args=[attachment.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_ticket_page_section_lists_files_and_mails_for_those_who_see_the_ticket(users, attachment):
    assert "mailin" in [section.key for section in ticket_section_list()]
    data = ticket_mail(ticket=attachment.ticket, user=users["service_agent"])
    assert data is not None and data["attachments"] == [attachment] and len(data["emails"]) == 1
    assert ticket_mail(ticket=attachment.ticket, user=users["bj_account_manager"]) is None


def test_administrators_and_auditors_read_the_mail_log_in_the_admin_and_nobody_changes_it(client, users, attachment):
    assert users["auditor"].has_perm("service.view_inboundemail")
    assert not users["service_agent"].has_perm("service.view_inboundemail")
    admin_user = users["administrator"]
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    response = client.get("/admin/service/inboundemail/")
    assert response.status_code == 200 and "发票开错了" in response.content.decode()
    assert client.get("/admin/service/inboundemail/add/").status_code == 403
