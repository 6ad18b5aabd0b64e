"""Points expire first in first out, with notice ahead (``kehu loyalty expire``)."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from kehu.loyalty.models import PointsAccount, PointsEntry, Programme
from kehu.loyalty.services import reconcile


def _entry(account, points: int, days_ago: int, kind: str = "earn") -> None:
    account.balance += points
    PointsEntry.objects.create(account=account, customer_id=account.customer_id, kind=kind, points=points,
                               balance_after=account.balance,
                               created_at=timezone.now() - dt.timedelta(days=days_ago))
    PointsAccount.objects.filter(pk=account.pk).update(balance=account.balance)


def test_oldest_points_expire_first_and_owners_are_told_ahead(member, users):
    from kehu.work.models import Notification

    Programme.objects.filter(pk=member.membership.programme_id).update(expiry_days=365)
    account = PointsAccount.objects.get(membership_id=member.membership_id)
    _entry(account, 100, 500)  # old: expires
    _entry(account, 50, 400)  # old: expires
    _entry(account, -120, 300, kind="redeem")  # used the 100 and 20 of the 50 (first in first out)
    _entry(account, 70, 350)  # expires within 30 days → notice
    _entry(account, 40, 10)  # young
    call_command("loyalty", "expire", "--notice-days", "30")
    account.refresh_from_db()
    expired = PointsEntry.objects.get(kind="expire")
    assert expired.points == -30  # the 30 left of the 50; the 100 were redeemed
    assert account.balance == 110
    assert Notification.objects.filter(recipient=users["account_manager"], kind="loyalty_points_expiring").exists()
    call_command("loyalty", "expire")  # again: nothing more
    assert PointsEntry.objects.filter(kind="expire").count() == 1
    later = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    call_command("loyalty", "expire", "--as-of", later)  # the 70 of 350 days ago are now over a year old
    account.refresh_from_db()
    assert account.balance == 40
    assert reconcile() == []


def test_no_expiry_without_a_programme_setting(member):
    account = PointsAccount.objects.get(membership_id=member.membership_id)
    _entry(account, 100, 2000)
    call_command("loyalty", "expire")
    assert not PointsEntry.objects.filter(kind="expire").exists()
