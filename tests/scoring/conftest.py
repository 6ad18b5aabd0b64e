"""Fixtures for the customer value tests: purchases at local (Asia/Shanghai) times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone


def purchase(customer, when: str, amount: float | str, margin: float | str | None = None) -> dict:
    """The row of ``transaction_bulk_create`` for a purchase at a local time (``"2025-01-10 10:00"`` or a day)."""
    moment = dt.datetime.fromisoformat(when if " " in when else f"{when} 12:00")
    local = timezone.make_aware(moment, timezone.get_default_timezone())
    amount_value = Decimal(str(amount))
    margin_value = Decimal(str(margin)) if margin is not None else (amount_value * Decimal("0.2")).quantize(
        Decimal("0.01"))
    return {"customer": customer, "occurred_at": local, "amount": amount_value, "margin": margin_value,
            "branch": customer.branch}


@pytest.fixture
def buy(db):
    """``buy(customer, "2025-01-10 10:00", amount, margin=...)``: record a purchase at a local time."""
    from kehu.purchases.services import transaction_bulk_create

    def make(customer, when: str, amount: float | str, margin: float | str | None = None) -> None:
        transaction_bulk_create(rows=[purchase(customer, when, amount, margin)])

    return make


@pytest.fixture
def buy_all(db):
    """``buy_all(rows)``: record the purchases of ``purchase(...)`` rows at once (fixtures of many customers)."""
    from kehu.purchases.services import transaction_bulk_create

    return lambda rows: transaction_bulk_create(rows=list(rows))


@pytest.fixture
def scheme(db):
    """A scheme by name (the defaults are created by the data migration)."""
    from kehu.scoring.models import TierScheme

    return lambda name: TierScheme.objects.get(name=name)


@pytest.fixture
def hundred(make_customer, buy_all):
    """100 customers in store SH1; customer i (1..100) spent i × 100 on two days in 2025 (the 100th is the top
    1 %: A; 96–99 are B; 81–95 C; the rest D)."""
    customers = [make_customer(f"客户{i:03d}") for i in range(1, 101)]
    buy_all(purchase(customer, day, i * 50) for i, customer in enumerate(customers, start=1)
            for day in ("2025-03-01 10:00", "2025-09-01 10:00"))
    return customers


@pytest.fixture
def run_permission(users):
    """Give administrators and branch managers ``scoring.run_scoring`` (as the roles migration does)."""
    from django.contrib.auth.models import Group, Permission

    permission = Permission.objects.get(content_type__app_label="scoring", codename="run_scoring")
    for role in ("administrator", "branch_manager"):
        Group.objects.get(name=role).permissions.add(permission)
    for user in users.values():
        for attribute in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
            user.__dict__.pop(attribute, None)
    return permission


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert English message texts; the Chinese interface is covered by tests/ui and tests/e2e."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def varied(make_customer, buy_all):
    """80 customers with purchase histories drawn (fixed seed) from the BG/NBD story: first purchases over 2024–2025,
    purchase rates and dropout probabilities differing between customers; some buy once, some stop, some go on."""
    import numpy as np

    rng = np.random.default_rng(7)
    start, end = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    customers, rows = [], []
    for i in range(80):
        customer = make_customer(f"随机客户{i:02d}")
        customers.append(customer)
        day = start + dt.timedelta(days=int(rng.integers(0, 600)))
        rate = rng.gamma(1.2, 1 / 40)  # purchases per day
        dropout = rng.beta(1.0, 4.0)
        spend = rng.gamma(4.0, 60.0)
        while day <= end:
            rows.append(purchase(customer, f"{day.isoformat()} 12:00", round(float(rng.gamma(5.0, spend / 5.0)), 2)))
            if rng.random() < dropout:
                break
            day += dt.timedelta(days=max(1, int(rng.exponential(1 / rate))))
    buy_all(rows)
    return customers
