"""The customer value API at /api/scoring: scoping, permissions, pagination and query counts."""

import datetime as dt

import pytest
from django.urls import Resolver404, resolve

from kehu.customers.models import Customer
from kehu.scoring.models import Alert, ScoringRun
from kehu.scoring.services import scoring_run_execute
from tests.api.conftest import ApiClient

DECEMBER = dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def scoring_urls(settings):
    """Use the project's API when it mounts the scoring router, else the same router on a test API."""
    try:
        mounted = resolve("/api/scoring/schemes").url_name == "scoring_scheme_list"
    except Resolver404:
        mounted = False
    if not mounted:
        settings.ROOT_URLCONF = "tests.scoring.api_urls"


@pytest.fixture
def api_as(users):
    from kehu.org.services import api_token_create

    def make(who):
        user = users[who] if isinstance(who, str) else who
        _token, key = api_token_create(user=user, name="tests")
        return ApiClient(key)

    return make


@pytest.fixture
def scored(hundred, buy, users, org):
    Customer.objects.filter(pk=hundred[99].pk).update(owner=users["account_manager"])
    Customer.objects.filter(pk=hundred[98].pk).update(owner=users["bj_account_manager"], branch=org["bj1"])
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    return scoring_run_execute(as_of=DECEMBER)


def test_schemes(api_as, scored):
    response = api_as("marketer").get("/api/scoring/schemes")
    assert response.status_code == 200
    schemes = {s["name"]: s for s in response.json()}
    assert schemes["pyramid"]["is_primary"] is True
    assert [t["code"] for t in schemes["pyramid"]["tiers"]] == ["A", "B", "C", "D"]
    assert schemes["pyramid"]["tiers"][0]["label"] == "Top customer"


