"""The customer value pages: charts with drill-down links, scoping, runs, alerts, the 360 fragment, query counts."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import NoReverseMatch, reverse

from kehu.customers.models import Customer
from kehu.scoring.models import Alert, ScoringRun
from kehu.scoring.services import scoring_run_execute

DECEMBER = dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def scoring_urls(settings):
    try:
        reverse("scoring:overview")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.scoring.ui_urls"


@pytest.fixture
def client_as(users):
    def make(who):
        client = Client()
        client.force_login(users[who] if isinstance(who, str) else who)
        return client

    return make


@pytest.fixture
def scored(hundred, buy, users, org):
    Customer.objects.filter(pk=hundred[99].pk).update(owner=users["account_manager"])
    Customer.objects.filter(pk=hundred[98].pk).update(owner=users["bj_account_manager"], branch=org["bj1"])
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    return scoring_run_execute(as_of=DECEMBER)


def test_overview_without_runs_explains_itself(client_as, org, users):
    response = client_as("administrator").get(reverse("scoring:overview"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No scoring run yet" in response.content.decode()


def test_overview_draws_every_scheme_with_drill_down_links(client_as, scored):
    response = client_as("administrator").get(reverse("scoring:overview"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 6  # five schemes and the Pareto curve: lifetime value could not be estimated
    assert "Lifetime value has not been estimated yet" in html
    # the primary scheme's bars lead to the customer list filtered by tier, the others to their tier pages
    assert f'{reverse("customers:list")}?tier=A' in html
    assert reverse("scoring:tier_customers", args=["sales-margin", "HH"]) in html
    assert reverse("scoring:tier_customers", args=["value-loyalty", "LL"]) in html
    assert "of customers make 80% of gross margin" in html
    assert "https://" not in html.split("<main")[1]  # nothing loaded from elsewhere


def test_lifetime_value_histogram(client_as, varied):
    scoring_run_execute(as_of=DECEMBER)
    html = client_as("administrator").get(reverse("scoring:overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count("<svg") == 7
    assert "Distribution of lifetime value" in html and "customers with an estimate" in html


def test_branch_manager_charts_count_only_their_scope(client_as, scored):
    html = client_as("branch_manager").get(reverse("scoring:overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Counted over the customers of your branches." in html
    assert "99 customers" in html


def test_tier_page_lists_visible_customers_of_the_tier(client_as, scored, hundred):
    gold = reverse("scoring:tier_customers", args=["thresholds", "gold"])
    silver = reverse("scoring:tier_customers", args=["thresholds", "silver"])
    assert hundred[99].name in client_as("branch_manager").get(gold).content.decode()  # 10,000 in the year
    assert hundred[98].name not in client_as("branch_manager").get(silver).content.decode()  # 9,900, in Beijing
    assert hundred[97].name in client_as("branch_manager").get(silver).content.decode()
    assert client_as("bj_account_manager").get(silver).content.decode().count(hundred[98].name) == 1
    assert client_as("administrator").get(
        reverse("scoring:tier_customers", args=["thresholds", "nope"])).status_code == 404
    assert client_as("administrator").get(
        reverse("scoring:tier_customers", args=["nope", "gold"])).status_code == 404


def test_primary_tier_filter_of_the_customer_list(scored, users, hundred):
    from kehu.customers.selectors import CustomerFilters, customer_list

    tier_a = customer_list(user=users["administrator"], filters=CustomerFilters(tier="A"))
    assert set(tier_a.values_list("primary_tier__tier", flat=True)) == {"A"}
    assert {customer.tier for customer in tier_a} == {"A"}
    assert tier_a.count() == 1


def test_runs_page_and_starting_a_run(client_as, scored, run_permission, django_capture_on_commit_callbacks):
    html = client_as("marketer").get(reverse("scoring:runs")).content.decode()
    assert "2025-12-31" in html and "2025-11-30" in html
    assert client_as("account_manager").post(reverse("scoring:run_start"), {"as_of": "2025-12-31"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("administrator").post(reverse("scoring:run_start"), {"as_of": "2025-12-31"})
    assert response.status_code == 302
    newest = ScoringRun.objects.order_by("-id").first()
    assert response["Location"] == reverse("scoring:run", args=[newest.pk])
    newest.refresh_from_db()
    assert newest.status == ScoringRun.Status.SUCCEEDED
    refused = client_as("administrator").post(reverse("scoring:run_start"), {"as_of": "2025-01-31"}, follow=True)
    assert refused.status_code == 200
    assert ScoringRun.objects.count() == 3


def test_run_page_lists_changes_in_scope(client_as, scored, hundred):
    url = reverse("scoring:run", args=[scored.pk])
    html = client_as("branch_manager").get(url, {"scheme": "pyramid", "direction": "fall"}).content.decode()
    assert hundred[99].name in html and "↓" in html
    assert hundred[98].name not in html
    assert client_as("administrator").get(reverse("scoring:run", args=[99999])).status_code == 404


def test_alerts_page_and_handling(client_as, scored, hundred):
    mine = client_as("account_manager").get(reverse("scoring:alerts"), {"reason": "tier_fall"}).content.decode()
    assert hundred[99].name in mine
    assert hundred[97].name not in mine  # not owned by this account manager
    alert = Alert.objects.filter(customer=hundred[99]).first()
    url = reverse("scoring:alert_handle", args=[alert.pk, "acknowledge"])
    assert client_as("other_account_manager").post(url).status_code == 404
    response = client_as("account_manager").post(url, {"note": "已回访"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'id="alert-{alert.pk}"' in response.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.note) == (Alert.Status.ACKNOWLEDGED, "已回访")


def test_customer_360_fragment(scored, hundred, rf, users):
    request = rf.get("/")
    request.user = users["administrator"]
    html = Template("{% load scoring %}{% customer_scores customer %}").render(
        Context({"customer": hundred[99], "request": request}))
    assert 'id="customer-value"' in html
    assert "R" in html and "F" in html and "M" in html
    assert "C ·" in html  # the primary tier


def test_pages_need_a_constant_number_of_queries(client_as, scored, django_assert_max_num_queries):
    client = client_as("branch_manager")
    for url in (reverse("scoring:alerts"), reverse("scoring:runs"), reverse("scoring:run", args=[scored.pk]),
                reverse("scoring:tier_customers", args=["thresholds", "regular"]), reverse("scoring:overview")):
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200


def test_customer_list_shows_and_filters_the_primary_tier(client_as, scored, hundred):
    top = Customer.objects.get(primary_tier__tier="A")
    other = Customer.objects.exclude(primary_tier__tier="A").filter(primary_tier__isnull=False).first()

    response = client_as("administrator").get(reverse("customers:list"), {"tier": "A"}, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert top.name in html and other.name not in html
    assert '<option value="A" selected>A Top customer</option>' in html  # the tier filter, from the tiers held
    assert 'title="Top customer">A</span>' in html  # the tier column
    everyone = client_as("administrator").get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert other.name in everyone.content.decode() and "顶级客户" in everyone.content.decode()
