"""Coupons through the API: batches, issuing (by hand, by level, on a purchase), one use with an Idempotency-Key,
the refusals (used, voided, expired, not yet valid, not valid at this store), void and reissue, the expiry job,
scope and hostile input."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from kehu.loyalty.coupons.codes import ALPHABET, code_new, code_normalise
from kehu.loyalty.coupons.models import Coupon, CouponBatch

pytestmark = pytest.mark.django_db


def _window(days_before: int = 1, days_after: int = 30) -> dict[str, str]:
    now = timezone.now()
    return {"valid_from": (now - dt.timedelta(days=days_before)).isoformat(),
            "valid_until": (now + dt.timedelta(days=days_after)).isoformat()}


@pytest.fixture
def manager(api_as):
    return api_as("branch_manager")


@pytest.fixture
def make_batch(manager, org):
    def make(**fields):
        body = {"name": "满100减20", "kind": "amount", "value": "20", "branch_id": org["east"].pk, **_window()}
        body.update(fields)
        response = manager.post("/api/loyalty/coupon-batches", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def issue(manager):
    def run(batch_id: int, customer_ids: list[int]) -> dict:
        response = manager.post(f"/api/loyalty/coupon-batches/{batch_id}/issue", {"customer_ids": customer_ids})
        assert response.status_code == 200, response.content
        return response.json()

    return run


def _code(batch_id: int, customer_id: int) -> str:
    return Coupon.objects.filter(batch_id=batch_id, customer_id=customer_id).order_by("id").last().code


def _use(client, code: str, key: str | None, **body):
    if key is not None:
        client.headers["Idempotency-Key"] = key
    else:
        client.headers.pop("Idempotency-Key", None)
    return client.post(f"/api/loyalty/coupons/{code}/use", body)


def test_codes_are_random_with_a_check_character():
    codes = {code_new() for _i in range(2000)}
    assert len(codes) == 2000
    code = next(iter(codes))
    assert len(code) == 13 and set(code) <= set(ALPHABET)
    assert code_normalise(code.lower()[:4] + "-" + code[4:]) == code
    wrong = code[:5] + next(c for c in ALPHABET if c != code[5]) + code[6:]
    assert code_normalise(wrong) is None  # every single mistyped character is caught
    assert code_normalise("") is None and code_normalise("\x00" * 13) is None and code_normalise("A" * 5000) is None


def test_one_use_and_a_replay_returns_the_first_answer(api_as, make_batch, issue, customers):
    batch = make_batch()
    assert issue(batch["id"], [customers["mine"].pk, customers["colleague"].pk]) == {
        "issued": 2, "skipped_limit": 0, "skipped_quantity": 0}
    code = _code(batch["id"], customers["mine"].pk)
    till = api_as("service_agent")
    looked = till.get(f"/api/loyalty/coupons/{code}")
    assert looked.status_code == 200 and looked.json()["status"] == "issued" and looked.json()["value"] == "20.00"
    assert _use(till, code, None, order_ref="POS-1").status_code == 422  # the key is required
    first = _use(till, code, "pos-1", order_ref="POS-1", amount="88.50")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "used" and first.json()["discount"] == "20.00"
    replay = _use(till, code, "pos-1", order_ref="POS-1", amount="88.50")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert _use(till, code, "pos-1", order_ref="POS-2").status_code == 409  # the same key, another request
    again = _use(till, code, "pos-2", order_ref="POS-3")
    assert again.status_code == 409 and again.json()["error"]["code"] == "coupon_used"
    coupon = Coupon.objects.get(code=code)
    assert coupon.order_ref == "POS-1" and coupon.used_branch.code == "SH1" and coupon.discount == Decimal("20.00")
    timeline = api_as("account_manager").get(f"/api/customers/{customers['mine'].pk}/timeline").json()
    kinds = [(item["kind"], item["title"]) for item in timeline["items"]]
    assert ("coupon", f"Coupon …{code[-4:]} of “满100减20” used") in kinds
    assert ("coupon", f"Coupon …{code[-4:]} of “满100减20” issued") in kinds


def test_percent_off_is_capped_and_a_gift_gives_no_amount(api_as, make_batch, issue, customers):
    percent = make_batch(name="九折", kind="percent", value="10", max_discount="50")
    gift = make_batch(name="赠品", kind="gift", gift="帆布袋")
    issue(percent["id"], [customers["mine"].pk])
    issue(gift["id"], [customers["mine"].pk])
    till = api_as("service_agent")
    capped = _use(till, _code(percent["id"], customers["mine"].pk), "p1", amount="1000")
    assert capped.json()["discount"] == "50.00" and capped.json()["kind"] == "percent"
    given = _use(till, _code(gift["id"], customers["mine"].pk), "g1")
    assert given.status_code == 200 and given.json()["discount"] is None and given.json()["gift"] == "帆布袋"


def test_window_refusals_and_the_expiry_job(api_as, make_batch, issue, customers):
    from kehu.loyalty.coupons.tasks import coupons_expire_task

    later = make_batch(name="下月", valid_from=(timezone.now() + dt.timedelta(days=3)).isoformat(),
                       valid_until=(timezone.now() + dt.timedelta(days=9)).isoformat())
    issue(later["id"], [customers["mine"].pk])
    till = api_as("service_agent")
    early = _use(till, _code(later["id"], customers["mine"].pk), "e1")
    assert early.status_code == 409 and early.json()["error"]["code"] == "coupon_not_yet_valid"

    batch = make_batch(name="今天")
    issue(batch["id"], [customers["mine"].pk, customers["colleague"].pk])
    past = timezone.now() - dt.timedelta(minutes=1)
    Coupon.objects.filter(batch_id=batch["id"]).update(expires_at=past)  # the end passed
    code = _code(batch["id"], customers["mine"].pk)
    late = _use(till, code, "l1")
    assert late.status_code == 409 and late.json()["error"]["code"] == "coupon_expired"
    assert Coupon.objects.get(code=code).status == "issued"
    assert coupons_expire_task.apply().get() == 2
    assert coupons_expire_task.apply().get() == 0  # idempotent
    assert set(Coupon.objects.filter(batch_id=batch["id"]).values_list("status", flat=True)) == {"expired"}
    assert _use(till, code, "l2").json()["error"]["code"] == "coupon_expired"
    assert Coupon.objects.filter(batch_id=later["id"], status="issued").count() == 1


def test_store_restrictions(api_as, make_batch, issue, customers, org):
    batch = make_batch(name="二店专享", store_ids=[org["sh2"].pk])
    issue(batch["id"], [customers["mine"].pk])
    code = _code(batch["id"], customers["mine"].pk)
    till = api_as("service_agent")  # works at SH1
    here = _use(till, code, "s1")
    assert here.status_code == 409 and here.json()["error"]["code"] == "coupon_not_valid_here"
    assert _use(till, code, "s2", branch_id=org["sh2"].pk).status_code == 422  # not a store of theirs
    manager = api_as("branch_manager")  # region East: SH1 and SH2
    used = _use(manager, code, "s3", branch_id=org["sh2"].pk)
    assert used.status_code == 200 and used.json()["used_branch_id"] == org["sh2"].pk
    region = make_batch(name="华东", store_ids=[org["east"].pk])  # a region: every store below it
    issue(region["id"], [customers["mine"].pk])
    assert _use(till, _code(region["id"], customers["mine"].pk), "s4").status_code == 200


def test_void_and_reissue_keep_the_history(api_as, make_batch, issue, customers):
    batch = make_batch()
    issue(batch["id"], [customers["mine"].pk, customers["colleague"].pk])
    manager = api_as("branch_manager")
    old = _code(batch["id"], customers["mine"].pk)
    manager.headers["Idempotency-Key"] = "r1"
    reissued = manager.post(f"/api/loyalty/coupons/{old}/reissue", {"reason": "顾客删除了短信"})
    assert reissued.status_code == 201, reissued.content
    new = reissued.json()["code"]
    assert new != old and reissued.json()["status"] == "issued" and reissued.json()["customer_id"] == \
        customers["mine"].pk
    before = Coupon.objects.get(code=old)
    assert before.status == "voided" and before.replaced_by.code == new and before.void_reason == "顾客删除了短信"
    assert CouponBatch.objects.get(pk=batch["id"]).issued_count == 2  # a replacement is not a new coupon
    manager.headers["Idempotency-Key"] = "r2"
    assert manager.post(f"/api/loyalty/coupons/{old}/reissue", {"reason": "again"}).json()["error"]["code"] == \
        "coupon_voided"
    till = api_as("service_agent")
    assert _use(till, old, "v1").json()["error"]["code"] == "coupon_voided"
    assert _use(till, new, "v2").status_code == 200
    other = _code(batch["id"], customers["colleague"].pk)
    manager.headers["Idempotency-Key"] = "v3"
    assert manager.post(f"/api/loyalty/coupons/{other}/void", {"reason": "作废"}).json()["status"] == "voided"
    assert _use(till, other, "v4").json()["error"]["code"] == "coupon_voided"
    assert api_as("service_agent").post(f"/api/loyalty/coupons/{new}/void", {"reason": "x"}).status_code == 403
    listed = till.get("/api/loyalty/coupons", customer_id=customers["mine"].pk).json()
    assert {item["code"] for item in listed["items"]} == {old, new}


def test_limits_per_customer_and_quantity(make_batch, issue, customers, manager):
    batch = make_batch(quantity=2, per_customer=1)
    ids = [customers["mine"].pk, customers["colleague"].pk]
    assert issue(batch["id"], ids) == {"issued": 2, "skipped_limit": 0, "skipped_quantity": 0}
    assert issue(batch["id"], ids) == {"issued": 0, "skipped_limit": 2, "skipped_quantity": 0}
    small = make_batch(name="限量", quantity=1, per_customer=3)
    assert issue(small["id"], ids) == {"issued": 1, "skipped_limit": 0, "skipped_quantity": 1}
    assert Coupon.objects.filter(batch_id=small["id"]).count() == 1


def test_issue_rules_by_level_and_on_a_purchase(api_as, make_batch, manager, customers, users):
    from kehu.loyalty.services import card_issue

    card = card_issue(actor=users["account_manager"], customer=customers["mine"])
    level = card.membership.level
    by_level = make_batch(name="普卡礼", rule="level", rule_level_id=level.pk)
    response = manager.post(f"/api/loyalty/coupon-batches/{by_level['id']}/issue", {"by_rule": True})
    assert response.json() == {"issued": 1, "skipped_limit": 0, "skipped_quantity": 0}
    assert Coupon.objects.get(batch_id=by_level["id"]).membership_id == card.membership_id

    on_purchase = make_batch(name="满500送券", rule="transaction", rule_min_amount="500", per_customer=5)
    api = api_as("account_manager")
    for amount, ref in (("600", "T1"), ("100", "T2"), ("500", "T3")):
        posted = api.post("/api/transactions", {"customer_id": customers["mine"].pk, "external_ref": ref,
                                                "occurred_at": timezone.now().isoformat(), "amount": amount})
        assert posted.status_code == 201, posted.content
    earned = Coupon.objects.filter(batch_id=on_purchase["id"], customer=customers["mine"])
    assert earned.count() == 2 and all(c.source_transaction_id for c in earned)
    from kehu.loyalty.coupons.services import issue_on_transactions

    issue_on_transactions(transaction_ids=[c.source_transaction_id for c in earned])  # a second run: nothing new
    assert earned.count() == 2
    listed = api.get("/api/loyalty/coupons", card=card.number).json()
    assert listed["count"] == 3


def test_scope_and_permissions(api_as, make_batch, issue, customers, org, users):
    batch = make_batch()
    issue(batch["id"], [customers["mine"].pk])
    code = _code(batch["id"], customers["mine"].pk)
    beijing = api_as("bj_account_manager")
    assert beijing.get(f"/api/loyalty/coupons/{code}").status_code == 404  # another branch's coupon
    assert _use(beijing, code, "b1").status_code == 404
    assert beijing.get(f"/api/loyalty/coupon-batches/{batch['id']}").status_code == 404
    assert Coupon.objects.get(code=code).status == "issued"
    manager = api_as("branch_manager")
    stranger = manager.post(f"/api/loyalty/coupon-batches/{batch['id']}/issue",
                            {"customer_ids": [customers["beijing"].pk]})
    assert stranger.status_code == 422  # a customer out of scope is not issued to
    assert api_as("account_manager").post("/api/loyalty/coupon-batches",
                                          {"name": "x", "kind": "amount", "value": "1", **_window()}).status_code == 403
    assert _use(api_as("auditor"), code, "a1").status_code == 403
    group = api_as("administrator").post("/api/loyalty/coupon-batches", {
        "name": "集团券", "kind": "amount", "value": "5", "branch_id": org["hq"].pk, **_window()})
    assert group.status_code == 201
    seen = {item["id"] for item in api_as("service_agent").get("/api/loyalty/coupon-batches").json()["items"]}
    assert {batch["id"], group.json()["id"]} <= seen  # a store sees its region's and the group's batches
    assert manager.post("/api/loyalty/coupon-batches", {"name": "x", "kind": "amount", "value": "1",
                                                        "branch_id": org["north"].pk, **_window()}).status_code == 422


@pytest.mark.parametrize("body", [
    {"value": "1e20"}, {"value": "-5"}, {"kind": "percent", "value": "150"}, {"name": "a\x00b"},
    {"name": "x" * 101}, {"valid_from": "0001-01-01T00:00:00Z"}, {"valid_until": "9999-12-31T00:00:00Z"},
    {"quantity": 10**12}, {"per_customer": 0}, {"rule": "transaction"}, {"rule": "level"}, {"kind": "gift"},
    {"store_ids": [2**31]}, {"valid_until": "2020-01-01T00:00:00Z"}, {"kind": "bogus"},
])
def test_hostile_batches_answer_4xx(manager, org, body):
    payload = {"name": "坏券", "kind": "amount", "value": "20", "branch_id": org["east"].pk, **_window(), **body}
    response = manager.post("/api/loyalty/coupon-batches", payload)
    assert 400 <= response.status_code < 500, (body, response.status_code, response.content)
    assert not CouponBatch.objects.exists()


def test_hostile_codes_and_uses_answer_4xx(api_as, make_batch, issue, customers):
    batch = make_batch()
    issue(batch["id"], [customers["mine"].pk])
    code = _code(batch["id"], customers["mine"].pk)
    till = api_as("service_agent")
    assert till.get("/api/loyalty/coupons/%00").status_code == 400  # the NUL guard, before any view
    for bad in ("A" * 3000, code[:-1] + ("0" if code[-1] != "0" else "1"), "0000000000000", "…", code + "A"):
        assert till.get(f"/api/loyalty/coupons/{bad}").status_code == 404, bad
    for body in ({"amount": "1e30"}, {"order_ref": "x" * 81}, {"transaction_id": 2**63}, {"branch_id": 0},
                 {"amount": "-1"}, {"nonsense": 1}):
        assert _use(till, code, f"h-{len(str(body))}-{next(iter(body))}", **body).status_code == 422, body
    till.headers["Idempotency-Key"] = "k\x00"
    assert till.post(f"/api/loyalty/coupons/{code}/use", {}).status_code in (400, 422)
    assert Coupon.objects.get(code=code).status == "issued"
    assert till.post(f"/api/loyalty/coupon-batches/{batch['id']}/issue",
                     {"customer_ids": [2**40]}).status_code == 422


def test_coupon_list_has_a_fixed_number_of_queries(api_as, make_batch, issue, customers, make_customer, users,
                                                   django_assert_num_queries):
    batch = make_batch(per_customer=10)
    issue(batch["id"], [customers["mine"].pk])
    till = api_as("service_agent")
    till.get("/api/loyalty/coupons", batch_id=batch["id"])
    with django_assert_num_queries(5):  # token, roles, scope branches, the capped count, the page
        assert till.get("/api/loyalty/coupons", batch_id=batch["id"]).json()["count"] == 1
    extra = [make_customer(f"会员{i}", owner=users["account_manager"]).pk for i in range(8)]
    issue(batch["id"], extra)
    with django_assert_num_queries(5):
        assert till.get("/api/loyalty/coupons", batch_id=batch["id"]).json()["count"] == 9


def test_catch_up_issues_what_a_failed_listener_missed_once(api_as, make_batch, customers, monkeypatch):
    from django.core.management import call_command

    from kehu.loyalty.coupons import services as coupon_services
    from kehu.loyalty.coupons.tasks import coupons_catch_up_task

    on_purchase = make_batch(name="满300送券", rule="transaction", rule_min_amount="300", per_customer=5)
    api = api_as("account_manager")

    def broken(*args, **kwargs):
        raise RuntimeError("listener down")

    monkeypatch.setattr(coupon_services, "_issue_for_purchases", broken)
    for amount, ref in (("400", "C1"), ("100", "C2")):
        posted = api.post("/api/transactions", {"customer_id": customers["mine"].pk, "external_ref": ref,
                                                "occurred_at": timezone.now().isoformat(), "amount": amount})
        assert posted.status_code == 201, posted.content  # the purchase is recorded, its coupon is not
    earned = Coupon.objects.filter(batch_id=on_purchase["id"], customer=customers["mine"])
    assert earned.count() == 0
    monkeypatch.undo()
    out = io.StringIO()
    call_command("loyalty", "coupons-catch-up", "--days", "1", stdout=out)
    assert out.getvalue().strip() == "1 coupons issued"
    assert earned.count() == 1 and earned.get().source_transaction_id is not None
    assert coupons_catch_up_task.apply().get() == 0  # the scheduled job again: nothing twice
    call_command("loyalty", "coupons-catch-up", stdout=out)
    assert earned.count() == 1
    with pytest.raises(CommandError):
        call_command("loyalty", "coupons-catch-up", "--days", "0")
