"""Fixtures for the loyalty tests: API clients with real tokens, customers by branch, a carded member."""

from __future__ import annotations

import pytest

from tests.work.conftest import api_as, customers, today  # noqa: F401,F811 - shared fixtures


@pytest.fixture
def member(customers, users):  # noqa: F811 - the shared fixture
    """The SH1 customer of am1 with an active member card of the default programme."""
    from kehu.loyalty.services import card_issue

    return card_issue(actor=users["account_manager"], customer=customers["mine"])


@pytest.fixture
def give_points(users):
    """Post points to a card's account directly through an approved-style adjustment entry (a test shortcut that
    keeps the ledger's discipline: locked account, one entry, balance moved)."""
    from django.db import transaction

    from kehu.loyalty.models import PointsAccount
    from kehu.loyalty.services import _post

    def give(card, points: int) -> None:
        with transaction.atomic():
            account = PointsAccount.objects.select_for_update().get(membership_id=card.membership_id)
            _post(account, kind="adjust", points=points, reason="test")

    return give
