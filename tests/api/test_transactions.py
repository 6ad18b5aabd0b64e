"""The transactions endpoints: scoped list with filters and pagination, idempotent create."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.purchases.models import Transaction
from kehu.purchases.services import product_get_or_create, transaction_create

from .conftest import error_of


def buy(customer, actor, when, amount="10.00", **fields):
    return transaction_create(actor=actor, customer=customer, occurred_at=when, amount=Decimal(amount), **fields)[0]


def test_create_and_retry_is_idempotent(api_as, make_customer, org):
    customer = make_customer("张三")
    product = product_get_or_create(sku="TEA-1", name="龙井茶")
    body = {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00+08:00", "amount": "199.00",
            "margin": "50.00", "product_sku": "TEA-1", "channel": "online", "external_ref": "POS-0001"}
    client = api_as("account_manager")

    first = client.post("/api/transactions", body)
    retry = client.post("/api/transactions", body)

    assert first.status_code == 201, first.content
    assert retry.status_code == 200, retry.content
    assert first.json()["id"] == retry.json()["id"]
    assert Transaction.objects.count() == 1
    data = first.json()
    assert Decimal(data["amount"]) == Decimal("199.00") and data["product"]["id"] == product.pk
    assert data["branch"]["id"] == org["sh1"].pk and data["customer"]["code"] == customer.code
    assert data["channel"] == "online" and data["external_ref"] == "POS-0001"


def test_create_without_reference_creates_each_time(api_as, make_customer):
    customer = make_customer("张三")
    body = {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00+08:00", "amount": "9.90"}
    client = api_as("branch_manager")

    assert client.post("/api/transactions", body).status_code == 201
    assert client.post("/api/transactions", body).status_code == 201
    assert Transaction.objects.count() == 2


def test_reference_of_another_customer_is_409(api_as, make_customer):
    first, second = make_customer("张三"), make_customer("李四")
    client = api_as("administrator")
    body = {"customer_id": first.pk, "occurred_at": "2025-03-01T10:00:00Z", "amount": "1", "external_ref": "R1"}
    assert client.post("/api/transactions", body).status_code == 201

    response = client.post("/api/transactions", {**body, "customer_id": second.pk})

    assert response.status_code == 409  # the same reference with a different body (tests/api/test_hostile_input.py)
    assert error_of(response)["code"] == "idempotency_conflict"
    assert "customer_id" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"margin": "500"}, "margin"),
        ({"channel": "fax"}, "channel"),
        ({"product_sku": "NOPE"}, "product_sku"),
        ({"branch_id": 987654}, "branch_id"),
    ],
)
def test_create_validation(api_as, make_customer, overrides, field):
    customer = make_customer("张三")
    body = {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00Z", "amount": "100", **overrides}

    response = api_as("administrator").post("/api/transactions", body)

    assert response.status_code == 422, response.content
    assert field in error_of(response)["fields"]
    assert not Transaction.objects.exists()


def test_create_for_another_branchs_customer_is_404(api_as, make_customer, org):
    customer = make_customer("张三", branch=org["bj1"])
    body = {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00Z", "amount": "100"}

    response = api_as("account_manager").post("/api/transactions", body)

    assert response.status_code == 404
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("role", ["marketer", "service_agent", "auditor"])
def test_create_without_permission_is_403(api_as, make_customer, role):
    customer = make_customer("张三")
    body = {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00Z", "amount": "100"}

    response = api_as(role).post("/api/transactions", body)

    assert response.status_code == 403
    assert not Transaction.objects.exists()


def test_list_scoped_and_filtered(api_as, make_customer, users, org):
    admin = users["administrator"]
    zhang = make_customer("张三")
    li = make_customer("李四")
    beijing = make_customer("王五", branch=org["bj1"])
    march = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)
    old = buy(zhang, admin, march - dt.timedelta(days=60))
    new = buy(zhang, admin, march)
    other = buy(li, admin, march)
    buy(beijing, admin, march)
    client = api_as("account_manager")

    def ids(**query):
        response = client.get("/api/transactions", **query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert sorted(ids()) == sorted([old.pk, new.pk, other.pk])
    assert ids(customer_id=zhang.pk) == [new.pk, old.pk]
    assert sorted(ids(since="2025-02-01T00:00:00Z")) == sorted([new.pk, other.pk])
    assert ids(until="2025-02-01T00:00:00Z") == [old.pk]
    assert client.get("/api/transactions", customer_id=beijing.pk).status_code == 404
    assert client.get("/api/transactions", since="soon").status_code == 422


def test_list_pagination(api_as, make_customer, users):
    customer = make_customer("张三")
    for day in range(5):
        buy(customer, users["administrator"], timezone.now() - dt.timedelta(days=day))

    page = api_as("administrator").get("/api/transactions", limit=2, offset=4).json()

    assert page["count"] == 5 and len(page["items"]) == 1


def _many_transactions(make_customer, users, count):
    admin = users["administrator"]
    product = product_get_or_create(sku="TEA-1", name="龙井茶")
    for number in range(count):
        customer = make_customer(f"客户{number}")
        buy(customer, admin, timezone.now() - dt.timedelta(hours=number), product=product)


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count(api_as, make_customer, users, django_assert_max_num_queries, rows):
    _many_transactions(make_customer, users, rows)
    client = api_as("branch_manager")
    client.get("/api/transactions")

    with django_assert_max_num_queries(8):
        response = client.get("/api/transactions", limit=50)

    assert response.json()["count"] == rows


def test_list_query_count_is_the_same_for_3_and_30(api_as, make_customer, users):
    client = api_as("branch_manager")
    _many_transactions(make_customer, users, 3)
    client.get("/api/transactions")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/transactions", limit=50)
    _many_transactions(make_customer, users, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/transactions", limit=50)

    assert response.json()["count"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)
