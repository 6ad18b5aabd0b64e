"""The points ledger through the API and the commands: earning exactly once, redemption never below zero,
idempotent counter writes, refunds, reconciliation, adjustments through approvals, hostile input, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.loyalty.models import EntryKind, PointsAccount, PointsEntry
from kehu.loyalty.services import card_number_valid, reconcile


def _balance(card) -> int:
    return PointsAccount.objects.get(membership_id=card.membership_id).balance


def _sum(card) -> int:
    return sum(PointsEntry.objects.filter(account__membership_id=card.membership_id).values_list("points", flat=True))


def _purchase(api, customer, amount: str, **extra):
    body = {"customer_id": customer.pk, "occurred_at": timezone.now().isoformat(), "amount": amount, **extra}
    response = api.post("/api/transactions", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_new_card_through_the_api_earns_a_point_per_yuan(api_as, customers):
    api = api_as("account_manager")
    response = api.post("/api/loyalty/cards", {"customer_id": customers["mine"].pk})
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert card_number_valid(number)
    assert response.json()["points_balance"] == 0
    _purchase(api, customers["mine"], "1000.00")
    card = api.get(f"/api/loyalty/cards/{number}").json()
    assert card["points_balance"] == 1000
    assert card["level"]["name"]


def test_a_transaction_earns_exactly_once_via_api_hook_and_command(api_as, customers, member):
    api = api_as("account_manager")
    txn_id = _purchase(api, customers["mine"], "250.75")
    assert _balance(member) == 250
    for _attempt in range(2):
        response = api.post(f"/api/loyalty/cards/{member.number}/earn", {"transaction_id": txn_id})
        assert response.status_code == 200, response.content
        assert response.json()["points_balance"] == 250
    call_command("loyalty", "accrue")
    call_command("loyalty", "accrue", "--days", "3")
    assert PointsEntry.objects.filter(transaction_id=txn_id).count() == 1
    assert _balance(member) == _sum(member) == 250


def test_accrue_command_catches_purchases_written_without_the_hook(customers, member):
    """The import's COPY path writes transactions without the hook: the accrual command (and beat job) earns them,
    once."""
    from kehu.loyalty.tasks import loyalty_accrue_task
    from kehu.purchases.models import Transaction

    txn = Transaction.objects.create(customer=customers["mine"], occurred_at=timezone.now(), amount=Decimal("88.80"))
    other = Transaction.objects.create(customer=customers["colleague"], occurred_at=timezone.now(), amount=5)
    assert _balance(member) == 0
    call_command("loyalty", "accrue")
    assert _balance(member) == 88
    assert loyalty_accrue_task() == 0  # nothing left
    call_command("loyalty", "accrue")
    assert PointsEntry.objects.filter(transaction_id=txn.pk).count() == 1
    assert not PointsEntry.objects.filter(transaction_id=other.pk).exists()  # not a member


def test_purchases_before_joining_do_not_earn(api_as, customers):
    from kehu.loyalty.services import card_issue

    api = api_as("account_manager")
    _purchase(api, customers["mine"], "500")
    card = card_issue(actor=api_as and customers["mine"].owner, customer=customers["mine"])
    call_command("loyalty", "accrue")
    assert _balance(card) == 0


def test_refund_reverses_points_but_never_below_zero(api_as, customers, member):
    api = api_as("account_manager")
    _purchase(api, customers["mine"], "300")
    _purchase(api, customers["mine"], "-100")
    assert _balance(member) == 200
    assert PointsEntry.objects.filter(kind=EntryKind.REVERSE, points=-100).count() == 1
    api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 150})
    _purchase(api, customers["mine"], "-300")  # more refunded than is left: takes back the 50 left
    assert _balance(member) == 0 == _sum(member)


def test_redeem_full_partial_and_never_below_zero(api_as, member, give_points):
    api = api_as("service_agent")
    give_points(member, 100)
    ok = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 60})
    assert ok.status_code == 200 and ok.json()["points_balance"] == 40
    refused = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 41})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_points"
    full = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 40})
    assert full.json()["points_balance"] == 0
    assert _balance(member) == 0 == _sum(member)


def test_idempotency_key_replay_changes_nothing(api_as, member, give_points):
    api = api_as("service_agent")
    give_points(member, 100)
    api.headers["Idempotency-Key"] = "till-7-0001"
    first = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 30})
    again = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 30})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert _balance(member) == 70
    different = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 31})
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "idempotency_conflict"
    api.headers["Idempotency-Key"] = "till-7-0002"
    refused = api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 500})
    assert refused.status_code == 409
    assert api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 500}).json() == refused.json()
    assert _balance(member) == 70 == _sum(member)


def test_issuing_a_card_with_a_key_issues_one(api_as, customers):
    from kehu.loyalty.models import Card

    api = api_as("account_manager")
    api.headers["Idempotency-Key"] = "issue-1"
    first = api.post("/api/loyalty/cards", {"customer_id": customers["mine"].pk})
    second = api.post("/api/loyalty/cards", {"customer_id": customers["mine"].pk})
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
    assert Card.objects.filter(customer=customers["mine"]).count() == 1


def test_reconcile_finds_a_planted_difference(member, give_points):
    give_points(member, 70)
    call_command("loyalty", "reconcile")
    PointsAccount.objects.filter(membership_id=member.membership_id).update(balance=71)
    with pytest.raises(SystemExit) as exit_info:
        call_command("loyalty", "reconcile")
    assert exit_info.value.code == 1
    assert [row["total"] for row in reconcile()] == [70]


def test_reconcile_is_one_query(member, give_points):
    give_points(member, 5)
    with CaptureQueriesContext(connection) as queries:
        reconcile()
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert len(statements) == 1  # one grouped pass (the rest is the cursor's transaction)
    assert "GROUP BY" in statements[0] and statements[0].count("SELECT") == 2


def test_reconcile_summary_counts_differences_in_the_database(member, give_points, capsys):
    from kehu.loyalty.services import reconcile_summary

    give_points(member, 5)
    assert reconcile_summary(limit=0) == {"points": (0, []), "stored value": (0, [])}
    PointsAccount.objects.filter(membership_id=member.membership_id).update(balance=9)
    count, rows = reconcile_summary(limit=0)["points"]
    assert count == 1 and rows == []
    assert [(r["balance"], r["total"]) for r in reconcile_summary(limit=5)["points"][1]] == [(9, 5)]
    with pytest.raises(SystemExit):
        call_command("loyalty", "reconcile")
    captured = capsys.readouterr()
    assert "balance 9, entries sum to 5" in captured.out and "1 accounts differ" in captured.err


def test_adjustment_is_posted_only_when_approved(api_as, users, member):
    from kehu.work.models import Approval
    from kehu.work.services import approval_decide

    api = api_as("account_manager")
    response = api.post(f"/api/loyalty/members/{member.membership_id}/adjustments",
                        {"points": 500, "reason": "补录线下消费积分"})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert _balance(member) == 0
    approval = Approval.objects.get(kind="points_adjustment")
    assert approval.amount == 500
    approval_decide(actor=users["branch_manager"], approval=approval, approve=True)
    assert _balance(member) == 500 == _sum(member)
    assert PointsEntry.objects.get(kind=EntryKind.ADJUST).actor == users["branch_manager"]
    # a take-away beyond the balance cannot be approved
    api.post(f"/api/loyalty/members/{member.membership_id}/adjustments", {"points": -600, "reason": "冲正"})
    second = Approval.objects.filter(kind="points_adjustment", status="pending").get()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        approval_decide(actor=users["administrator"], approval=second, approve=True)
    assert _balance(member) == 500


def test_branch_manager_authority_is_limited(api_as, users, member):
    from django.core.exceptions import PermissionDenied

    from kehu.work.models import Approval
    from kehu.work.services import approval_decide

    api_as("account_manager").post(f"/api/loyalty/members/{member.membership_id}/adjustments",
                                   {"points": 9000, "reason": "大额补录"})
    approval = Approval.objects.get(kind="points_adjustment")
    with pytest.raises(PermissionDenied):
        approval_decide(actor=users["branch_manager"], approval=approval, approve=True)
    assert _balance(member) == 0


@pytest.mark.parametrize("body", [
    {"points": 10**15}, {"points": -5}, {"points": 0}, {"points": 1.5}, {"points": "1e400"},
    {"points": 5, "reason": "a\x00b"}, {"points": 5, "extra": 1},
])
def test_hostile_redemptions_answer_4xx(api_as, member, give_points, body):
    give_points(member, 10)
    response = api_as("service_agent").post(f"/api/loyalty/cards/{member.number}/redeem", body)
    assert 400 <= response.status_code < 500, response.content
    assert _balance(member) == 10


def test_another_branchs_card_answers_404(api_as, member, give_points):
    give_points(member, 10)
    api = api_as("bj_account_manager")
    assert api.get(f"/api/loyalty/cards/{member.number}").status_code == 404
    assert api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 1}).status_code == 404
    assert api.get(f"/api/loyalty/members/{member.membership_id}/ledger").status_code == 404
    assert api.post(f"/api/loyalty/members/{member.membership_id}/adjustments",
                    {"points": 1, "reason": "x"}).status_code == 404
    assert api.get("/api/loyalty/cards/123\x00").status_code in (400, 404)
    assert api.get("/api/loyalty/lookup", q=member.number).json()["count"] == 0
    assert _balance(member) == 10


def test_auditor_reads_but_does_not_redeem(api_as, member, give_points):
    give_points(member, 10)
    api = api_as("auditor")
    assert api.get(f"/api/loyalty/cards/{member.number}").status_code == 200
    assert api.post(f"/api/loyalty/cards/{member.number}/redeem", {"points": 1}).status_code == 403


def test_counter_lookup_by_card_or_mobile(api_as, make_customer, users):
    from kehu.loyalty.services import card_issue

    customer = make_customer("李四", mobile="13912345678", owner=users["account_manager"])
    card = card_issue(actor=users["account_manager"], customer=customer)
    api = api_as("service_agent")
    assert [c["number"] for c in api.get("/api/loyalty/lookup", q=card.number).json()["items"]] == [card.number]
    assert [c["number"] for c in api.get("/api/loyalty/lookup", q="139 1234 5678").json()["items"]] == [card.number]
    assert api.get("/api/loyalty/lookup", q="13900000000").json()["count"] == 0


def test_ledger_and_member_lists_query_counts_do_not_grow(api_as, make_customer, users, give_points):
    from kehu.loyalty.services import card_issue

    api = api_as("account_manager")

    def add(count: int) -> None:
        for index in range(count):
            customer = make_customer(f"会员{index}", owner=users["account_manager"])
            give_points(card_issue(actor=users["account_manager"], customer=customer), 5 + index)

    add(2)
    api.get("/api/loyalty/members")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/loyalty/members").status_code == 200
    add(6)
    with CaptureQueriesContext(connection) as many:
        body = api.get("/api/loyalty/members").json()
    assert body["count"] == 8
    assert len(many) == len(few)
    membership_id = body["items"][0]["id"]
    with CaptureQueriesContext(connection) as ledger:
        assert api.get(f"/api/loyalty/members/{membership_id}/ledger").json()["count"] == 1
    assert len(ledger) <= len(few) + 2


def test_earning_rules_multiplier_bonus_and_cap(api_as, customers, member, org):
    from kehu.loyalty.models import EarningRule, Level
    from kehu.purchases.services import category_get_or_create, product_get_or_create

    programme = member.membership.programme
    Level.objects.filter(pk=member.membership.level_id).update(multiplier=Decimal("1.5"))
    food = category_get_or_create(name="食品")
    product = product_get_or_create(sku="F-1", name="月饼", category=food)
    EarningRule.objects.create(programme=programme, name="食品双倍", kind="category", category=food,
                               multiplier=Decimal("2"))
    EarningRule.objects.create(programme=programme, name="上海门店加赠", kind="store", branch=org["east"],
                               bonus_points=10, multiplier=Decimal("1.2"))
    EarningRule.objects.create(programme=programme, name="活动封顶", kind="campaign", cap_points=1000,
                               starts_on=dt.date(2000, 1, 1))
    api = api_as("account_manager")
    _purchase(api, customers["mine"], "100", product_id=product.pk)  # 100 × 1.5 × 2 + 10 = 310
    assert _balance(member) == 310
    _purchase(api, customers["mine"], "1000", product_id=product.pk)  # 3010 capped at 1000
    assert _balance(member) == 1310
    _purchase(api, customers["mine"], "100", branch_id=org["bj1"].pk)  # 100 × 1.5 × 1 (no SH rule)
    assert _balance(member) == 1460 == _sum(member)
