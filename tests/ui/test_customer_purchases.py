"""All purchases of one customer on their own page, paginated and filterable, linked from the 360 page's purchases
panel (which shows the newest 10) (issue 12 item 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .helpers import page_text

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def buyer(users, org, make_customer):
    """张三 with 30 purchases: day n (1..30 January 2026) for 100 + n yuan, odd days at store SH2, even at SH1."""
    from kehu.purchases.services import product_get_or_create, transaction_bulk_create

    customer = make_customer("张三", owner=users["account_manager"])
    product = product_get_or_create(sku="P1", name="理财产品")
    transaction_bulk_create(rows=[
        {"customer": customer, "amount": Decimal(100 + day), "product": product,
         "branch": org["sh2"] if day % 2 else org["sh1"],
         "occurred_at": dt.datetime(2026, 1, day, 12, tzinfo=dt.UTC)}
        for day in range(1, 31)
    ])
    return customer


def url(customer) -> str:
    return f"/purchases/customers/{customer.pk}/"


def amounts(response) -> list[int]:
    return [int(transaction.amount) for transaction in response.context["page"].object_list]


def test_the_360_panel_links_to_every_purchase(client, users, buyer):
    client.force_login(users["account_manager"])
    detail = page_text(client.get(f"/customers/{buyer.pk}/", headers=ENGLISH))
    assert "The 10 most recent of 30 purchases." in detail and url(buyer) in detail
    first = client.get(url(buyer), headers=ENGLISH)
    assert first.status_code == 200
    assert amounts(first) == list(range(130, 105, -1))  # newest first, 25 a page
    text = page_text(first)
    assert "30 purchases" in text and "Page 1 of 2" in text
    assert amounts(client.get(url(buyer), {"page": 2})) == list(range(105, 100, -1))
    assert len(client.get(url(buyer), {"per_page": "50"}).context["page"].object_list) == 30


def test_filters_by_dates_store_and_amount(client, users, org, buyer):
    client.force_login(users["account_manager"])
    assert amounts(client.get(url(buyer), {"date_from": "2026-01-10", "date_to": "2026-01-12"})) == [112, 111, 110]
    assert amounts(client.get(url(buyer), {"store": org["sh1"].pk, "amount_max": "106"})) == [106, 104, 102]
    assert amounts(client.get(url(buyer), {"store": org["east"].pk, "amount_min": "129"})) == [130, 129]  # region
    empty = client.get(url(buyer), {"amount_min": "1000"}, headers=ENGLISH)
    assert "No purchases match these filters." in page_text(empty)
    # the store filter offers the stores where the customer bought
    stores = {branch.code for branch in empty.context["form"].fields["store"].queryset}
    assert stores == {"SH1", "SH2"}


@pytest.mark.parametrize("params", [
    {"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "2026-13-01"},
    {"amount_min": "1e400"}, {"amount_max": "-99999999999999999999"}, {"amount_min": "NaN"},
    {"store": "99999999999999999999999"}, {"store": "abc"}, {"page": "9" * 30}, {"per_page": "1000000"},
])
def test_hostile_filters_answer_a_page(client, users, buyer, params):
    client.force_login(users["account_manager"])
    response = client.get(url(buyer), params)
    assert response.status_code == 200


def test_out_of_scope_and_unknown_customers_are_404(client, users, buyer):
    client.force_login(users["bj_account_manager"])
    assert client.get(url(buyer)).status_code == 404
    client.force_login(users["account_manager"])
    assert client.get("/purchases/customers/999999999/").status_code == 404
    assert client.get("/purchases/customers/99999999999999999999999/").status_code == 404
    client.logout()
    assert client.get(url(buyer)).status_code == 302


def test_purchase_pages_need_a_constant_number_of_queries(client, users, org, buyer):
    from kehu.purchases.services import transaction_bulk_create

    client.force_login(users["account_manager"])
    client.get(url(buyer))
    with CaptureQueriesContext(connection) as few:
        client.get(url(buyer), {"store": org["sh1"].pk})
    transaction_bulk_create(rows=[
        {"customer": buyer, "amount": Decimal(1), "branch": org["sh1"],
         "occurred_at": dt.datetime(2026, 2, day, tzinfo=dt.UTC)} for day in range(1, 28)
    ])
    with CaptureQueriesContext(connection) as many:
        client.get(url(buyer), {"store": org["sh1"].pk})
    assert len(many.captured_queries) == len(few.captured_queries)
