"""Cards (check digit, status changes, replacement), member levels on a schedule, the pages and the 360 panel,
merging customers, the demo step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.loyalty.models import Card, LevelChange, PointsAccount, PointsEntry
from kehu.loyalty.services import card_number_new, card_number_valid


def test_card_numbers_carry_a_luhn_check_digit_and_are_random():
    numbers = {card_number_new() for _i in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert card_number_valid(number)
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert not card_number_valid(wrong)
        swapped = number[:5] + number[6] + number[5] + number[7:]
        if {number[5], number[6]} != {"0", "9"}:  # Luhn's one blind spot among adjacent swaps: 09 ↔ 90
            assert swapped == number or not card_number_valid(swapped)


def test_freeze_lost_and_replace_through_the_api(api_as, member, give_points):
    give_points(member, 120)
    api = api_as("service_agent")
    frozen = api.post(f"/api/loyalty/cards/{member.number}/status", {"action": "freeze", "version": 1})
    assert frozen.status_code == 200 and frozen.json()["status"] == "frozen"
    stale = api.post(f"/api/loyalty/cards/{member.number}/status", {"action": "activate", "version": 1})
    assert stale.status_code == 409
    assert api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 1}).status_code == 422
    assert api.post(f"/api/loyalty/cards/{member.number}/status",
                    {"action": "explode", "version": 2}).status_code == 422
    lost = api.post(f"/api/loyalty/cards/{member.number}/status", {"action": "report_lost", "version": 2})
    assert lost.json()["status"] == "lost"
    new = api.post(f"/api/loyalty/cards/{member.number}/replace", {"version": 3})
    assert new.status_code == 201, new.content
    body = new.json()
    assert body["number"] != member.number and card_number_valid(body["number"])
    assert body["points_balance"] == 120
    old = api.get(f"/api/loyalty/cards/{member.number}").json()
    assert old["status"] == "replaced" and old["replaced_by"] == body["number"]
    assert api.post(f"/api/loyalty/cards/{body['number']}/redeem", {"points": 20}).json()["points_balance"] == 100
    assert api.post(f"/api/loyalty/cards/{member.number}/replace", {"version": 4}).status_code == 422


def test_level_evaluation_upgrades_downgrades_keeps_history_and_tells_the_owner(customers, member, users):
    from kehu.customers.models import Activity
    from kehu.loyalty.models import Level, Membership
    from kehu.purchases.models import Transaction
    from kehu.work.models import Notification

    programme = member.membership.programme
    Level.objects.create(programme=programme, code="GOLD", name="金卡", rank=2, min_spend=Decimal("10000"),
                         multiplier=Decimal("2"))
    Level.objects.create(programme=programme, code="SILVER", name="银卡", rank=1, min_spend=Decimal("3000"))
    day = timezone.localdate()
    when = timezone.now() - dt.timedelta(days=10)
    Transaction.objects.create(customer=customers["mine"], occurred_at=when, amount=Decimal("12000"))
    call_command("loyalty", "levels", "--as-of", day.isoformat())
    membership = Membership.objects.get(pk=member.membership_id)
    assert membership.level.code == "GOLD"
    change = LevelChange.objects.get()
    assert change.spend == Decimal("12000") and change.to_level.code == "GOLD"
    assert Activity.objects.filter(customer=customers["mine"], kind="level_change").count() == 1
    assert Notification.objects.filter(recipient=users["account_manager"], kind="loyalty_level_change").exists()
    call_command("loyalty", "levels", "--as-of", day.isoformat())  # nothing changed: nothing written
    assert LevelChange.objects.count() == 1
    call_command("loyalty", "levels", "--as-of", (day + dt.timedelta(days=400)).isoformat())  # spend aged out
    membership.refresh_from_db()
    assert membership.level.code == "STANDARD"
    assert LevelChange.objects.count() == 2


def test_levels_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("loyalty", "levels", "--as-of", "9999-12-31")


def test_member_and_counter_pages_in_both_languages(client, users, member, give_points, customers):
    give_points(member, 42)
    client.force_login(users["service_agent"])
    for language, word in (("en", "Points balance"), ("zh-hans", "积分余额")):
        page = client.get(f"/loyalty/members/{member.membership_id}/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        assert word in page.content.decode()
        assert member.number in page.content.decode()
    found = client.get("/loyalty/", {"q": member.number}, HTTP_ACCEPT_LANGUAGE="en")
    assert found.status_code == 200 and member.number in found.content.decode()
    empty = client.get("/loyalty/", {"q": "6288000000000000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "No card matches" in empty.content.decode()
    detail = client.get(f"/customers/{customers['mine'].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Membership and points" in detail.content.decode()
    assert client.get("/loyalty/programmes/").status_code == 200


def test_redeem_and_card_actions_through_the_pages_ask_first(client, users, member, give_points):
    give_points(member, 50)
    client.force_login(users["service_agent"])
    response = client.post(f"/loyalty/members/{member.membership_id}/redeem/",
                           {"card": member.number, "points": 20, "reason": "兑换"})
    assert response.status_code == 302
    assert PointsAccount.objects.get(membership_id=member.membership_id).balance == 30
    client.post(f"/loyalty/members/{member.membership_id}/redeem/", {"card": member.number, "points": 31})
    assert PointsAccount.objects.get(membership_id=member.membership_id).balance == 30
    confirm = client.get(f"/loyalty/cards/{member.pk}/freeze/", HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 200 and "Confirm" in confirm.content.decode()
    assert Card.objects.get(pk=member.pk).status == "active"
    client.post(f"/loyalty/cards/{member.pk}/freeze/", {"version": 1})
    assert Card.objects.get(pk=member.pk).status == "frozen"


def test_another_branchs_member_page_is_404(client, users, member):
    client.force_login(users["bj_account_manager"])
    assert client.get(f"/loyalty/members/{member.membership_id}/").status_code == 404
    assert client.get(f"/loyalty/cards/{member.pk}/freeze/").status_code == 404
    client.post(f"/loyalty/cards/{member.pk}/freeze/", {"version": 1})
    assert Card.objects.get(pk=member.pk).status == "active"


def test_merging_customers_carries_points_over_by_entries(customers, users, give_points):
    from kehu.customers.merge import customer_merge
    from kehu.loyalty.services import card_issue, reconcile

    keep, merge = customers["mine"], customers["colleague"]
    kept_card = card_issue(actor=users["administrator"], customer=keep)
    merged_card = card_issue(actor=users["administrator"], customer=merge)
    give_points(kept_card, 100)
    give_points(merged_card, 40)
    customer_merge(keep=keep, merge=merge, actor=users["administrator"], choices={"name": "keep", "owner": "keep"},
                   reason="重复")
    account = PointsAccount.objects.get(membership_id=kept_card.membership_id)
    assert account.balance == 140
    assert PointsEntry.objects.filter(account=account, kind="transfer", points=40).exists()
    assert Card.objects.get(pk=merged_card.pk).membership_id == kept_card.membership_id
    assert reconcile() == []
