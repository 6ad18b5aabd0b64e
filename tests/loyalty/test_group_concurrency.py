"""Concurrency on PostgreSQL, threads through the real API, each with its own connection: 20 parallel transfers
between two cards in both directions stay exact and never negative (both accounts locked in id order, so no
deadlock), and 20 parallel exchanges to one partner never pass its daily limit (the partner's row lock)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")


def _run_parallel(count: int, call) -> list[int]:
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            status = call(index)
            with lock:
                results.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_transfers_are_exact_and_never_negative(customers, users):
    from kehu.loyalty.models import StoredValueAccount, StoredValueEntry
    from kehu.loyalty.services import card_issue, reconcile_stored_value, stored_value_move
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    a = card_issue(actor=users["account_manager"], customer=customers["mine"])
    b = card_issue(actor=users["account_manager"], customer=customers["colleague"])
    stored_value_move(actor=users["account_manager"], card=a, kind="top_up", amount=Decimal("100.00"))
    stored_value_move(actor=users["account_manager"], card=b, kind="top_up", amount=Decimal("10.00"))
    keys = [api_token_create(user=users["service_agent"], name=f"till {i}")[1] for i in range(20)]

    def transfer(index: int) -> int:
        client = ApiClient(keys[index])
        client.headers["Idempotency-Key"] = f"t-{index}"
        # 15 transfers of 7.00 from A to B (100 holds 14 of them), 5 of 3.00 back from B to A
        source, target, amount = (a, b, "7.00") if index < 15 else (b, a, "3.00")
        return client.post(f"/api/loyalty/cards/{source.number}/transfer",
                           {"to": target.number, "amount": amount}).status_code

    results = _run_parallel(20, transfer)
    assert set(results) <= {200, 409} and len(results) == 20
    moved_out = StoredValueEntry.objects.filter(account__card=a, kind="transfer", amount__lt=0).count()
    moved_back = StoredValueEntry.objects.filter(account__card=b, kind="transfer", amount__lt=0).count()
    assert moved_out + moved_back == results.count(200)
    assert moved_back == 5  # B always holds at least 10.00 while it is asked for 3.00 at a time
    balance_a = StoredValueAccount.objects.get(card=a).balance
    balance_b = StoredValueAccount.objects.get(card=b).balance
    assert balance_a == Decimal("100.00") - 7 * moved_out + 3 * moved_back >= 0
    assert balance_b == Decimal("10.00") + 7 * moved_out - 3 * moved_back >= 0
    assert balance_a + balance_b == Decimal("110.00")
    assert StoredValueEntry.objects.filter(kind="transfer", counterpart__isnull=False).count() == results.count(200)
    assert reconcile_stored_value() == []


@pytest.mark.django_db(transaction=True)
def test_parallel_exchanges_never_pass_a_partner_limit(customers, users):
    from django.db import transaction

    from kehu.loyalty.models import PartnerExchange, PointsAccount
    from kehu.loyalty.services import _post, card_issue, partner_save, reconcile
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    cards = [card_issue(actor=users["account_manager"], customer=customers[name]) for name in ("mine", "colleague")]
    for card in cards:
        with transaction.atomic():
            account = PointsAccount.objects.select_for_update().get(membership_id=card.membership_id)
            _post(account, kind="adjust", points=5000, reason="test")
    partner_save(actor=users["administrator"], code="MALL", name="联盟商场", rate_out=Decimal("1"),
                 rate_in=Decimal("1"), unit_value=Decimal("0.01"), limits={"daily_limit_out": 1000})
    keys = [api_token_create(user=users["service_agent"], name=f"till {i}")[1] for i in range(20)]

    def exchange(index: int) -> int:
        client = ApiClient(keys[index])
        client.headers["Idempotency-Key"] = f"x-{index}"
        return client.post(f"/api/loyalty/cards/{cards[index % 2].number}/exchange-out",
                           {"partner": "MALL", "points": 150}).status_code

    results = _run_parallel(20, exchange)
    assert sorted(set(results)) == [200, 409]
    assert results.count(200) == 6  # 6 × 150 = 900 ≤ 1,000 < 7 × 150
    assert sum(PartnerExchange.objects.values_list("points", flat=True)) == 900
    assert sum(PointsAccount.objects.values_list("balance", flat=True)) == 10000 - 900
    assert reconcile() == []
