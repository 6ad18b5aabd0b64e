"""The demo's members, cards and a year of points (``kehu demo --no-serve``, small)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from kehu.loyalty.models import Card, Membership, PointsAccount, PointsEntry
from kehu.loyalty.services import card_number_valid, reconcile
from tests.demo.test_demo import run_demo


@pytest.mark.django_db
def test_demo_has_members_cards_and_balances_equal_to_their_entries():
    run_demo()
    assert Membership.objects.count() > 0
    assert Card.objects.count() == Membership.objects.count()
    assert all(card_number_valid(number) for number in Card.objects.values_list("number", flat=True)[:100])
    assert PointsEntry.objects.filter(kind="earn").exists() and PointsEntry.objects.filter(kind="redeem").exists()
    assert reconcile() == []
    assert PointsAccount.objects.filter(balance__lt=0).count() == 0
    total = PointsEntry.objects.aggregate(total=Sum("points"))["total"]
    assert total == PointsAccount.objects.aggregate(total=Sum("balance"))["total"]
    assert Membership.objects.values("level").distinct().count() >= 2  # the evaluation moved some members up


@pytest.mark.django_db
def test_demo_has_store_promotions_settlement_figures_and_partner_exchanges():
    from django.core.management import call_command

    from kehu.loyalty.models import EarningRule, PartnerExchange
    from kehu.loyalty.settlement import store_settlement

    run_demo()
    assert EarningRule.objects.filter(owner_branch__isnull=False).count() >= 3
    months = {entry.created_at.strftime("%Y-%m") for entry in PointsEntry.objects.filter(kind="redeem")[:2000]}
    assert any(store_settlement(period=month).pairs for month in months)
    exchanges = PartnerExchange.objects.select_related("entry")
    assert exchanges.exists()
    assert all(-x.entry.points == x.points if x.direction == "out" else x.entry.points == x.points
               for x in exchanges[:200])
    call_command("loyalty", "reconcile")
