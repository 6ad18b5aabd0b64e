"""The ticket page's satisfaction section (registered through the ticket page sections): the CSAT invitation of the
ticket before it is answered, then its score and comment after the customer answers on the public page; hidden
for a ticket without a survey and for a role without the survey permission."""

import re

import pytest
from django.urls import reverse

from kehu.service.hooks import ticket_sections

pytestmark = pytest.mark.django_db


def test_the_section_shows_the_invitation_then_the_answer(client, surveyed, users, settings,
                                                          django_capture_on_commit_callbacks):
    from django.core import mail

    assert ticket_sections.get("survey") is not None
    settings.KEHU_TASK_QUEUE = "eager"
    quiet = surveyed["ticket"](surveyed["by_mail"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    token = re.search(r"/s/([^/\s]+)/\?lang=", mail.outbox[0].body).group(1)
    client.force_login(users["administrator"])
    url = reverse("service:ticket", args=[ticket.pk])

    before = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert 'id="ticket-survey"' in before and "Not answered yet." in before
    assert "wangfang@example.com" not in before  # the address is masked
    assert 'id="ticket-survey"' not in client.get(reverse("service:ticket", args=[quiet.pk])).content.decode()

    assert client.post(f"/s/{token}/?lang=en", {"score": "2", "comment": "等了太久"}).status_code == 200
    after = client.get(url, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert 'class="csat-score">2<' in after and "等了太久" in after and "满意度调查" in after


def test_a_role_without_the_survey_permission_does_not_see_it(client, surveyed, users):
    from django.contrib.auth.models import Permission

    ticket = surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    agent = users["service_agent"]
    surveyed["team"].members.add(agent)
    client.force_login(agent)
    url = reverse("service:ticket", args=[ticket.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'id="ticket-survey"' in page.content.decode()
    for group in agent.groups.all():
        group.permissions.remove(Permission.objects.get(codename="view_surveyresponse"))
    agent = type(agent).objects.get(pk=agent.pk)
    client.force_login(agent)
    assert 'id="ticket-survey"' not in client.get(url).content.decode()
