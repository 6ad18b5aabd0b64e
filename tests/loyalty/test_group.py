"""A group of stores: the group's rules bound the promotions a store manager defines (service, API and page),
promotions apply at earning only in their store and are held to the rules the group has now, and the settlement
between stores traces each redemption first in first out to the store where the points were earned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from kehu.loyalty.models import EarningRule, PointsAccount, PointsEntry
from kehu.loyalty.services import (
    GroupLimitError,
    group_rules_for,
    group_rules_save,
    reconcile,
    store_promotion_save,
)


def _purchase(api, customer, amount: str, **extra):
    body = {"customer_id": customer.pk, "occurred_at": timezone.now().isoformat(), "amount": amount, **extra}
    response = api.post("/api/transactions", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _rules(users, **changes):
    rules = group_rules_for()
    values = {"max_multiplier": Decimal("2"), "max_bonus_points": 50, "max_days": 31, "point_value": Decimal("0.01"),
              **changes}
    return group_rules_save(actor=users["administrator"], expected_version=rules.version, **values)


def test_only_the_group_administrator_sets_the_rules(users):
    rules = group_rules_for()
    with pytest.raises(PermissionDenied):
        group_rules_save(actor=users["branch_manager"], max_multiplier=Decimal("5"), max_bonus_points=1,
                         max_days=3, point_value=Decimal("0.01"), expected_version=rules.version)
    saved = _rules(users, max_multiplier=Decimal("3"))
    assert saved.max_multiplier == Decimal("3.00") and saved.version == rules.version + 1


def test_a_store_cannot_go_past_the_group_limits_in_the_service(users, org, today, member):
    from kehu.purchases.services import category_get_or_create

    food, toys = category_get_or_create(name="食品"), category_get_or_create(name="玩具")
    _rules(users, allowed_category_ids=[food.pk])
    manager = users["branch_manager"]
    common = {"actor": manager, "branch": org["sh1"], "name": "周末加倍", "starts_on": today,
              "ends_on": today + dt.timedelta(days=6), "category_id": food.pk}
    with pytest.raises(GroupLimitError) as error:
        store_promotion_save(multiplier=Decimal("2.5"), **common)
    assert "multiplier" in error.value.message_dict and "2.00" in error.value.message_dict["multiplier"][0]
    with pytest.raises(GroupLimitError) as error:
        store_promotion_save(bonus_points=51, **common)
    assert set(error.value.message_dict) == {"bonus_points"}
    with pytest.raises(GroupLimitError) as error:
        store_promotion_save(**{**common, "category_id": toys.pk})
    assert set(error.value.message_dict) == {"category"}
    with pytest.raises(GroupLimitError) as error:
        store_promotion_save(**{**common, "ends_on": today + dt.timedelta(days=31)})
    assert set(error.value.message_dict) == {"ends_on"}
    with pytest.raises(PermissionDenied):  # another region's store
        store_promotion_save(multiplier=Decimal("2"), **{**common, "branch": org["bj1"]})
    with pytest.raises(PermissionDenied):  # store staff do not define promotions
        store_promotion_save(multiplier=Decimal("2"), **{**common, "actor": users["account_manager"]})
    assert not EarningRule.objects.exists()
    rule = store_promotion_save(multiplier=Decimal("2"), bonus_points=50, **common)
    assert rule.owner_branch == org["sh1"] and rule.branch == org["sh1"] and rule.kind == "category"


def test_a_store_cannot_go_past_the_group_limits_over_http(api_as, users, org, today, member):
    _rules(users)
    api = api_as("branch_manager")
    body = {"store_id": org["sh2"].pk, "name": "店庆", "multiplier": "3", "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=3)).isoformat()}
    response = api.post("/api/loyalty/promotions", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "group_limit"
    assert "multiplier" in response.json()["error"]["fields"]
    assert "2.00" in response.json()["error"]["message"]
    response = api.post("/api/loyalty/promotions", {**body, "multiplier": "2"})
    assert response.status_code == 201, response.content
    assert response.json()["store_id"] == org["sh2"].pk
    # another region's store is not found; hostile bodies answer 4xx
    assert api.post("/api/loyalty/promotions", {**body, "store_id": org["bj1"].pk}).status_code == 404
    for hostile in ({**body, "multiplier": "1e30"}, {**body, "starts_on": "0001-01-01"}, {**body, "name": "a\x00b"},
                    {**body, "store_id": 2**40}, {**body, "name": "=1+1" * 40}):
        assert 400 <= api.post("/api/loyalty/promotions", hostile).status_code < 500
    assert api_as("account_manager").post("/api/loyalty/promotions", {**body, "store_id": org["sh1"].pk}
                                          ).status_code == 403
    assert [p["name"] for p in api_as("bj_account_manager").get("/api/loyalty/promotions").json()] == []
    assert [p["name"] for p in api_as("auditor").get("/api/loyalty/promotions").json()] == ["店庆"]
    # the group administrator's rules over the API, optimistic on the version
    admin = api_as("administrator")
    rules = admin.get("/api/loyalty/group-rules").json()
    change = {"max_multiplier": "1.5", "max_bonus_points": 10, "max_days": 10, "point_value": "0.02",
              "allowed_category_ids": [], "version": rules["version"]}
    assert api._send("put", "/api/loyalty/group-rules", change).status_code == 403
    assert admin._send("put", "/api/loyalty/group-rules", change).status_code == 200
    assert admin._send("put", "/api/loyalty/group-rules", change).status_code == 409


def test_a_promotion_earns_in_its_store_only_and_is_held_to_the_current_rules(api_as, users, org, today, customers,
                                                                             member):
    _rules(users, max_multiplier=Decimal("3"), max_bonus_points=20)
    store_promotion_save(actor=users["branch_manager"], branch=org["sh1"], name="上海一店三倍",
                         multiplier=Decimal("3"), bonus_points=20, starts_on=today, ends_on=today)
    api = api_as("account_manager")
    _purchase(api, customers["mine"], "100", branch_id=org["sh1"].pk)  # 100 × 3 + 20
    _purchase(api, customers["mine"], "100", branch_id=org["sh2"].pk)  # no promotion in SH2
    account = PointsAccount.objects.get(membership_id=member.membership_id)
    assert account.balance == 420
    _rules(users, max_multiplier=Decimal("1.5"), max_bonus_points=5)  # the group lowers its limits
    _purchase(api, customers["mine"], "100", branch_id=org["sh1"].pk)  # 100 × 1.5 + 5
    account.refresh_from_db()
    assert account.balance == 575
    assert reconcile() == []


@pytest.fixture
def ledger(users, org, customers):
    """A small known data set, written through the ledger's own primitive: two members. Member A earns 100 in SH1
    (Jan 5) and 50 in BJ1 (Jan 6), redeems 120 in BJ1 (Jan 10: 100 from SH1, 20 from BJ1 itself) and 30 in SH2
    (Feb 2: from BJ1). Member B earns 200 in SH2 (Jan 3), gets 10 by adjustment, redeems 150 in SH1 (Jan 20:
    all from SH2) and 60 in SH1 (Feb 1: 50 from SH2, 10 from the group's adjustment)."""
    from django.db import transaction

    from kehu.loyalty.services import _post, card_issue

    zone = timezone.get_current_timezone()
    a = card_issue(actor=users["administrator"], customer=customers["mine"])
    b = card_issue(actor=users["administrator"], customer=customers["beijing"])
    plan = [(a, "earn", 100, "sh1", (1, 5)), (b, "earn", 200, "sh2", (1, 3)), (a, "earn", 50, "bj1", (1, 6)),
            (b, "adjust", 10, None, (1, 8)), (a, "redeem", -120, "bj1", (1, 10)), (b, "redeem", -150, "sh1", (1, 20)),
            (b, "redeem", -60, "sh1", (2, 1)), (a, "redeem", -30, "sh2", (2, 2))]
    for card, kind, points, store, (month, day) in plan:
        with transaction.atomic():
            account = PointsAccount.objects.select_for_update().get(membership_id=card.membership_id)
            entry = _post(account, kind=kind, points=points, branch_id=org[store].pk if store else None,
                          transaction_id=None)
            PointsEntry.objects.filter(pk=entry.pk).update(created_at=dt.datetime(2026, month, day, 12, tzinfo=zone))
    return {"a": a, "b": b}


def test_settlement_between_stores_on_a_known_data_set(users, org, ledger):
    from kehu.loyalty.settlement import store_settlement

    _rules(users, point_value=Decimal("0.05"))
    january = store_settlement(period="2026-01")
    pairs = {(p["earned_in"], p["redeemed_in"]): (p["points"], p["value"]) for p in january.pairs}
    assert pairs == {("上海一店", "北京一店"): (100, Decimal("5.00")), ("上海二店", "上海一店"): (150, Decimal("7.50"))}
    stores = {s["store"]: (s["receivable"], s["payable"], s["net"]) for s in january.stores}
    assert stores["北京一店"] == (Decimal("5.00"), Decimal("0"), Decimal("5.00"))
    assert stores["上海一店"] == (Decimal("7.50"), Decimal("5.00"), Decimal("2.50"))
    assert stores["上海二店"] == (Decimal("0"), Decimal("7.50"), Decimal("-7.50"))
    assert sum(s["net"] for s in january.stores) == 0
    february = store_settlement(period="2026-02")
    pairs = {(p["earned_in"], p["redeemed_in"]): p["points"] for p in february.pairs}
    assert pairs == {("上海二店", "上海一店"): 50, ("", "上海一店"): 10, ("北京一店", "上海二店"): 30}
    # a branch-bound manager (region East) sees only the rows touching their stores
    scoped = store_settlement(period="2026-01", user=users["bj_account_manager"])
    assert [(p["earned_in"], p["redeemed_in"]) for p in scoped.pairs] == [("上海一店", "北京一店")]
    with pytest.raises(ValidationError):
        store_settlement(period="0001-13")


def test_settle_command_page_and_csv(client, users, org, ledger, tmp_path, capsys):
    from kehu.org.models import Branch

    Branch.objects.filter(pk=org["sh2"].pk).update(name="=1+1 店")
    path = tmp_path / "settle.csv"
    call_command("loyalty", "settle", "--period", "2026-01", "--csv", str(path))
    out = capsys.readouterr().out
    assert "北京一店" in out and "\t100\t1.00" in out
    text = path.read_text(encoding="utf-8-sig")
    assert "'=1+1 店" in text and "\n=1+1" not in text
    with pytest.raises(Exception):  # noqa: B017,PT011 - CommandError on a bad month
        call_command("loyalty", "settle", "--period", "2026-13")
    client.force_login(users["administrator"])
    page = client.get("/loyalty/settlement/?period=2026-01")
    assert page.status_code == 200 and "北京一店" in page.content.decode()
    csv = client.get("/loyalty/settlement/?period=2026-01&format=csv")
    assert csv.status_code == 200 and "'=1+1 店" in csv.content.decode("utf-8-sig")
    assert client.get("/loyalty/settlement/?period=9999-99").status_code == 200  # the form says why
    client.force_login(users["account_manager"])
    assert client.get("/loyalty/settlement/?period=2026-01").status_code == 403
    client.force_login(users["auditor"])
    assert client.get("/loyalty/settlement/?period=2026-01", HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200


def test_a_closed_month_is_kept_and_reopening_is_permitted_and_recorded(client, users, org, ledger, capsys):
    from django.db import transaction

    from kehu.loyalty.models import SettlementClose
    from kehu.loyalty.services import _post

    client.force_login(users["branch_manager"])  # sees statements, may not close
    assert client.post("/loyalty/settlement/", {"period": "2026-01", "action": "close"}).status_code == 403
    client.force_login(users["administrator"])
    closed = client.post("/loyalty/settlement/", {"period": "2026-01", "action": "close"})
    assert closed.status_code == 302 and closed["Location"].endswith("?period=2026-01")
    assert SettlementClose.objects.get(period="2026-01").closed_by == users["administrator"]
    again = client.post("/loyalty/settlement/", {"period": "2026-01", "action": "close"}, follow=True)
    assert SettlementClose.objects.count() == 1 and "reopen" in again.content.decode()
    # a late entry in January (150 more points of SH2 redeemed in BJ1): the kept statement does not move
    zone = timezone.get_current_timezone()
    with transaction.atomic():
        account = PointsAccount.objects.select_for_update().get(membership_id=ledger["b"].membership_id)
        entry = _post(account, kind="earn", points=150, branch_id=org["sh2"].pk)
        PointsEntry.objects.filter(pk=entry.pk).update(created_at=dt.datetime(2026, 1, 25, 12, tzinfo=zone))
        entry = _post(account, kind="redeem", points=-150, branch_id=org["bj1"].pk)
        PointsEntry.objects.filter(pk=entry.pk).update(created_at=dt.datetime(2026, 1, 26, 12, tzinfo=zone))
    from kehu.loyalty.settlement import statements

    page = client.get("/loyalty/settlement/?period=2026-01", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "kept as they were then" in page and "<td class=\"num\">140</td>" not in page
    stores, _partners, closing = statements(period="2026-01")
    assert closing is not None and stores.redeemed_points == 270  # as closed (the late 150 not in)
    call_command("loyalty", "settle", "--period", "2026-01")
    captured = capsys.readouterr()
    assert "is closed" in captured.err and "\t140\t" not in captured.out
    # reopening: its own permission, a reason, recorded; the statement is computed again
    client.force_login(users["branch_manager"])
    assert client.post("/loyalty/settlement/", {"period": "2026-01", "action": "reopen",
                                                "reason": "补录"}).status_code == 403
    client.force_login(users["administrator"])
    client.post("/loyalty/settlement/", {"period": "2026-01", "action": "reopen", "reason": " "})
    assert SettlementClose.objects.get().reopened_at is None  # no reason: refused
    client.post("/loyalty/settlement/", {"period": "2026-01", "action": "reopen", "reason": "a\x00b"})
    assert SettlementClose.objects.get().reopened_at is None
    client.post("/loyalty/settlement/", {"period": "2026-01", "action": "reopen", "reason": "门店补录一月消费"})
    kept = SettlementClose.objects.get()
    assert kept.reopened_by == users["administrator"] and kept.reopen_reason == "门店补录一月消费"
    page = client.get("/loyalty/settlement/?period=2026-01", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "门店补录一月消费" in page and "<td class=\"num\">140</td>" in page  # computed again
    stores, _partners, closing = statements(period="2026-01")
    assert closing is None and stores.redeemed_points == 420
    assert {(p["earned_in"], p["redeemed_in"]): p["points"] for p in stores.pairs}[("上海二店", "北京一店")] == 140
    # hostile or unfinished months are refused, never a 500
    for period in ("9999-99", "0001-01", "=1+1", timezone.localdate().strftime("%Y-%m")):
        answer = client.post("/loyalty/settlement/", {"period": period, "action": "close"})
        assert answer.status_code == 302
    assert SettlementClose.objects.count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_group_pages_in_both_languages(client, users, org, today, language):
    _rules(users)
    store_promotion_save(actor=users["branch_manager"], branch=org["sh1"], name="会员日", multiplier=Decimal("2"),
                         starts_on=today, ends_on=today)
    client.force_login(users["branch_manager"])
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    for url in ("/loyalty/group/", "/loyalty/promotions/", "/loyalty/promotions/new/", "/loyalty/partners/",
                "/loyalty/settlement/"):
        response = client.get(url, **headers)
        assert response.status_code == 200, url
    page = client.get("/loyalty/promotions/", **headers).content.decode()
    assert "会员日" in page
    assert ("门店促销" in page) == (language == "zh-hans")
    # past a limit on the page: the form says which
    response = client.post("/loyalty/promotions/new/", {
        "store": org["sh1"].pk, "name": "超限", "multiplier": "4", "bonus_points": "0", "starts_on": today,
        "ends_on": today, "is_active": "on"}, **headers)
    assert response.status_code == 200
    assert "2.00" in response.content.decode()
    assert not EarningRule.objects.filter(name="超限").exists()
    client.force_login(users["account_manager"])
    assert client.get("/loyalty/promotions/new/").status_code == 403
    assert client.post("/loyalty/group/", {}).status_code == 403
