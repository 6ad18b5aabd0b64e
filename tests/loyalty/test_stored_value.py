"""Stored value through the counter API: top-up, spend, refund, never negative, idempotent, moved by entries when a
card is replaced, reconciled (and a planted difference found), per-store daily totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.loyalty.models import StoredValueAccount, StoredValueEntry


def test_top_up_spend_refund_and_never_negative(api_as, member):
    api = api_as("service_agent")
    top = api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "500.00"})
    assert top.status_code == 200, top.content
    assert Decimal(top.json()["stored_value_balance"]) == Decimal("500")
    spent = api.post(f"/api/loyalty/cards/{member.number}/spend", {"amount": "120.50"})
    assert Decimal(spent.json()["stored_value_balance"]) == Decimal("379.50")
    refused = api.post(f"/api/loyalty/cards/{member.number}/spend", {"amount": "379.51"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_stored_value"
    api.post(f"/api/loyalty/cards/{member.number}/refund", {"amount": "20.50"})
    card = api.get(f"/api/loyalty/cards/{member.number}").json()
    assert Decimal(card["stored_value_balance"]) == Decimal("400.00")
    account = StoredValueAccount.objects.get(card=member)
    assert sum(account.entries.values_list("amount", flat=True)) == account.balance


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "1e9", "NaN", "100000000", "abc"])
def test_hostile_amounts_answer_422(api_as, member, amount):
    response = api_as("service_agent").post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": amount})
    assert response.status_code == 422, response.content
    assert not StoredValueEntry.objects.exists()


def test_a_replayed_top_up_tops_up_once(api_as, member):
    api = api_as("service_agent")
    api.headers["Idempotency-Key"] = "pos-42"
    first = api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "100"})
    second = api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "100"})
    assert first.json() == second.json()
    assert StoredValueAccount.objects.get(card=member).balance == Decimal("100")


def test_replacing_a_card_moves_its_stored_value_by_entries(api_as, member):
    api = api_as("service_agent")
    api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "88.80"})
    new = api.post(f"/api/loyalty/cards/{member.number}/replace", {"version": 1}).json()
    assert Decimal(new["stored_value_balance"]) == Decimal("88.80")
    assert Decimal(api.get(f"/api/loyalty/cards/{member.number}").json()["stored_value_balance"]) == 0
    transfers = StoredValueEntry.objects.filter(kind="transfer").order_by("id")
    assert [entry.amount for entry in transfers] == [Decimal("-88.80"), Decimal("88.80")]


def test_reconcile_finds_a_stored_value_difference_and_daily_totals(api_as, member, capsys):
    api = api_as("service_agent")
    api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "50"})
    api.post(f"/api/loyalty/cards/{member.number}/spend", {"amount": "20"})
    call_command("loyalty", "reconcile")
    call_command("loyalty", "daily", "--date", timezone.localdate().isoformat())
    out = capsys.readouterr().out
    assert "top_up\t50.00" in out and "spend\t-20.00" in out
    StoredValueAccount.objects.filter(card=member).update(balance=Decimal("31"))
    with pytest.raises(SystemExit):
        call_command("loyalty", "reconcile")


def test_another_branch_cannot_spend(api_as, member):
    api_as("service_agent").post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "50"})
    response = api_as("bj_account_manager").post(f"/api/loyalty/cards/{member.number}/spend", {"amount": "1"})
    assert response.status_code == 404
    assert StoredValueAccount.objects.get(card=member).balance == Decimal("50")
