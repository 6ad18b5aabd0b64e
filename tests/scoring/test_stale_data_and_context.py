"""A scoring date far after the newest purchase is warned about (page and command), and the 360 page's P(active)
and lifetime value come with their context in plain words."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from kehu.scoring.models import CustomerSummary, ScoringRun
from kehu.scoring.services import scoring_run_execute


@pytest.fixture(autouse=True)
def scoring_urls(settings):
    try:
        reverse("scoring:overview")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.scoring.ui_urls"


def test_runs_page_warns_of_old_data_and_offers_the_newest_purchase_day(hundred, users, run_permission,
                                                                         django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(users["administrator"])
    html = client.get(reverse("scoring:runs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # the hundred customers last bought on 2025-09-01, long before today
    assert 'id="stale-data"' in html and "The newest purchase is from 2025-09-01" in html
    assert 'name="as_of" value="2025-09-01"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scoring:run_start"), {"as_of": "2025-09-01"})
    run = ScoringRun.objects.get()
    assert response["Location"] == reverse("scoring:run", args=[run.pk])
    run.refresh_from_db()
    assert (run.as_of, run.status) == (dt.date(2025, 9, 1), ScoringRun.Status.SUCCEEDED)
    # scored as of the data's end: no warning on that run's page
    assert 'id="stale-data"' not in client.get(reverse("scoring:run", args=[run.pk])).content.decode()


def test_runs_page_does_not_offer_a_date_before_a_succeeded_run(hundred, users, run_permission):
    scoring_run_execute(as_of=dt.date(2025, 12, 31))
    client = Client()
    client.force_login(users["administrator"])
    html = client.get(reverse("scoring:runs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="stale-data"' in html and 'value="2025-09-01"' not in html
    run_page = client.get(reverse("scoring:run", args=[ScoringRun.objects.get().pk])).content.decode()
    assert 'id="stale-data"' in run_page  # 2025-12-31 is 121 days after the newest purchase


def test_no_warning_when_the_data_is_recent(make_customer, buy, users):
    from django.utils import timezone

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    buy(make_customer("新客户"), f"{yesterday.isoformat()} 10:00", 100)
    client = Client()
    client.force_login(users["administrator"])
    assert 'id="stale-data"' not in client.get(reverse("scoring:runs")).content.decode()


def test_score_command_warns_of_old_data_with_the_date_to_use(hundred):
    err = io.StringIO()
    with translation.override("en"):
        call_command("score", "--no-progress", "--as-of", "2025-09-01", stdout=io.StringIO(), stderr=err)
    assert "newest purchase" not in err.getvalue()
    err = io.StringIO()
    with translation.override("en"):
        call_command("score", "--no-progress", stdout=io.StringIO(), stderr=err)
    assert "the newest purchase is from 2025-09-01" in err.getvalue()
    assert "kehu score --as-of 2025-09-01" in err.getvalue()


def test_360_value_section_says_why_a_lifetime_value_is_low(varied, make_customer, buy, rf, users):
    lapsed = make_customer("断联客户")
    day = dt.date(2024, 1, 5)
    while day <= dt.date(2025, 3, 1):  # every ten days for over a year, then nothing
        buy(lapsed, f"{day.isoformat()} 10:00", 800)
        day += dt.timedelta(days=10)
    scoring_run_execute(as_of=dt.date(2025, 12, 31))
    summary = CustomerSummary.objects.get(customer=lapsed)
    assert summary.p_alive is not None and summary.p_alive < 0.5
    request = rf.get("/")
    request.user = users["administrator"]
    with translation.override("en"):
        html = Template("{% load scoring %}{% customer_scores customer %}").render(
            Context({"customer": lapsed, "request": request}))
    assert "Last purchase 306 days ago; usually buys every 10 days." in html
    assert "Over the next 12 months" in html and "probably stopped buying" in html
    regular = CustomerSummary.objects.exclude(customer=lapsed).filter(frequency__gt=2).order_by("-p_alive").first()
    with translation.override("en"):
        html = Template("{% load scoring %}{% customer_scores customer %}").render(
            Context({"customer": regular.customer, "request": request}))
    assert "usually buys every" in html and "probably stopped buying" not in html
