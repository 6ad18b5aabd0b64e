"""The customer timeline API (issue 13 item 10): every module's rows carry their ``kind`` (transaction, contact, task,
tier_change, lifecycle, transfer) newest first, the keyset cursor pages through every row once, hostile cursors answer
422, another branch's customer 404, and the number of queries does not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.work import conftest as work_fixtures

api_as, make_task, today = work_fixtures.api_as, work_fixtures.make_task, work_fixtures.today  # shared fixtures


@pytest.fixture
def mixed(make_customer, users, make_task):
    """One customer of am1 with a purchase, a contact, a task, a tier change (as a scoring run writes it), a
    lifecycle change and a transfer, each at a known time (newest: the transfer)."""
    from kehu.customers.services import customer_transfer, customer_update
    from kehu.customers.timeline import activity_record
    from kehu.purchases.services import transaction_create
    from kehu.relations.services import contact_log

    am1, admin = users["account_manager"], users["administrator"]
    customer = make_customer("时间线", owner=am1)
    now = timezone.now()
    transaction_create(actor=admin, customer=customer, amount=Decimal("88.00"), occurred_at=now - dt.timedelta(days=6))
    contact_log(actor=am1, customer=customer, channel="visit", summary="上门拜访",
                occurred_at=now - dt.timedelta(days=5))
    activity_record(customer=customer, kind="tier_change", occurred_at=now - dt.timedelta(days=4),
                    data={"scheme": "价值分层", "old": "B", "new": "A"})
    make_task(customer=customer, title="季度拜访", kind="visit")  # created now - a moment
    customer.refresh_from_db()
    customer_update(customer=customer, actor=admin, lifecycle_status="current")
    customer_transfer(customers=[customer], new_owner=users["other_account_manager"], actor=admin, reason="调整")
    return customer


def test_every_row_has_its_kind_newest_first(api_as, mixed):
    body = api_as("administrator").get(f"/api/customers/{mixed.pk}/timeline", limit=50).json()
    kinds = [item["kind"] for item in body["items"]]
    assert {"transaction", "contact", "task", "tier_change", "lifecycle", "transfer"} <= set(kinds)
    assert kinds.index("tier_change") < kinds.index("contact") < kinds.index("transaction")
    times = [dt.datetime.fromisoformat(item["occurred_at"]) for item in body["items"]]
    assert times == sorted(times, reverse=True)
    assert all(item["title"] for item in body["items"]) and body["next_before"] is None


def test_the_keyset_cursor_pages_through_every_row_once(api_as, mixed):
    from kehu.customers.models import Activity
    from kehu.customers.timeline import activity_record_bulk

    moment = timezone.now() - dt.timedelta(days=30)  # ties on the time: the id breaks them
    activity_record_bulk({"customer_id": mixed.pk, "kind": "lifecycle", "occurred_at": moment,
                          "data": {"field": "lifecycle_status", "old": "prospect", "new": "current"}} for _ in range(7))
    api = api_as("administrator")
    url = f"/api/customers/{mixed.pk}/timeline"
    seen, before, pages = [], None, 0
    while True:
        query = {"limit": 3} | ({"before": before} if before else {})
        body = api.get(url, **query).json()
        seen += [(item["kind"], item["occurred_at"], item["subject"]) for item in body["items"]]
        pages += 1
        before = body["next_before"]
        if before is None:
            break
    total = Activity.objects.filter(customer=mixed).count()
    assert len(seen) == total and body["count"] == total and pages == -(-total // 3)
    by_offset = api.get(url, limit=100).json()["items"]
    assert seen == [(item["kind"], item["occurred_at"], item["subject"]) for item in by_offset]


@pytest.mark.parametrize("cursor", ["garbage", "1.2.3", "99999999999999999.1", "-99999999999999999.1",
                                    "1700000000000000.99999999999999999999", "1700000000000000.-1", "=1+1"])
def test_hostile_cursors_answer_422(api_as, mixed, cursor):
    response = api_as("administrator").get(f"/api/customers/{mixed.pk}/timeline", before=cursor)
    assert response.status_code == 422 and "before" in response.json()["error"]["fields"]


def test_another_branchs_customer_is_404_with_or_without_a_cursor(api_as, mixed):
    api = api_as("bj_account_manager")
    assert api.get(f"/api/customers/{mixed.pk}/timeline").status_code == 404
    assert api.get(f"/api/customers/{mixed.pk}/timeline", before="1700000000000000.1").status_code == 404


def test_queries_do_not_grow_with_rows_on_cursor_pages(api_as, mixed, users):
    from kehu.relations.services import contact_log

    api = api_as("administrator")
    url = f"/api/customers/{mixed.pk}/timeline"
    cursor = api.get(url, limit=2).json()["next_before"]
    with CaptureQueriesContext(connection) as few:
        assert api.get(url, limit=2, before=cursor).status_code == 200
    for day in range(10, 30):
        contact_log(actor=users["other_account_manager"], customer=mixed, channel="phone", summary=str(day),
                    occurred_at=timezone.now() - dt.timedelta(days=day))
    cursor = api.get(url, limit=2).json()["next_before"]
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(url, limit=20, before=cursor).json()["items"]) == 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_360_panel_reads_one_customers_newest_rows_in_one_query(mixed, users, django_assert_num_queries):
    from kehu.customers.timeline import timeline_panel_load

    with django_assert_num_queries(1):
        data = timeline_panel_load([mixed.pk], users["administrator"], full=True)
    assert [item.kind for item in data[mixed.pk]["items"]][0] == "transfer" and data[mixed.pk]["more"] is False
