"""Programmes, levels and memberships."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.models import User

from ..models import (
    Level,
    Membership,
    PointsAccount,
    Programme,
)
from ._base import (
    DEFAULT_PROGRAMME_CODE,
)


def programme_default() -> Programme:
    """The default programme, created with one entry level on first use: 1 point per whole yuan."""
    programme = Programme.objects.filter(is_default=True).first()
    if programme is not None:
        return programme
    try:
        with transaction.atomic():
            programme = Programme.objects.create(code=DEFAULT_PROGRAMME_CODE, name="会员计划", is_default=True,
                                                 points_per_yuan=Decimal("1"))
            Level.objects.create(programme=programme, code="STANDARD", name="普卡", rank=0)
    except IntegrityError:  # a concurrent first use created it
        programme = Programme.objects.get(is_default=True)
    return programme


@transaction.atomic
def level_save(*, actor: User, programme: Programme, code: str, name: str, rank: int,
               min_spend: Decimal = Decimal("0"), min_points: int = 0, multiplier: Decimal = Decimal("1"),
               discount_percent: Decimal = Decimal("0"), service_priority: int = 0) -> Level:
    """Create or change (by ``code``) a level of a programme (administrators)."""
    if not actor.has_perm("loyalty.change_programme"):
        raise PermissionDenied(_("You do not have permission to configure loyalty programmes."))
    level = Level.objects.filter(programme=programme, code=code).first() or Level(programme=programme, code=code)
    level.name, level.rank, level.min_spend, level.min_points = name, rank, min_spend, min_points
    level.multiplier, level.discount_percent, level.service_priority = multiplier, discount_percent, service_priority
    level.full_clean()
    level.save()
    return level


def _entry_level(programme: Programme) -> Level | None:
    return Level.objects.filter(programme=programme).order_by("rank").first()


def membership_ensure(*, customer: Customer, programme: Programme) -> Membership:
    """The customer's membership of ``programme`` with its points account, created at the entry level if new."""
    membership = Membership.objects.filter(customer=customer, programme=programme, closed_at__isnull=True).first()
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(customer=customer, programme=programme,
                                                       level=_entry_level(programme), level_since=timezone.localdate())
                PointsAccount.objects.create(membership=membership, customer=customer)
        except IntegrityError:
            membership = Membership.objects.get(customer=customer, programme=programme, closed_at__isnull=True)
    return membership
