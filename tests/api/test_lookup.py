"""GET /api/customers/lookup?phone=…: the call-centre screen pop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.core.registry import panel_list
from kehu.customers.models import PersonalDataAccess
from kehu.customers.services import consent_record, contact_create, tag_get_or_create
from kehu.purchases.services import transaction_create

from .conftest import error_of


def buy(customer, actor, days_ago, amount):
    transaction_create(actor=actor, customer=customer, occurred_at=timezone.now() - dt.timedelta(days=days_ago),
                       amount=Decimal(amount))


def test_lookup_returns_the_360_summary(api_as, make_customer, users):
    admin = users["administrator"]
    customer = make_customer("张三", mobile="13800138000", owner=users["account_manager"],
                             person={"id_number": "11010519491231002X"}, management_class="key",
                             tags=[tag_get_or_create(name="VIP")])
    make_customer("李四", mobile="13900139000")
    for days_ago, amount in [(40, "10.00"), (30, "20.00"), (20, "30.00"), (10, "40.00"), (5, "50.00"), (1, "60.50")]:
        buy(customer, admin, days_ago, amount)
    consent_record(customer=customer, actor=admin, channel="sms", granted=True, source="form",
                   recorded_at=timezone.now() - dt.timedelta(days=9))
    consent_record(customer=customer, actor=admin, channel="sms", granted=False, source="phone")

    response = api_as("service_agent").get("/api/customers/lookup", phone="138 0013 8000")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    summary = body["items"][0]
    assert summary["customer"]["id"] == customer.pk
    assert summary["customer"]["code"] == customer.code
    assert summary["customer"]["mobile"] == "138****8000"
    assert summary["customer"]["id_number"] == "1101**********002X"
    assert summary["customer"]["owner"]["id"] == users["account_manager"].pk
    assert summary["customer"]["branch"]["code"] == "SH1"
    assert summary["customer"]["management_class"] == "key"
    assert summary["customer"]["tags"] == ["VIP"]
    assert summary["purchases"]["count"] == 6
    assert Decimal(summary["purchases"]["total_amount"]) == Decimal("210.50")
    assert summary["purchases"]["last_purchase"] is not None
    assert [Decimal(t["amount"]) for t in summary["recent_transactions"]] == [
        Decimal("60.50"), Decimal("50.00"), Decimal("40.00"), Decimal("30.00"), Decimal("20.00")
    ]
    assert summary["consents"]["sms"]["granted"] is False and summary["consents"]["sms"]["source"] == "phone"
    assert summary["consents"]["email"] is None
    assert "13800138000" not in response.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.customer, access.action) == (users["service_agent"], customer, "lookup")


def test_lookup_names_product_and_branch_of_recent_purchases(api_as, make_customer, users, org):
    from kehu.purchases.models import Product

    customer = make_customer("张三", mobile="13800138000")
    tea = Product.objects.create(sku="TEA-1", name="龙井茶")
    transaction_create(actor=users["administrator"], customer=customer, occurred_at=timezone.now(),
                       amount=Decimal("0.10"), product=tea, branch=org["sh2"])
    transaction_create(actor=users["administrator"], customer=customer,
                       occurred_at=timezone.now() - dt.timedelta(days=1), amount=Decimal("0.20"))

    summary = api_as("service_agent").get("/api/customers/lookup", phone="13800138000").json()["items"][0]

    # without a branch the purchase is the customer's home branch's
    assert [(t["product"], t["branch"]) for t in summary["recent_transactions"]] == [("龙井茶", "上海二店"),
                                                                                      (None, "上海一店")]
    assert summary["purchases"]["count"] == 2 and Decimal(summary["purchases"]["total_amount"]) == Decimal("0.30")


def test_lookup_without_purchases_consents_or_tags(api_as, make_customer):
    make_customer("张三", mobile="13800138000")

    summary = api_as("service_agent").get("/api/customers/lookup", phone="13800138000").json()["items"][0]

    assert summary["purchases"] == {"count": 0, "total_amount": None, "last_purchase": None}
    assert summary["recent_transactions"] == [] and summary["customer"]["tags"] == []
    assert set(summary["consents"]) == {"sms", "email", "phone", "post"} and not any(summary["consents"].values())


def test_lookup_pages_and_counts(api_as, make_customer, users):
    _shared_phone_customers(make_customer, users, 5)
    client = api_as("administrator")

    first = client.get("/api/customers/lookup", phone="13800138000", limit=2).json()
    last = client.get("/api/customers/lookup", phone="13800138000", limit=2, offset=4).json()
    past_the_end = client.get("/api/customers/lookup", phone="13800138000", limit=2, offset=10)

    assert (first["count"], len(first["items"])) == (5, 2)
    assert (last["count"], len(last["items"])) == (5, 1)
    assert past_the_end.status_code == 200 and past_the_end.json() == {"count": 5, "items": []}
    assert PersonalDataAccess.objects.count() == 3  # one entry per customer shown


def test_lookup_finds_organisation_by_primary_contact(api_as, make_customer, users):
    company = make_customer("上海某某有限公司", kind="organisation")
    contact_create(customer=company, actor=users["administrator"], name="王经理", mobile="13900139000",
                   is_primary=True)

    response = api_as("branch_manager").get("/api/customers/lookup", phone="+86 139 0013 9000")

    assert response.status_code == 200
    summary = response.json()["items"][0]
    assert summary["customer"]["kind"] == "organisation"
    assert [(c["name"], c["mobile"]) for c in summary["primary_contacts"]] == [("王经理", "139****9000")]


def test_lookup_without_match_is_404(api_as, make_customer):
    make_customer("张三", mobile="13800138000")

    response = api_as("service_agent").get("/api/customers/lookup", phone="13900139000")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert not PersonalDataAccess.objects.exists()


def test_lookup_of_another_branchs_customer_is_404(api_as, make_customer, org):
    make_customer("张三", mobile="13800138000", branch=org["bj1"])

    response = api_as("service_agent").get("/api/customers/lookup", phone="13800138000")

    assert response.status_code == 404


@pytest.mark.parametrize("phone", ["12345", "not a phone", ""])
def test_lookup_invalid_phone_is_422(api_as, phone):
    response = api_as("service_agent").get("/api/customers/lookup", phone=phone)

    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["phone"]


def test_lookup_without_phone_is_422(api_as):
    response = api_as("service_agent").get("/api/customers/lookup")

    assert response.status_code == 422
    assert error_of(response)["fields"] == {"phone": ["This field is required."]}


def _shared_phone_customers(make_customer, users, count):
    """``count`` customers reachable by one phone: their own mobile or a primary contact, each with purchases."""
    admin = users["administrator"]
    vip = tag_get_or_create(name="VIP")
    for number in range(count):
        if number % 2:
            customer = make_customer(f"公司{number}", kind="organisation", tags=[vip])
            contact_create(customer=customer, actor=admin, name="联系人", mobile="13800138000", is_primary=True)
        else:
            customer = make_customer(f"客户{number}", mobile="13800138000", tags=[vip])
        consent_record(customer=customer, actor=admin, channel="email", granted=True)
        for days_ago in range(3):
            buy(customer, admin, days_ago + 1, "9.90")


# The screen pop's queries, each a regression if it grows: the token with its user; the user's roles, permissions and
# branches; the page of customers with its count (a window); their tags; the current consents; the primary contacts;
# the access-log insert (one statement, no transaction of its own); and those of each registered panel with an API
# schema the user may see, loaded once for all the customers (purchases: the newest transactions with the purchase
# totals; service: the open tickets; sales: the open opportunities, for holders of sales.view_opportunity). The
# token's last-used stamp adds an update at most once a minute.
LOOKUP_BASE_QUERIES = 7
LOOKUP_QUERIES = LOOKUP_BASE_QUERIES + sum(panel.queries for panel in panel_list(screen_pop=True))


def _lookup_queries(user) -> int:
    return LOOKUP_BASE_QUERIES + sum(panel.queries for panel in panel_list(screen_pop=True) if panel.allowed(user))


def test_lookup_makes_10_queries_with_the_registered_panels(users):
    assert LOOKUP_QUERIES == 10  # the README's lookup benchmark (the administrator's token) depends on it
    assert _lookup_queries(users["service_agent"]) == 9  # no opportunities panel without sales.view_opportunity


@pytest.mark.parametrize("rows", [1, 3, 30])
def test_lookup_query_count(api_as, make_customer, users, django_assert_num_queries, rows):
    _shared_phone_customers(make_customer, users, rows)
    client = api_as("service_agent")
    client.get("/api/customers/lookup", phone="13800138000")

    with django_assert_num_queries(_lookup_queries(users["service_agent"])):
        response = client.get("/api/customers/lookup", phone="13800138000", limit=50)

    assert response.json()["count"] == rows
    assert all(len(item["recent_transactions"]) == 3 for item in response.json()["items"])


def test_lookup_query_count_is_the_same_for_3_and_30(api_as, make_customer, users):
    client = api_as("administrator")
    _shared_phone_customers(make_customer, users, 3)
    client.get("/api/customers/lookup", phone="13800138000")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/customers/lookup", phone="13800138000", limit=50)
    _shared_phone_customers(make_customer, users, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/customers/lookup", phone="13800138000", limit=50)

    assert response.json()["count"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)
