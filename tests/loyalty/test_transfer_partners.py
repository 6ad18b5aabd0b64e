"""Stored value moved between cards and points exchanged with alliance partners through the counter API: exact,
never negative, idempotent (a replay changes nothing), limits enforced, the page's confirmation step, the partner
statement, and ``kehu loyalty reconcile`` with the new entry kinds (exit 0, and exit 1 on a planted difference)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from kehu.loyalty.models import PartnerExchange, PointsAccount, PointsEntry, StoredValueAccount, StoredValueEntry


@pytest.fixture
def second(users, customers):
    from kehu.loyalty.services import card_issue

    return card_issue(actor=users["account_manager"], customer=customers["colleague"])


@pytest.fixture
def partner(users):
    from kehu.loyalty.services import partner_save

    return partner_save(actor=users["administrator"], code="AIR", name="东方航空里程", rate_out=Decimal("0.5"),
                        rate_in=Decimal("2"), unit_value=Decimal("0.04"),
                        limits={"daily_limit_out": 1000, "monthly_limit_out": 1500, "daily_limit_in": 500})


def _value(card) -> Decimal:
    return StoredValueAccount.objects.get(card=card).balance


def test_transfer_moves_value_exactly_with_two_linked_entries(api_as, member, second):
    api = api_as("service_agent")
    assert api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "300.00"}).status_code == 200
    api.headers["Idempotency-Key"] = "t-1"
    moved = api.post(f"/api/loyalty/cards/{member.number}/transfer", {"to": second.number, "amount": "120.55"})
    assert moved.status_code == 200, moved.content
    assert Decimal(moved.json()["stored_value_balance"]) == Decimal("179.45")
    replay = api.post(f"/api/loyalty/cards/{member.number}/transfer", {"to": second.number, "amount": "120.55"})
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == moved.json()
    assert _value(member) == Decimal("179.45") and _value(second) == Decimal("120.55")
    debit = StoredValueEntry.objects.get(pk=moved.json()["entry_id"])
    credit = StoredValueEntry.objects.get(pk=moved.json()["credit_entry_id"])
    assert credit.counterpart == debit and debit.amount == -credit.amount and debit.kind == credit.kind == "transfer"
    api.headers["Idempotency-Key"] = "t-2"
    refused = api.post(f"/api/loyalty/cards/{member.number}/transfer", {"to": second.number, "amount": "179.46"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "insufficient_stored_value"
    api.headers["Idempotency-Key"] = "t-1"  # the same key, another request
    assert api.post(f"/api/loyalty/cards/{member.number}/transfer",
                    {"to": second.number, "amount": "1.00"}).status_code == 409
    del api.headers["Idempotency-Key"]
    assert api.post(f"/api/loyalty/cards/{member.number}/transfer",
                    {"to": member.number, "amount": "1.00"}).status_code == 422
    for hostile in ({"to": second.number, "amount": "0"}, {"to": second.number, "amount": "1e12"},
                    {"to": "1" * 19, "amount": "1.00"}, {"to": "=1+1", "amount": "1"}, {"to": "\x00", "amount": "1"}):
        assert 400 <= api.post(f"/api/loyalty/cards/{member.number}/transfer", hostile).status_code < 500
    assert _value(member) == Decimal("179.45") and _value(second) == Decimal("120.55")
    call_command("loyalty", "reconcile")


def test_transfer_to_another_branchs_card_is_not_found(api_as, users, member, customers):
    from kehu.loyalty.services import card_issue

    beijing = card_issue(actor=users["bj_account_manager"], customer=customers["beijing"])
    api = api_as("service_agent")
    api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "50.00"})
    assert api.post(f"/api/loyalty/cards/{member.number}/transfer",
                    {"to": beijing.number, "amount": "10.00"}).status_code == 404
    assert _value(member) == Decimal("50.00")


def test_transfer_page_asks_for_confirmation_first(client, users, member, second):
    from kehu.loyalty.services import stored_value_move

    stored_value_move(actor=users["account_manager"], card=member, kind="top_up", amount=Decimal("80.00"))
    client.force_login(users["account_manager"])
    url = f"/loyalty/cards/{member.pk}/transfer/"
    assert client.get(url).status_code == 200
    asked = client.post(url, {"to": second.number, "amount": "30.00"})
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
    assert _value(member) == Decimal("80.00")
    done = client.post(url, {"to": second.number, "amount": "30.00", "confirm": "1"})
    assert done.status_code == 302
    assert _value(member) == Decimal("50.00") and _value(second) == Decimal("30.00")
    too_much = client.post(url, {"to": second.number, "amount": "50.01", "confirm": "1"})
    assert too_much.status_code == 200 and _value(member) == Decimal("50.00")
    client.force_login(users["bj_account_manager"])
    assert client.get(url).status_code == 404


def test_exchange_page_asks_for_confirmation_and_explains_refusals(client, users, member, give_points, partner):
    from django.utils import translation

    give_points(member, 1200)
    client.force_login(users["service_agent"])
    url = f"/loyalty/cards/{member.pk}/exchange/"
    assert client.get(url).status_code == 200
    asked = client.post(url, {"direction": "out", "partner": partner.pk, "amount": "800", "reference": "P-1"})
    page = asked.content.decode()
    assert asked.status_code == 200 and 'name="confirm"' in page and "400.0000" in page
    assert PartnerExchange.objects.count() == 0  # nothing before the confirmation
    done = client.post(url, {"direction": "out", "partner": partner.pk, "amount": "800", "reference": "P-1",
                             "confirm": "1"})
    assert done.status_code == 302
    account = PointsAccount.objects.get(membership_id=member.membership_id)
    assert account.balance == 400 == sum(account.entries.values_list("points", flat=True))
    over = client.post(url, {"direction": "out", "partner": partner.pk, "amount": "201", "confirm": "1"})
    assert over.status_code == 200 and PartnerExchange.objects.count() == 1  # past the daily limit: explained
    with translation.override("en"):
        half = client.post(url, {"direction": "out", "partner": partner.pk, "amount": "1.5"},
                           HTTP_ACCEPT_LANGUAGE="en")
        assert "Points out are a whole number." in half.content.decode()
    into = client.post(url, {"direction": "in", "partner": partner.pk, "amount": "10.5", "confirm": "1"})
    assert into.status_code == 302
    assert PointsAccount.objects.get(pk=account.pk).balance == 421
    for hostile in ({"direction": "out", "partner": partner.pk, "amount": "0"},
                    {"direction": "sideways", "partner": partner.pk, "amount": "1"},
                    {"direction": "in", "partner": 10**9, "amount": "1"},
                    {"direction": "in", "partner": partner.pk, "amount": "1e20"},
                    {"direction": "out", "partner": partner.pk, "amount": "1", "reference": "a\x00b", "confirm": "1"}):
        assert client.post(url, hostile).status_code == 200
    assert PartnerExchange.objects.count() == 2
    with translation.override("zh-hans"):
        refused = client.post(url, {"direction": "out", "partner": partner.pk, "amount": "1.5"},
                              HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert "整数" in refused.content.decode()
    client.force_login(users["bj_account_manager"])
    assert client.get(url).status_code == 404
    client.force_login(users["auditor"])
    assert client.get(url).status_code in (403, 404)


def test_exchange_out_and_in_with_limits_and_idempotency(api_as, member, give_points, partner):
    give_points(member, 3000)
    api = api_as("service_agent")
    api.headers["Idempotency-Key"] = "x-1"
    out = api.post(f"/api/loyalty/cards/{member.number}/exchange-out", {"partner": "air", "points": 800,
                                                                       "reference": "AIR-1"})
    assert out.status_code == 200, out.content
    assert out.json()["units"] == "400.0000" and out.json()["points_balance"] == 2200
    assert api.post(f"/api/loyalty/cards/{member.number}/exchange-out",
                    {"partner": "air", "points": 800, "reference": "AIR-1"}).json() == out.json()
    api.headers["Idempotency-Key"] = "x-2"
    over = api.post(f"/api/loyalty/cards/{member.number}/exchange-out", {"partner": "AIR", "points": 201})
    assert over.status_code == 409 and over.json()["error"]["code"] == "partner_limit"
    assert over.json()["remaining"] == 200
    api.headers["Idempotency-Key"] = "x-3"
    assert api.post(f"/api/loyalty/cards/{member.number}/exchange-out",
                    {"partner": "AIR", "points": 200}).status_code == 200
    api.headers["Idempotency-Key"] = "x-4"
    into = api.post(f"/api/loyalty/cards/{member.number}/exchange-in", {"partner": "AIR", "units": "125.7",
                                                                       "reference": "AIR-IN-9"})
    assert into.status_code == 200, into.content
    assert into.json()["points"] == 251 and into.json()["points_balance"] == 2251
    api.headers["Idempotency-Key"] = "x-5"  # the partner's reference is used once
    again = api.post(f"/api/loyalty/cards/{member.number}/exchange-in", {"partner": "AIR", "units": "1",
                                                                        "reference": "AIR-IN-9"})
    assert again.status_code == 422
    api.headers["Idempotency-Key"] = "x-6"
    assert api.post(f"/api/loyalty/cards/{member.number}/exchange-in",
                    {"partner": "AIR", "units": "125"}).json()["error"]["code"] == "partner_limit"
    for index, hostile in enumerate(({"partner": "NOPE", "points": 1}, {"partner": "AIR", "points": 0},
                                     {"partner": "AIR", "points": 10**13}, {"partner": "=1+1", "points": 1})):
        api.headers["Idempotency-Key"] = f"h-{index}"
        assert 400 <= api.post(f"/api/loyalty/cards/{member.number}/exchange-out", hostile).status_code < 500
    assert PartnerExchange.objects.count() == 3
    assert set(PointsEntry.objects.values_list("kind", flat=True)) == {"adjust", "exch_out", "exch_in"}
    account = PointsAccount.objects.get(membership_id=member.membership_id)
    assert account.balance == 2251 == sum(account.entries.values_list("points", flat=True))
    assert api_as("auditor").post(f"/api/loyalty/cards/{member.number}/exchange-out",
                                  {"partner": "AIR", "points": 1}).status_code in (403, 404)


def test_partner_statement_for_a_month(api_as, users, member, give_points, partner, today, client):
    from kehu.loyalty.settlement import partner_settlement

    give_points(member, 1000)
    api = api_as("service_agent")
    api.post(f"/api/loyalty/cards/{member.number}/exchange-out", {"partner": "AIR", "points": 600})
    api.post(f"/api/loyalty/cards/{member.number}/exchange-in", {"partner": "AIR", "units": "100"})
    period = today.strftime("%Y-%m")
    [row] = partner_settlement(period=period)
    assert (row["out_points"], row["out_units"], row["out_value"]) == (600, Decimal("300"), Decimal("12.00"))
    assert (row["in_points"], row["in_units"], row["in_value"]) == (200, Decimal("100"), Decimal("4.00"))
    assert row["net"] == Decimal("-8.00")
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert partner_settlement(period=last)[0]["out_points"] == 0
    statement = api_as("auditor").get("/api/loyalty/settlement/partners", period=period)
    assert statement.status_code == 200 and statement.json()[0]["out_value"] == "12.00"
    assert api_as("service_agent").get("/api/loyalty/settlement/partners", period=period).status_code == 403
    assert api_as("auditor").get("/api/loyalty/settlement/partners", period="2026-99").status_code == 422
    client.force_login(users["auditor"])
    csv = client.get(f"/loyalty/settlement/?period={period}&format=csv").content.decode("utf-8-sig")
    assert "东方航空里程,AIR,1,600,300.0000,12.00" in csv


def test_partner_pages_only_the_administrator_changes(client, users, partner):
    client.force_login(users["administrator"])
    response = client.post(f"/loyalty/partners/{partner.pk}/", {
        "code": "AIR", "name": "东航", "rate_out": "0.6", "rate_in": "2", "unit_value": "0.04",
        "daily_limit_out": "", "is_active": "on", "version": partner.version})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "东航" and partner.rate_out == Decimal("0.6") and partner.daily_limit_out is None
    client.force_login(users["branch_manager"])
    assert client.get("/loyalty/partners/").status_code == 200
    assert client.get(f"/loyalty/partners/{partner.pk}/").status_code == 403


def test_reconcile_with_the_new_entry_kinds_and_a_planted_difference(api_as, member, second, give_points, partner):
    give_points(member, 500)
    api = api_as("service_agent")
    api.post(f"/api/loyalty/cards/{member.number}/exchange-out", {"partner": "AIR", "points": 100})
    api.post(f"/api/loyalty/cards/{member.number}/exchange-in", {"partner": "AIR", "units": "10"})
    api.post(f"/api/loyalty/cards/{member.number}/top-up", {"amount": "10.00"})
    api.post(f"/api/loyalty/cards/{member.number}/transfer", {"to": second.number, "amount": "4.00"})
    call_command("loyalty", "reconcile")  # exit 0
    StoredValueAccount.objects.filter(card=second).update(balance=Decimal("5.00"))
    with pytest.raises(SystemExit) as stopped:
        call_command("loyalty", "reconcile")
    assert stopped.value.code == 1
    StoredValueAccount.objects.filter(card=second).update(balance=Decimal("4.00"))
    PointsAccount.objects.filter(membership_id=member.membership_id).update(balance=421)
    with pytest.raises(SystemExit):
        call_command("loyalty", "reconcile")
