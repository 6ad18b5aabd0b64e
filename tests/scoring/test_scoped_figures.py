"""Users limited to some branches see run and distribution figures of their customers only, never company totals."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.scoring.models import Alert, TierAssignment
from kehu.scoring.services import scoring_run_execute
from tests.api.conftest import ApiClient

DECEMBER = dt.date(2025, 12, 31)


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create

    def make(who):
        _token, key = api_token_create(user=users[who], name="tests")
        return ApiClient(key)

    return make


@pytest.fixture
def scored(hundred, buy, users, org):
    """Two runs over 100 customers; one of them is in Beijing (outside store SH1's staff's scope)."""
    Customer.objects.filter(pk=hundred[98].pk).update(owner=users["bj_account_manager"], branch=org["bj1"])
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    buy(hundred[98], "2025-12-11 10:00", 900000)
    return scoring_run_execute(as_of=DECEMBER)


def client_as(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_runs_api_withholds_company_figures_from_store_staff(api_as, scored):
    assert scored.customers == 100
    mine = api_as("marketer").get("/api/scoring/runs").json()["items"][0]
    assert (mine["customers"], mine["changes"], mine["alerts"]) == (None, None, None)
    detail = api_as("marketer").get(f"/api/scoring/runs/{scored.pk}").json()
    assert detail["counts"] == {} and set(detail["lifetime_value"]) <= {"status", "message", "warning"}
    everything = api_as("auditor").get("/api/scoring/runs").json()["items"][0]
    assert everything["customers"] == 100 and everything["changes"] == scored.changes
    assert api_as("administrator").get(f"/api/scoring/runs/{scored.pk}").json()["counts"] != {}


def test_distribution_api_counts_the_users_customers_only(api_as, scored):
    mine = api_as("marketer").get("/api/scoring/schemes/pyramid/distribution").json()
    assert mine["customers"] == 99 and sum(tier["customers"] for tier in mine["tiers"]) == 99
    assert not {"customers", "amount", "margin", "tiers"} & set(mine["figures"])
    beijing = Customer.objects.get(branch__code="BJ1").score_summary.current_amount
    company = api_as("administrator").get("/api/scoring/schemes/pyramid/distribution").json()
    assert company["customers"] == 100 and company["figures"]["customers"] == 100
    assert company["amount"] == pytest.approx(mine["amount"] + float(beijing))


def test_run_pages_show_store_staff_their_own_figures(users, scored, hundred):
    html = client_as(users["marketer"]).get(reverse("scoring:runs")).content.decode()
    assert "Company-wide figures are shown only" in html
    assert f">{scored.customers}<" not in html.replace(" ", "")
    page = client_as(users["marketer"]).get(reverse("scoring:run", args=[scored.pk])).content.decode()
    visible = Customer.objects.exclude(branch__code="BJ1")
    changes = TierAssignment.objects.filter(as_of=DECEMBER, previous_rank__isnull=False,
                                            customer__in=visible).count()
    alerts = Alert.objects.filter(as_of=DECEMBER, customer__in=visible, customer__owner=users["marketer"]).count()
    assert "Tier changes of your customers" in page and "Alerts on your customers" in page
    assert changes < scored.changes  # Beijing's customer rose too
    assert f'<div class="kpi-value">{changes}</div>' in page
    assert f'<div class="kpi-value">{alerts}</div>' in page
    assert "Share of gross margin" not in page and "Fitted on" not in page
    full = client_as(users["administrator"]).get(reverse("scoring:run", args=[scored.pk])).content.decode()
    assert "Share of gross margin" in full and f'<div class="kpi-value">{scored.customers}</div>' in full
