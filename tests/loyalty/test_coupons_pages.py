"""The coupon pages in both languages: batches (list, create, issue), a batch's coupons with search, the counter's
check and use, void and reissue behind a confirmation, the coupons section of the member and counter pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.loyalty.coupons.models import Coupon, CouponBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(users, org):
    from kehu.loyalty.coupons.services import batch_create

    now = timezone.now()
    return batch_create(actor=users["branch_manager"], name="周年庆满减", kind="amount", value=30, branch=org["east"],
                        valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=10))


def test_create_and_issue_a_batch_through_the_pages(client, users, org, customers):
    client.force_login(users["branch_manager"])
    for language, word in (("en", "New coupon batch"), ("zh-hans", "新建券批次")):
        page = client.get("/loyalty/coupons/new/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200 and word in page.content.decode()
    today = timezone.localdate()
    bad = client.post("/loyalty/coupons/new/", {"name": "九折", "kind": "percent", "value": "150",
                                                 "valid_from": today, "valid_until": today, "branch": org["east"].pk,
                                                 "per_customer": 1})
    assert bad.status_code == 200 and not CouponBatch.objects.exists()
    created = client.post("/loyalty/coupons/new/", {
        "name": "九折", "kind": "percent", "value": "10", "max_discount": "50", "valid_from": today,
        "valid_until": today + dt.timedelta(days=7), "branch": org["east"].pk, "stores": [org["sh1"].pk],
        "per_customer": 1})
    batch = CouponBatch.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/loyalty/coupons/{batch.pk}/"
    assert list(batch.stores.all()) == [org["sh1"]]
    codes = f"{customers['mine'].code}, {customers['colleague'].code}"
    client.post(f"/loyalty/coupons/{batch.pk}/issue/", {"customers": codes})
    assert Coupon.objects.filter(batch=batch).count() == 2
    client.post(f"/loyalty/coupons/{batch.pk}/issue/", {"customers": customers["beijing"].code})
    assert Coupon.objects.filter(batch=batch).count() == 2  # out of scope: refused
    listing = client.get("/loyalty/coupons/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert listing.status_code == 200 and "九折" in listing.content.decode()
    code = Coupon.objects.filter(customer=customers["mine"]).get().code
    found = client.get(f"/loyalty/coupons/{batch.pk}/", {"q": code}, HTTP_ACCEPT_LANGUAGE="en")
    assert code in found.content.decode() and customers["colleague"].name not in found.content.decode()
    by_name = client.get(f"/loyalty/coupons/{batch.pk}/", {"q": "王二", "status": "issued"})
    assert customers["colleague"].name in by_name.content.decode()
    assert client.get(f"/loyalty/coupons/{batch.pk}/", {"q": "\x00"}).status_code == 400  # the NUL guard


def test_check_and_use_at_the_counter(client, users, batch, customers):
    from kehu.loyalty.coupons.services import batch_issue
    from kehu.loyalty.services import card_issue

    card = card_issue(actor=users["account_manager"], customer=customers["mine"])
    batch_issue(actor=users["branch_manager"], batch=batch, customer_ids=[customers["mine"].pk])
    code = Coupon.objects.get(batch=batch).code
    client.force_login(users["service_agent"])
    member = client.get(f"/loyalty/members/{card.membership_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "电子券" in member.content.decode() and code in member.content.decode()
    counter = client.get("/loyalty/", {"q": card.number}, HTTP_ACCEPT_LANGUAGE="en")
    assert code in counter.content.decode() and "Check a coupon" in counter.content.decode()
    for language, word in (("en", "Use the coupon"), ("zh-hans", "使用此券")):
        checked = client.get("/loyalty/coupons/check/", {"code": code.lower()}, HTTP_ACCEPT_LANGUAGE=language)
        assert checked.status_code == 200 and word in checked.content.decode()
    unknown = client.get("/loyalty/coupons/check/", {"code": "ZZZZZZZZZZZZZ"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "No coupon has this code" in unknown.content.decode()
    client.post(f"/loyalty/coupons/c/{code}/use/", {"order_ref": "POS-9", "amount": "100"})
    coupon = Coupon.objects.get(code=code)
    assert coupon.status == "used" and coupon.order_ref == "POS-9"
    again = client.post(f"/loyalty/coupons/c/{code}/use/", {"order_ref": "POS-10"}, follow=True,
                        HTTP_ACCEPT_LANGUAGE="en")
    assert "already been used" in again.content.decode()
    assert Coupon.objects.get(code=code).order_ref == "POS-9"
    client.force_login(users["bj_account_manager"])
    assert client.post(f"/loyalty/coupons/c/{code}/use/", {}).status_code == 404


def test_void_and_reissue_ask_first(client, users, batch, customers):
    from kehu.loyalty.coupons.services import batch_issue

    batch_issue(actor=users["branch_manager"], batch=batch,
                customer_ids=[customers["mine"].pk, customers["colleague"].pk])
    first, second = Coupon.objects.filter(batch=batch).order_by("id")
    client.force_login(users["branch_manager"])
    confirm = client.get(f"/loyalty/coupons/c/{first.code}/reissue/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert confirm.status_code == 200 and "确认" in confirm.content.decode()
    assert Coupon.objects.get(pk=first.pk).status == "issued"
    client.post(f"/loyalty/coupons/c/{first.code}/reissue/", {"reason": ""})
    assert Coupon.objects.get(pk=first.pk).status == "issued"  # a reason is required
    client.post(f"/loyalty/coupons/c/{first.code}/reissue/", {"reason": "短信丢失"})
    old = Coupon.objects.get(pk=first.pk)
    assert old.status == "voided" and old.replaced_by is not None and old.replaced_by.status == "issued"
    client.post(f"/loyalty/coupons/c/{second.code}/void/", {"reason": "误发"})
    assert Coupon.objects.get(pk=second.pk).status == "voided"
    assert client.get(f"/loyalty/coupons/c/{second.code}/delete/").status_code == 404
    client.force_login(users["service_agent"])
    assert client.get(f"/loyalty/coupons/c/{old.replaced_by.code}/void/").status_code == 403
