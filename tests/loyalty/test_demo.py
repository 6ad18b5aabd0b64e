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
