"""Demo data of coupons: five batches over the past year (two running, three expired, one valid in one store only),
issued by the real services to a few hundred members, a share used at stores on their purchases, a few voided and
reissued, and the past ones marked by the expiry service. A registered demo step (``loyalty-coupons``).

The services write "now"; the demo opens each batch around now, issues, uses, voids and reissues through them, then
moves the batch's window and its coupons' dates back to where they belong (a use on its purchase's date, within the
window) and lets :func:`~kehu.loyalty.coupons.services.coupons_expire` mark what ended."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import timezone

# name, kind, value, cap, gift, days ago it started, days it lasts, one store only, members it goes to
BATCHES = [
    ("春节满减券", "amount", Decimal("30"), None, "", 320, 45, False, 250),
    ("会员日九折券", "percent", Decimal("10"), Decimal("50"), "", 210, 90, False, 250),
    ("生日礼品券", "gift", Decimal("0"), None, "生日蛋糕一份", 340, 400, False, 150),
    ("开业满减券", "amount", Decimal("20"), None, "", 130, 60, True, 100),
    ("周年庆满减券", "amount", Decimal("50"), None, "", 20, 40, False, 200),
]
USE_SHARE = 0.35


def load_coupon_demo(*, customers: list[Any], users: dict[str, Any], seed: int) -> int:
    """The coupon batches and coupons (see the module docstring); returns the number of coupons issued."""
    from kehu.loyalty.models import Membership
    from kehu.org.models import Branch
    from kehu.purchases.models import Transaction

    from . import services
    from .models import Coupon, CouponBatch

    actor = users.get("admin") if isinstance(users, dict) else None
    if actor is None or CouponBatch.objects.filter(name=BATCHES[0][0]).exists():
        return 0  # no staff to issue them, or loaded already
    rng = random.Random(seed * 7919 + 16)
    now = timezone.now()
    group = Branch.objects.filter(parent__isnull=True).order_by("path").first()
    stores = list(Branch.objects.filter(kind=Branch.Kind.STORE, is_active=True).order_by("path"))
    members = list(Membership.objects.filter(closed_at__isnull=True).order_by("customer_id")
                   .values_list("customer_id", flat=True))
    if group is None or not stores or not members:
        return 0
    store = stores[0]
    since = now - dt.timedelta(days=365)
    purchases: dict[int, list[tuple[int, Decimal, dt.datetime, int]]] = {}
    for pk, customer_id, amount, occurred_at, branch_id in (
            Transaction.objects.filter(customer_id__in=members, occurred_at__gte=since, amount__gt=0)
            .order_by("occurred_at", "id").values_list("id", "customer_id", "amount", "occurred_at", "branch_id")
            .iterator(chunk_size=5000)):
        purchases.setdefault(customer_id, []).append((pk, amount, occurred_at, branch_id))
    store_by_id = {s.pk: s for s in stores}
    issued = 0
    for name, kind, value, cap, gift, ago, days, one_store, count in BATCHES:
        start = now - dt.timedelta(days=ago)
        end = start + dt.timedelta(days=days)
        batch_name = f"{store.name}·{name}" if one_store else name
        if one_store:
            pool = [c for c in members if any(p[3] == store.pk for p in purchases.get(c, ()))]
        else:
            pool = members
        chosen = sorted(rng.sample(pool, min(count, len(pool))))
        if not chosen:
            continue  # a small demo may have no member who bought in that store
        batch = services.batch_create(
            actor=actor, name=batch_name, kind=kind, value=value, max_discount=cap, gift=gift,
            valid_from=now - dt.timedelta(minutes=1), valid_until=now + dt.timedelta(days=1),
            branch=store if one_store else group, stores=[store] if one_store else ())
        issued += services.batch_issue(actor=actor, batch=batch, customer_ids=chosen)["issued"]
        prefetch_related_objects([batch], "stores")  # one batch (and its stores) for all its coupons
        coupons = list(Coupon.objects.filter(batch=batch).order_by("pk"))
        for coupon in coupons:
            coupon.batch = batch
        dates: dict[int, dict[str, dt.datetime]] = {}
        opens = start + dt.timedelta(hours=9)
        for coupon in coupons:
            dates[coupon.pk] = {"issued_at": opens + dt.timedelta(minutes=rng.randint(0, 600))}
        # uses: on a purchase of the holder within the window (at the batch's store when it has one)
        unused = []
        for number, coupon in enumerate(coupons):
            fits = [p for p in purchases.get(coupon.customer_id or 0, ())
                    if dates[coupon.pk]["issued_at"] < p[2] < min(end, now) and (not one_store or p[3] == store.pk)
                    and p[3] in store_by_id]
            if fits and rng.random() < USE_SHARE / 0.6:
                pk, amount, occurred_at, branch_id = rng.choice(fits)
                services.coupon_use(actor=actor, coupon=coupon, store=store_by_id[branch_id], transaction_id=pk,
                                    amount=amount, order_ref=f"DEMO-{batch.pk}-{number}")
                dates[coupon.pk]["used_at"] = occurred_at
            else:
                unused.append(coupon)
        # a few voided for good, a few reissued (lost, shared): the new code from the day of the reissue
        for coupon in unused[:2]:
            services.coupon_void(actor=actor, coupon=coupon, reason="顾客退会，作废")
            dates[coupon.pk]["voided_at"] = dates[coupon.pk]["issued_at"] + dt.timedelta(days=3)
        for coupon in unused[2:5]:
            new = services.coupon_reissue(actor=actor, coupon=coupon, reason="顾客遗失，补发新券")
            voided = dates[coupon.pk]["issued_at"] + dt.timedelta(days=rng.randint(1, 10))
            dates[coupon.pk]["voided_at"] = voided
            dates[new.pk] = {"issued_at": voided}
        # back to where they belong
        CouponBatch.objects.filter(pk=batch.pk).update(valid_from=start, valid_until=end)
        _move(Coupon, end, now, dates)
    services.coupons_expire(now=now)
    return issued


def _move(model: Any, end: dt.datetime, now: dt.datetime, dates: dict[int, dict[str, dt.datetime]]) -> None:
    """Each coupon's dates set back, one statement run for all rows (``bulk_update``'s CASE per field is slow)."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(model._meta.db_table)
    rows = [(adapt(min(d["issued_at"], now)), adapt(min(d["used_at"], now)) if "used_at" in d else None,
             adapt(min(d["voided_at"], now)) if "voided_at" in d else None, adapt(end), pk)
            for pk, d in dates.items()]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET issued_at = %s, used_at = COALESCE(%s, used_at), "  # noqa: S608
                           "voided_at = COALESCE(%s, voided_at), expires_at = %s WHERE id = %s", rows)
