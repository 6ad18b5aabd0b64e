"""The customer timeline: activities written by the services in the change's transaction, the timeline API and the
360 page's timeline section."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Activity, LifecycleChange
from kehu.customers.services import customer_transfer, customer_update
from kehu.purchases.models import Transaction
from kehu.purchases.services import transaction_bulk_create, transaction_create


def timeline_url(customer) -> str:
    return f"/api/customers/{customer.pk}/timeline"


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def _buy(customer, actor, days_ago, amount="10.00"):
    return transaction_create(actor=actor, customer=customer, amount=Decimal(amount),
                              occurred_at=timezone.now() - dt.timedelta(days=days_ago))[0]


def test_a_transaction_writes_one_activity(make_customer, users):
    customer = make_customer("张三")
    before = Activity.objects.count()

    record = _buy(customer, users["account_manager"], 2, "88.50")

    activity = Activity.objects.get(kind="transaction")
    assert Activity.objects.count() == before + 1
    assert (activity.customer_id, activity.subject_type, activity.subject_id) == (
        customer.pk, "purchases.transaction", record.pk)
    assert activity.occurred_at == record.occurred_at and activity.actor == users["account_manager"]
    assert activity.data["amount"] == "88.50"


def test_a_lifecycle_change_writes_one_activity(make_customer, users):
    customer = make_customer("张三", lifecycle_status="prospect")
    before = Activity.objects.filter(kind="lifecycle").count()

    customer_update(customer=customer, actor=users["administrator"], lifecycle_status="current", reason="签约")

    assert Activity.objects.filter(kind="lifecycle").count() == before + 1
    activity = Activity.objects.filter(kind="lifecycle").latest("id")
    change = LifecycleChange.objects.latest("id")
    assert (activity.subject_id, activity.data["old"], activity.data["new"]) == (change.pk, "prospect", "current")


def test_a_transfer_writes_one_activity_per_customer(make_customer, users):
    first, second = make_customer("张三"), make_customer("李四")
    before = Activity.objects.filter(kind="transfer").count()

    customer_transfer(customers=[first, second], new_owner=users["account_manager"], actor=users["branch_manager"],
                      reason="调岗")

    activities = Activity.objects.filter(kind="transfer").order_by("customer_id")
    assert activities.count() == before + 2
    assert [a.customer_id for a in activities] == [first.pk, second.pk]
    assert activities[0].data["to_owner"] == str(users["account_manager"]) and activities[0].data["reason"] == "调岗"


def test_activities_roll_back_with_the_change(make_customer, users):
    customer = make_customer("张三")
    before = Activity.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        _buy(customer, users["administrator"], 1)
        customer_update(customer=customer, actor=users["administrator"], lifecycle_status="lost")
        customer_transfer(customers=[customer], new_owner=users["account_manager"], actor=users["administrator"],
                          reason="x")
        assert Activity.objects.count() == before + 3  # written inside the same transaction
        raise RuntimeError("roll back")
    assert Activity.objects.count() == before and not Transaction.objects.exists()


def test_bulk_transactions_write_their_activities_in_bulk(make_customer, django_assert_num_queries):
    customer = make_customer("张三")
    rows = [{"customer_id": customer.pk, "occurred_at": timezone.now() - dt.timedelta(days=n), "amount": Decimal(n),
             "branch_id": customer.branch_id} for n in range(1, 31)]
    # savepoint, transactions, activities, then the transaction listeners (loyalty's accrual: its savepoint, whether
    # any points account exists, release; loyalty's coupons: its savepoint, whether an active purchase-rule batch
    # exists, release), release
    with django_assert_num_queries(10):
        transaction_bulk_create(rows=rows)
    assert Activity.objects.filter(kind="transaction").count() == 30
    assert set(Activity.objects.filter(kind="transaction").values_list("subject_id", flat=True)) == set(
        Transaction.objects.values_list("id", flat=True))


def test_imported_transactions_write_activities(tmp_path, make_customer, users):
    from kehu.imports.services import import_job_create, import_run

    customer = make_customer("张三", code="K1")
    path = tmp_path / "t.csv"
    path.write_text("流水号,客户编号,交易时间,金额\nA1,K1,2025-03-01 10:30,199.00\nA2,K1,2025-03-02,20\n",
                    encoding="utf-8")
    job = import_job_create(target="transactions", file_path=path, language="en", key="code", mode="skip-bad",
                            user=users["administrator"])
    import_run(job=job)

    activities = Activity.objects.filter(kind="transaction", customer=customer).order_by("occurred_at")
    assert [a.data["external_ref"] for a in activities] == ["A1", "A2"]
    assert activities[0].actor == users["administrator"] and activities[0].data["amount"] == "199.00"


def test_timeline_api_newest_first_with_titles(api, make_customer, users):
    customer = make_customer("张三", lifecycle_status="prospect")
    _buy(customer, users["administrator"], 5, "10.00")
    _buy(customer, users["administrator"], 1, "20.00")
    customer_transfer(customers=[customer], new_owner=users["account_manager"], actor=users["administrator"],
                      reason="调岗")

    response = api(users["account_manager"]).get(timeline_url(customer), {"lang": "en"},
                                                  HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 4
    # the purchases happened days ago; the customer was created and transferred just now
    assert [item["kind"] for item in body["items"]] == ["transfer", "lifecycle", "transaction", "transaction"]
    times = [item["occurred_at"] for item in body["items"]]
    assert times == sorted(times, reverse=True)
    purchase = body["items"][2]
    assert purchase["data"]["amount"] == "20.00" and purchase["subject"]["type"] == "purchases.transaction"
    assert purchase["actor"]["username"] == "admin1"
    assert "20.00" in purchase["title"]
    assert set(purchase) == {"kind", "occurred_at", "actor", "title", "data", "subject"}


def test_timeline_api_pages(api, make_customer, users):
    customer = make_customer("张三")  # its creation is the newest activity (the purchases are older)
    for days in range(7):
        _buy(customer, users["administrator"], days + 1, f"{days + 1}.00")
    client = api(users["administrator"])

    first = client.get(timeline_url(customer), {"limit": 3}).json()
    last = client.get(timeline_url(customer), {"limit": 3, "offset": 6}).json()

    assert first["count"] == last["count"] == 8
    assert [item["kind"] for item in first["items"]] == ["lifecycle", "transaction", "transaction"]
    assert [item["data"]["amount"] for item in first["items"][1:]] == ["1.00", "2.00"]
    assert [item["data"]["amount"] for item in last["items"]] == ["6.00", "7.00"]


def test_timeline_of_an_out_of_scope_customer_is_404(api, make_customer, users, org):
    customer = make_customer("李四", branch=org["bj1"])

    response = api(users["account_manager"]).get(timeline_url(customer))
    missing = api(users["account_manager"]).get("/api/customers/999999/timeline")

    assert response.status_code == 404 and missing.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_360_page_shows_the_newest_20_with_a_more_link(client, make_customer, users):
    customer = make_customer("张三")  # 25 purchases and the creation: 26 activities
    rows = [{"customer_id": customer.pk, "occurred_at": timezone.now() - dt.timedelta(days=n),
             "amount": Decimal(n), "branch_id": customer.branch_id} for n in range(1, 26)]
    transaction_bulk_create(rows=rows)
    client.force_login(users["account_manager"])

    response = client.get(reverse("customers:detail", args=[customer.pk]))

    html = response.content.decode()
    section = html[html.index('id="timeline"'):]
    assert section.count("data-kind=") == 20 and 'data-kind="lifecycle"' in section
    assert reverse("customers:timeline", args=[customer.pk]) in section
    shown = 0
    for number in (1, 2, 3):
        page = client.get(reverse("customers:timeline", args=[customer.pk]), {"page": number})
        assert page.status_code == 200
        if page.context["page"].number == number:
            shown += page.content.decode().count("data-kind=")
    assert shown == 26


def test_360_page_without_more_link_for_a_short_timeline(client, make_customer, users, org):
    customer = make_customer("张三")
    client.force_login(users["account_manager"])
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="timeline"' in html and reverse("customers:timeline", args=[customer.pk]) not in html
    other = make_customer("李四", branch=org["bj1"])
    assert client.get(reverse("customers:timeline", args=[other.pk])).status_code == 404


def test_backfill_migrations_rebuild_the_timeline_set_based(make_customer, users):
    from django.apps import apps

    customer = make_customer("张三", lifecycle_status="prospect")
    record = _buy(customer, users["administrator"], 3)
    customer_update(customer=customer, actor=users["administrator"], lifecycle_status="current")
    customer_transfer(customers=[customer], new_owner=users["account_manager"], actor=users["administrator"],
                      reason="调岗")
    written = sorted(Activity.objects.values_list("kind", "subject_id", "customer_id"))
    Activity.objects.all().delete()
    editor = SimpleNamespace(connection=connection)

    class Models:
        """The app registry as the backfills knew it: ``MergeRecord`` was then ``imports``' (customers/0016)."""

        @staticmethod
        def get_model(app_label: str, name: str):
            return apps.get_model("customers" if name == "MergeRecord" else app_label, name)

    for module in ("kehu.customers.migrations.0011_backfill_activities",
                   "kehu.purchases.migrations.0003_backfill_transaction_activities",
                   "kehu.scoring.migrations.0004_backfill_activities",
                   "kehu.imports.migrations.0003_backfill_merge_activities"):
        importlib.import_module(module).backfill(Models, editor)

    assert sorted(Activity.objects.values_list("kind", "subject_id", "customer_id")) == written
    activity = Activity.objects.get(kind="transaction")
    assert activity.occurred_at == record.occurred_at and Decimal(activity.data["amount"]) == Decimal("10")
    transfer = Activity.objects.get(kind="transfer")
    assert transfer.data["to_owner"] == str(users["account_manager"])


def test_timeline_api_query_count_does_not_grow(api, make_customer, users):
    from django.test.utils import CaptureQueriesContext

    customer = make_customer("张三")
    client = api(users["account_manager"])
    _buy(customer, users["administrator"], 1)
    client.get(timeline_url(customer))
    with CaptureQueriesContext(connection) as few:
        client.get(timeline_url(customer), {"limit": 50})
    for days in range(30):
        _buy(customer, users["administrator"], days + 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(timeline_url(customer), {"limit": 50})

    assert response.json()["count"] == 32
    assert len(many.captured_queries) == len(few.captured_queries)
