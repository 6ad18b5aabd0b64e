"""The 360 page's value panel shows since when each tier holds (issue 12 item 3), loaded in batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer
from kehu.scoring.models import TierAssignment, TierScheme
from kehu.scoring.services import scoring_run_execute

NOVEMBER = dt.date(2025, 11, 30)
DECEMBER = dt.date(2025, 12, 31)


@pytest.fixture
def scored(hundred, buy):
    """Two runs; ten customers jump up in December, the others mostly keep their tier."""
    scoring_run_execute(as_of=NOVEMBER)
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    scoring_run_execute(as_of=DECEMBER)
    return hundred


def _primary_changes() -> dict[int, dt.date]:
    primary = TierScheme.objects.get(is_primary=True)
    return dict(TierAssignment.objects.filter(scheme=primary).order_by("as_of").values_list("customer_id", "as_of"))


def test_the_value_panel_says_since_when_the_tier_holds(client, users, scored):
    changes = _primary_changes()
    changed = next(customer for customer in scored if customer.pk in changes)
    kept = next(customer for customer in scored if customer.pk not in changes)
    client.force_login(users["administrator"])

    text = client.get(f"/customers/{changed.pk}/").content.decode()
    assert f"since {changes[changed.pk]:%Y-%m-%d}" in text and "before" in text  # "was D before"

    # a tier that never changed holds since the first run that scored the customer
    text = client.get(f"/customers/{kept.pk}/").content.decode()
    assert f"since {NOVEMBER:%Y-%m-%d}" in text
    assert "<th>Since</th>" in text  # the table of every scheme's tier with its date


def test_a_customer_first_scored_by_the_later_run(client, users, scored, make_customer, buy):
    newcomer = make_customer("新客户")
    buy(newcomer, "2025-12-05 10:00", 100)
    scoring_run_execute(as_of=DECEMBER)
    client.force_login(users["administrator"])
    assert f"since {DECEMBER:%Y-%m-%d}" in client.get(f"/customers/{newcomer.pk}/").content.decode()


def test_since_dates_are_loaded_in_a_fixed_number_of_queries(scored):
    from kehu.scoring.selectors import customer_scores_many

    ids = [customer.pk for customer in scored]
    with CaptureQueriesContext(connection) as one:
        single = customer_scores_many(customer_ids=ids[:1])
    with CaptureQueriesContext(connection) as all_of_them:
        many = customer_scores_many(customer_ids=ids)
    assert len(all_of_them.captured_queries) == len(one.captured_queries) <= 5
    assert all(tier.since for scores in many.values() for tier in scores.tiers)
    assert single[ids[0]].primary.since == many[ids[0]].primary.since


def test_the_360_page_of_a_customer_never_scored_has_no_since(client, users, scored, make_customer):
    unscored = make_customer("未评分")
    client.force_login(users["administrator"])
    response = client.get(f"/customers/{unscored.pk}/")
    assert response.status_code == 200
    assert "since 2025" not in response.content.decode()
    assert Customer.objects.filter(pk=unscored.pk).exists()
