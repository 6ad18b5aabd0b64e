"""The coupon expiry job (beat ``loyalty-coupons-expire``; the task is registered when ``LoyaltyConfig.ready``
imports this module)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.loyalty.coupons.tasks.coupons_expire_task")
def coupons_expire_task() -> int:
    """Mark issued coupons past their end expired (idempotent)."""
    from .services import coupons_expire

    return coupons_expire()
