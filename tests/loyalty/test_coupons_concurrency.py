"""Parallel uses of one coupon on PostgreSQL, each thread its own till (token, connection, Idempotency-Key): the
conditional UPDATE lets exactly one through, every other answers 409 coupon_used, and a replay of the winner's key
returns the winner's answer."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")

THREADS = 30


@pytest.mark.django_db(transaction=True)
def test_thirty_parallel_uses_of_one_coupon_let_exactly_one_through(customers, users, org):
    from kehu.loyalty.coupons.models import Coupon
    from kehu.loyalty.coupons.services import batch_create, batch_issue
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    now = timezone.now()
    batch = batch_create(actor=users["branch_manager"], name="抢券", kind="amount", value=10, branch=org["east"],
                         valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=1))
    batch_issue(actor=users["branch_manager"], batch=batch, customer_ids=[customers["mine"].pk])
    code = Coupon.objects.get(batch=batch).code
    keys = [api_token_create(user=users["service_agent"], name=f"till {i}")[1] for i in range(THREADS)]
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def use(index: int) -> None:
        client = ApiClient(keys[index])
        client.headers["Idempotency-Key"] = f"till-{index}"
        try:
            barrier.wait()
            response = client.post(f"/api/loyalty/coupons/{code}/use", {"order_ref": f"POS-{index}"})
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [status for status, _body in answers]
    assert len(answers) == THREADS
    assert statuses.count(200) == 1
    assert statuses.count(409) == THREADS - 1
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"coupon_used"}
    winner = next(body for status, body in answers if status == 200)
    coupon = Coupon.objects.get(code=code)
    assert coupon.status == "used" and coupon.order_ref == winner["order_ref"]
    index = int(winner["order_ref"].removeprefix("POS-"))
    replay = ApiClient(keys[index])
    replay.headers["Idempotency-Key"] = f"till-{index}"
    again = replay.post(f"/api/loyalty/coupons/{code}/use", {"order_ref": f"POS-{index}"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json() == winner
    from kehu.customers.models import Activity

    assert Activity.objects.filter(kind="coupon", data__event="used").count() == 1