def test_customer_scores_and_scope(api_as, scored, hundred):
    response = api_as("account_manager").get(f"/api/scoring/customers/{hundred[99].pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["tier"] == "C"  # fell from A when ten others bought big in December
    pyramid = next(t for t in body["tiers"] if t["scheme"] == "pyramid")
    assert (pyramid["tier"], pyramid["since"]) == ("C", "2025-12-31")
    assert body["purchase_days"] == 2 and body["total_amount"] == 10000.0
    assert 1 <= body["r_score"] <= 5 and body["rfm_segment"]
    # a Beijing customer is not found for a Shanghai account manager, and found for the Beijing one
    assert api_as("account_manager").get(f"/api/scoring/customers/{hundred[98].pk}").status_code == 404
    assert api_as("bj_account_manager").get(f"/api/scoring/customers/{hundred[98].pk}").status_code == 200


def test_alerts_are_scoped(api_as, scored, hundred):
    mine = api_as("account_manager").get("/api/scoring/alerts", reason="tier_fall")
    assert mine.status_code == 200
    ids = {a["customer_id"] for a in mine.json()["items"]}
    assert ids == {hundred[99].pk}
    item = next(a for a in mine.json()["items"] if a["scheme"] == "pyramid")
    assert (item["customer_code"], item["customer_name"]) == (hundred[99].code, hundred[99].name)
    assert item["figures"]["previous_tier"] == "A" and item["figures"]["tier"] == "C"
    assert "A" in item["text"] or "Top" in item["text"]
    other = api_as("other_account_manager").get("/api/scoring/alerts")
    assert other.json()["count"] == 0
    manager = api_as("branch_manager").get("/api/scoring/alerts", limit=200)
    assert hundred[98].pk not in {a["customer_id"] for a in manager.json()["items"]}
    assert manager.json()["count"] == Alert.objects.exclude(customer=hundred[98]).count()


def test_acknowledge_and_close_an_alert(api_as, scored, hundred):
    alert = Alert.objects.filter(customer=hundred[99]).first()
    assert api_as("other_account_manager").post(f"/api/scoring/alerts/{alert.pk}/acknowledge").status_code == 404
    response = api_as("account_manager").post(f"/api/scoring/alerts/{alert.pk}/acknowledge", {"note": "called"})
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    assert api_as("auditor").post(f"/api/scoring/alerts/{alert.pk}/close").status_code == 403
    assert api_as("branch_manager").post(f"/api/scoring/alerts/{alert.pk}/close").json()["status"] == "closed"


def test_runs_and_changes(api_as, scored, hundred):
    runs = api_as("marketer").get("/api/scoring/runs").json()
    assert runs["count"] == 2 and runs["items"][0]["as_of"] == "2025-12-31"
    detail = api_as("administrator").get(f"/api/scoring/runs/{scored.pk}").json()
    assert detail["lifetime_value"]["status"] in {"fitted", "skipped", "partial", "failed"}
    assert set(detail["counts"]) == {str(s.pk) for s in scored.schemes.all()}
    # a store's marketer gets no company-wide figures (tests/scoring/test_scoped_figures.py)
    detail = api_as("marketer").get(f"/api/scoring/runs/{scored.pk}").json()
    assert detail["lifetime_value"]["status"] in {"fitted", "skipped", "partial", "failed"}
    assert detail["counts"] == {} and detail["customers"] is None
    falls = api_as("account_manager").get(f"/api/scoring/runs/{scored.pk}/changes", scheme="pyramid",
                                          direction="fall").json()
    assert {c["customer_id"] for c in falls["items"]} <= {c.pk for c in hundred}
    assert all(c["direction"] == "fall" for c in falls["items"])
    codes = dict(Customer.objects.values_list("pk", "code"))
    assert all(c["customer_code"] == codes[c["customer_id"]] and c["customer_name"] for c in falls["items"])
    assert hundred[98].pk not in {c["customer_id"] for c in falls["items"]}
    assert api_as("marketer").get("/api/scoring/runs/999999").status_code == 404


def test_distribution_is_scoped(api_as, scored, hundred):
    everyone = api_as("administrator").get("/api/scoring/schemes/pyramid/distribution").json()
    assert everyone["customers"] == 100
    assert [t["customers"] for t in everyone["tiers"]] == [1, 4, 15, 80]
    east = api_as("branch_manager").get("/api/scoring/schemes/pyramid/distribution").json()
    assert east["customers"] == 99  # the Beijing customer is not counted
    assert sum(t["customers"] for t in east["tiers"]) == 99


def test_starting_a_run_needs_the_permission(api_as, hundred, run_permission, django_capture_on_commit_callbacks):
    refused = api_as("account_manager").post("/api/scoring/runs", {"as_of": "2025-12-31"})
    assert refused.status_code == 403
    assert not ScoringRun.objects.exists()
    bad = api_as("administrator").post("/api/scoring/runs", {"as_of": "2025-12-31", "schemes": ["nope"]})
    assert bad.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        accepted = api_as("administrator").post("/api/scoring/runs", {"as_of": "2025-12-31"})
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
    assert ScoringRun.objects.get(pk=accepted.json()["id"]).status == ScoringRun.Status.SUCCEEDED


def test_lists_need_a_constant_number_of_queries(api_as, scored, django_assert_max_num_queries):
    client = api_as("branch_manager")
    with django_assert_max_num_queries(12):
        assert client.get("/api/scoring/alerts", limit=200).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/scoring/runs/{scored.pk}/changes", limit=200).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/scoring/runs").status_code == 200


def test_customer_list_and_lookup_carry_the_primary_tier(api_as, scored, hundred):
    api = api_as("administrator")
    body = api.get("/api/customers", tier="A").json()
    assert body["count"] == 1
    [item] = body["items"]
    assert (item["tier"], item["tier_label"]) == ("A", "Top customer")
    customer = Customer.objects.get(pk=item["id"])
    Customer.objects.filter(pk=customer.pk).update(mobile="+8613800138000")

    lookup = api.get("/api/customers/lookup", phone="13800138000").json()

    assert [(i["customer"]["id"], i["customer"]["tier"], i["customer"]["tier_label"]) for i in lookup["items"]] == [
        (customer.pk, "A", "Top customer")]
    detail = api.get(f"/api/customers/{hundred[0].pk}").json()
    assert detail["tier"] in {"A", "B", "C", "D"}
