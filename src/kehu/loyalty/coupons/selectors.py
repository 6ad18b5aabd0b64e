"""Reads of coupons, scoped: a coupon of a customer is seen by whoever sees the customer; a coupon held by no one,
and a batch, by the staff of the branch that issued the batch, the branches below it and above it (a group's batch is
seen in every store). Anything else is "not found" (404), never "forbidden"."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import branch_ids_in_scope

from .codes import code_normalise
from .models import Coupon, CouponBatch


def _batch_branch_ids(user: User) -> list[int] | None:
    """The branches whose batches the user sees: their scope and the branches above their own (None: all)."""
    ids = branch_ids_in_scope(user)
    if ids is None:
        return None
    above = {int(part) for branch in user.branches.all() for part in branch.path.strip("/").split("/") if part}
    return sorted(set(ids) | above)


def batch_list(*, user: User, q: str = "") -> QuerySet[CouponBatch]:
    if not user.has_perm("loyalty.view_couponbatch"):
        return CouponBatch.objects.none()
    batches = CouponBatch.objects.select_related("branch", "rule_level")
    ids = _batch_branch_ids(user)
    if ids is not None:
        batches = batches.filter(branch_id__in=ids)
    if q:
        batches = batches.filter(name__icontains=q)
    return batches.order_by("-created_at", "-id")


def batch_get(*, user: User, pk: int) -> CouponBatch:
    return batch_list(user=user).get(pk=pk)


def coupon_list(*, user: User, batch_id: int | None = None, customer_id: int | None = None, status: str = "",
                q: str = "") -> QuerySet[Coupon]:
    if not user.has_perm("loyalty.view_coupon"):
        return Coupon.objects.none()
    visible = Q(customer__in=Customer.objects.visible_to(user))
    ids = _batch_branch_ids(user)
    visible |= Q(customer__isnull=True) if ids is None else Q(customer__isnull=True, batch__branch_id__in=ids)
    coupons = Coupon.objects.filter(visible).select_related("batch", "customer", "used_branch", "replaced_by")
    if batch_id is not None:
        coupons = coupons.filter(batch_id=batch_id)
    if customer_id is not None:
        coupons = coupons.filter(customer_id=customer_id)
    if status:
        coupons = coupons.filter(status=status)
    if q:
        code = code_normalise(q)
        coupons = coupons.filter(code=code) if code else coupons.filter(
            Q(customer__name__startswith=q) | Q(customer__code=q) | Q(order_ref=q))
    return coupons.order_by("-issued_at", "-id")


def coupon_get(*, user: User, code: str) -> Coupon:
    """A coupon by its code as typed (normalised; a malformed code or a failing check character is not found)."""
    normalised = code_normalise(code)
    if normalised is None:
        raise Coupon.DoesNotExist
    return coupon_list(user=user).prefetch_related("batch__stores").get(code=normalised)


def customer_coupons(*, user: User, customer_id: int, limit: int = 20) -> list[Coupon]:
    """The newest coupons of one customer (the member and counter pages)."""
    return list(coupon_list(user=user, customer_id=customer_id)[:limit])
