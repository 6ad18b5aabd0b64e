"""The per-customer summary of a scoring run, checked against figures computed by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from kehu.scoring.models import CustomerSummary, ScoringRun
from kehu.scoring.services import scoring_run_execute

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def shoppers(make_customer, buy):
    a = make_customer("顾客甲")
    b = make_customer("顾客乙")
    c = make_customer("顾客丙")
    d = make_customer("顾客丁")
    buy(a, "2025-01-10 10:00", 100, 20)
    buy(a, "2025-01-10 20:00", 50, 10)  # same local day: one purchase
    buy(a, "2025-03-01 12:00", 200, 40)
    buy(a, "2025-06-30 23:30", 30, 5)  # 15:30 UTC, still June 30 in Shanghai
    buy(a, "2025-07-01 00:30", 70, 14)  # 16:30 UTC on June 30, but July 1 in Shanghai
    buy(a, "2026-01-05 12:00", 999, 99)  # after the as-of date: ignored
    buy(b, "2025-12-31 23:59", 10, 1)  # the last minute of the as-of day counts
    buy(d, "2024-06-01 12:00", 80, 8)
    buy(d, "2025-02-01 12:00", 40, 4)
    return {"a": a, "b": b, "c": c, "d": d}


def test_summary_matches_hand_computed_figures(shoppers):
    run = scoring_run_execute(as_of=AS_OF)

    assert run.status == ScoringRun.Status.SUCCEEDED
    assert run.customers == 4
    a = CustomerSummary.objects.get(customer=shoppers["a"])
    assert (a.first_purchase, a.last_purchase) == (dt.date(2025, 1, 10), dt.date(2025, 7, 1))
    assert a.purchase_days == 4
    assert a.total_amount == Decimal("450.00")
    assert a.total_margin == Decimal("89.00")
    assert a.average_amount == Decimal("112.50")
    assert a.frequency == 3
    assert a.recency == 172
    assert a.age == 355
    assert a.tenure_days == 355
    assert a.monetary == Decimal("100.00")  # (450 - 150 on the first day) / 3 repeat days
    assert a.current_amount == Decimal("450.00")
    assert a.previous_amount == Decimal("0.00")
    assert a.current_purchase_days == 4
    assert a.as_of == AS_OF and a.run_id == run.pk


def test_one_purchase_and_no_purchase_customers(shoppers):
    scoring_run_execute(as_of=AS_OF)

    b = CustomerSummary.objects.get(customer=shoppers["b"])
    assert (b.first_purchase, b.last_purchase, b.purchase_days) == (AS_OF, AS_OF, 1)
    assert (b.frequency, b.recency, b.age, b.monetary) == (0, 0, 0, Decimal("0.00"))
    assert b.total_amount == Decimal("10.00")
    c = CustomerSummary.objects.get(customer=shoppers["c"])
    assert c.first_purchase is None and c.last_purchase is None and c.tenure_days is None
    assert (c.purchase_days, c.total_amount, c.frequency) == (0, Decimal("0.00"), 0)
    assert (c.r_score, c.f_score, c.m_score, c.rfm_segment) == (0, 0, 0, "")
    assert c.p_alive is None and c.clv is None
    d = CustomerSummary.objects.get(customer=shoppers["d"])
    assert d.previous_amount == Decimal("80.00")
    assert d.current_amount == Decimal("40.00")
    assert d.purchase_days == 2 and d.current_purchase_days == 1
