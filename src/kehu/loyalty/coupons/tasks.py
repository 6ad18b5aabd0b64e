"""The coupon jobs (beat ``loyalty-coupons-expire`` and ``loyalty-coupons-catch-up``; the tasks are registered when
``LoyaltyConfig.ready`` imports this module)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.loyalty.coupons.tasks.coupons_expire_task")
def coupons_expire_task() -> int:
    """Mark issued coupons past their end expired (idempotent)."""
    from .services import coupons_expire

    return coupons_expire()


@shared_task(name="kehu.loyalty.coupons.tasks.coupons_catch_up_task")
def coupons_catch_up_task(days: int = 7) -> int:
    """Issue the coupons purchases of the last ``days`` days earned but did not get (the purchases listener
    failed); exactly once per purchase and batch, safe to run twice."""
    from .services import coupons_catch_up

    return coupons_catch_up(days=days)
