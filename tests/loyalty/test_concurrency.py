"""Concurrent redemptions against one balance on PostgreSQL: threads through the real API, each with its own
connection. The row lock on the account makes the balance exact: 50 × 30 points from 1,000 → 33 accepted, 10 left."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_redemptions_leave_an_exact_balance(api_as, customers, users):
    from kehu.loyalty.models import PointsAccount, PointsEntry
    from kehu.loyalty.services import card_issue, reconcile
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    card = card_issue(actor=users["account_manager"], customer=customers["mine"])
    api = api_as("account_manager")
    response = api.post("/api/transactions", {"customer_id": customers["mine"].pk,
                                              "occurred_at": "2026-01-05T10:00:00+08:00", "amount": "1000"})
    assert response.status_code == 201
    assert PointsAccount.objects.get(membership_id=card.membership_id).balance == 1000
    keys = [api_token_create(user=users["service_agent"], name=f"till {i}")[1] for i in range(50)]
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def redeem(index: int) -> None:
        client = ApiClient(keys[index])
        client.headers["Idempotency-Key"] = f"k-{index}"
        try:
            barrier.wait()
            status = client.post(f"/api/loyalty/cards/{card.number}/redeem", {"points": 30}).status_code
            with lock:
                results.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(results)) == [200, 409]
    assert results.count(200) == 33
    assert PointsAccount.objects.get(membership_id=card.membership_id).balance == 10
    assert PointsEntry.objects.filter(kind="redeem").count() == 33
    assert reconcile() == []
    # a replay of one of them changes nothing
    replay = ApiClient(keys[0])
    replay.headers["Idempotency-Key"] = "k-0"
    again = replay.post(f"/api/loyalty/cards/{card.number}/redeem", {"points": 30})
    assert again["Idempotent-Replayed"] == "true"
    assert PointsAccount.objects.get(membership_id=card.membership_id).balance == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_accruals_of_one_transaction_post_one_entry(customers, users):
    from kehu.loyalty.models import PointsAccount, PointsEntry
    from kehu.loyalty.services import accrue, card_issue
    from kehu.purchases.models import Transaction

    card = card_issue(actor=users["account_manager"], customer=customers["mine"])
    txn = Transaction.objects.create(customer=customers["mine"], occurred_at="2026-01-05T10:00:00+08:00",
                                     amount=120)
    barrier = threading.Barrier(8)

    def run() -> None:
        try:
            barrier.wait()
            accrue(transaction_ids=[txn.pk])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert PointsEntry.objects.filter(transaction_id=txn.pk).count() == 1
    assert PointsAccount.objects.get(membership_id=card.membership_id).balance == 120
