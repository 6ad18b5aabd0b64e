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


@pytest.mark.django_db
def test_demo_has_coupon_batches_uses_within_their_window_reissues_and_expired_coupons():
    from django.utils import timezone

    from kehu.loyalty.coupons.models import Coupon, CouponBatch, CouponStatus
    from kehu.org.models import User

    run_demo()
    now = timezone.now()
    batches = list(CouponBatch.objects.prefetch_related("stores"))
    assert 4 <= len(batches) <= 6
    assert {b.kind for b in batches} == {"amount", "percent", "gift"}
    assert any(b.valid_until > now for b in batches) and any(b.valid_until <= now for b in batches)
    assert any(b.stores.exists() for b in batches)
    assert all(b.issued_count == b.coupons.filter(replaces__isnull=True).count() for b in batches)
    used = Coupon.objects.filter(status=CouponStatus.USED).select_related("batch", "used_branch")
    assert used.exists()
    for coupon in used:
        assert coupon.batch.valid_from <= coupon.issued_at < coupon.used_at <= min(coupon.batch.valid_until, now)
        assert coupon.transaction_id and coupon.order_ref and coupon.used_branch is not None
        paths = [store.path for store in coupon.batch.stores.all()]
        assert not paths or any(coupon.used_branch.path.startswith(path) for path in paths)
    reissued = Coupon.objects.filter(status=CouponStatus.VOIDED, replaced_by__isnull=False).select_related(
        "replaced_by")
    assert reissued.exists()
    assert all(old.replaced_by.customer_id == old.customer_id and old.replaced_by.batch_id == old.batch_id
               for old in reissued)
    assert Coupon.objects.filter(status=CouponStatus.VOIDED, replaced_by__isnull=True).exists()
    expired = Coupon.objects.filter(status=CouponStatus.EXPIRED)
    assert expired.exists() and not expired.filter(expires_at__gt=now).exists()
    assert not Coupon.objects.filter(status=CouponStatus.ISSUED, expires_at__lte=now).exists()
    counts = (CouponBatch.objects.count(), Coupon.objects.count())
    run_demo()  # the demo again adds nothing, nor does the coupon step run on its own again
    from kehu.loyalty.coupons.demo import load_coupon_demo

    assert load_coupon_demo(customers=[], users={"admin": User.objects.get(username="admin")}, seed=7) == 0
    assert (CouponBatch.objects.count(), Coupon.objects.count()) == counts
