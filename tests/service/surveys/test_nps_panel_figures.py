"""The NPS wave (command, idempotent, sample, quiet days, consent), the 360 "Satisfaction" panel (batched), the
evaluation sources csat and complaints, the figures API and page, the invitations list (masked, paginated)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.service.models import SurveyInvitation

pytestmark = pytest.mark.django_db


def _current(*customers):
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(lifecycle_status="current")


def test_nps_wave_samples_reachable_customers_once_per_month(surveyed, settings, capsys,
                                                             django_capture_on_commit_callbacks):
    from django.core import mail

    settings.KEHU_TASK_QUEUE = "eager"
    _current(surveyed["by_mail"], surveyed["by_sms"], surveyed["refused"])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("surveys", "nps", "--as-of", "2026-11-02", "--share", "1")
    invitations = SurveyInvitation.objects.filter(kind="nps", period="2026-11")
    assert {(i.customer_id, i.channel) for i in invitations} == {
        (surveyed["by_mail"].pk, "email"), (surveyed["by_sms"].pk, "sms")}  # consent withdrawn: not asked
    assert all(i.ticket_id is None for i in invitations)
    assert "2026-11: 2 invitations" in capsys.readouterr().out
    call_command("surveys", "nps", "--as-of", "2026-11-20", "--share", "1")
    assert "already made" in capsys.readouterr().out and invitations.count() == 2
    # next month: both were asked within the quiet days, so nobody
    call_command("surveys", "nps", "--as-of", "2026-12-01", "--share", "1", "--quiet-days", "90")
    assert SurveyInvitation.objects.filter(period="2026-12").count() == 0
    assert len(mail.outbox) == 1  # the e-mail one; the SMS went to the outbox
    with pytest.raises(CommandError):
        call_command("surveys", "nps", "--as-of", "9999-99-01")
    with pytest.raises(CommandError):
        call_command("surveys", "nps", "--share", "1.5")


def test_nps_wave_takes_the_share_of_candidates(users, make_customer, settings):
    from kehu.customers.services import consent_record
    from kehu.service.surveys.tasks import nps_wave_task

    settings.KEHU_TASK_QUEUE = "database"
    settings.KEHU_SURVEY_NPS_SHARE = 0.25
    people = [make_customer(f"客户{n}", email=f"c{n}@example.com") for n in range(8)]
    for person in people:
        consent_record(customer=person, actor=users["administrator"], channel="email", granted=True)
    _current(*people)
    assert nps_wave_task() == 2
    assert SurveyInvitation.objects.filter(kind="nps", status="queued").count() == 2


def test_satisfaction_panel_is_batched_and_shows_the_last_answers(client, users, make_customer, answered):
    from kehu.service.surveys.panels import SATISFACTION_PANEL

    now = timezone.now()
    customers = [make_customer(f"客户{n}") for n in range(5)]
    for customer in customers:
        answered(customer, "csat", 2, now - dt.timedelta(days=400))  # older than 12 months: not averaged
        answered(customer, "csat", 4, now - dt.timedelta(days=30))
        answered(customer, "csat", 5, now - dt.timedelta(days=3))
        answered(customer, "nps", 9, now - dt.timedelta(days=10))
    with CaptureQueriesContext(connection) as one:
        SATISFACTION_PANEL.loader([customers[0].pk], users["administrator"], full=True)
    with CaptureQueriesContext(connection) as five:
        data = SATISFACTION_PANEL.loader([c.pk for c in customers], users["administrator"], full=True)
    assert len(one) == len(five) == SATISFACTION_PANEL.queries
    entry = data[customers[2].pk]
    assert entry["csat"].score == 5 and entry["nps"].score == 9
    assert entry["csat_average"] == 4.5 and entry["csat_count"] == 2 and entry["nps_count"] == 1
    client.force_login(users["administrator"])
    page = client.get(f"/customers/{customers[0].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Satisfaction" in page.content and b"Last CSAT" in page.content


def test_evaluation_sources_csat_and_complaints(surveyed, answered):
    from kehu.relations.evaluations.sources import Period, sources

    mine, other = surveyed["by_mail"], surveyed["by_sms"]
    moment = timezone.now() - dt.timedelta(days=5)
    answered(mine, "csat", 5, moment)
    answered(mine, "csat", 3, moment)
    answered(mine, "nps", 0, moment)  # NPS does not count in CSAT
    surveyed["ticket"](mine, kind="complaint")
    surveyed["ticket"](mine, kind="complaint")
    surveyed["ticket"](mine, kind="inquiry")
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=30), today)
    csat = sources["csat"].compute([mine.pk, other.pk], period, None)
    assert csat[mine.pk].value == Decimal("4.00") and csat[mine.pk].fraction == Decimal("0.75")
    assert other.pk not in csat  # no answers: no data
    complaints = sources["complaints"].compute([mine.pk, other.pk], period, Decimal(4))
    assert complaints[mine.pk].value == 2 and complaints[mine.pk].fraction == Decimal("0.5")
    assert complaints[other.pk].value == 0 and complaints[other.pk].fraction == 1
    earlier = Period(today - dt.timedelta(days=400), today - dt.timedelta(days=300))
    assert sources["complaints"].compute([mine.pk], earlier, None)[mine.pk].fraction == 1


def test_figures_api_per_month_team_and_branch_scoped(api_as, users, org, make_customer, answered, surveyed):
    tz = timezone.get_current_timezone()
    sh1 = make_customer("上海客户")
    bj = make_customer("北京客户", branch=org["bj1"])
    october = dt.datetime(2026, 10, 31, 23, 30, tzinfo=tz)  # local October, UTC the same day
    november = dt.datetime(2026, 11, 1, 0, 30, tzinfo=tz)  # local November, in UTC still October
    answered(sh1, "csat", 5, october, team=surveyed["team"])
    answered(sh1, "csat", 3, november)
    for n, score in enumerate((10, 9, 8, 3)):
        answered(make_customer(f"上海客户{n}"), "nps", score, november)
    answered(bj, "csat", 1, november)
    admin = api_as("administrator").get("/api/surveys/figures", start="2026-10", end="2026-11")
    assert admin.status_code == 200, admin.content
    body = admin.json()
    months = {row["key"]: row for row in body["rows"]}
    assert months["2026-10"]["csat_answers"] == 1 and months["2026-10"]["csat_average"] == "5.00"
    assert months["2026-11"]["csat_answers"] == 2 and months["2026-11"]["nps"] == 25  # (2 − 1) / 4
    assert body["csat_average"] == "3.00" and body["nps"] == 25
    teams = api_as("administrator").get("/api/surveys/figures", start="2026-10", end="2026-11", group="team").json()
    assert {row["label"] for row in teams["rows"]} == {"上海客服", "No team"}
    # an account manager of SH1 sees SH1's answers only
    mine = api_as("account_manager").get("/api/surveys/figures", start="2026-10", end="2026-11",
                                         group="branch").json()
    assert [row["label"] for row in mine["rows"]] == ["上海一店"]
    for query in ({"start": "2026-13"}, {"start": "0001-01"}, {"start": "2026-11", "end": "2026-10"},
                  {"group": "weekday"}, {"start": "2020-01", "end": "2026-01"}, {"start": "=1+1"}):
        assert api_as("administrator").get("/api/surveys/figures", **query).status_code in (400, 422), query
    assert api_as("marketer").get("/api/surveys/figures").status_code == 403


def test_figures_page_and_invitations_list(client, users, surveyed, answered, settings,
                                          django_capture_on_commit_callbacks):
    settings.KEHU_TASK_QUEUE = "eager"
    with django_capture_on_commit_callbacks(execute=True):
        for _n in range(3):
            surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    answered(surveyed["by_sms"], "csat", 4, timezone.now())
    client.force_login(users["branch_manager"])
    page = client.get("/service/surveys/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Satisfaction figures" in page.content and b"<svg" in page.content
    assert client.get("/service/surveys/?start=2026-13").status_code == 400
    with CaptureQueriesContext(connection) as few:
        listing = client.get("/service/surveys/invitations/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and b"w***@example.com" in listing.content
    assert b"wangfang@example.com" not in listing.content
    with django_capture_on_commit_callbacks(execute=True):
        for _n in range(3):
            surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    with CaptureQueriesContext(connection) as more:
        client.get("/service/surveys/invitations/", HTTP_ACCEPT_LANGUAGE="en")
    assert len(more) == len(few)
    client.force_login(users["marketer"])
    assert client.get("/service/surveys/invitations/").status_code == 403
