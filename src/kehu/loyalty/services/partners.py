"""Alliance partners (联盟商家): their settings, and points exchanged out to a partner or in from one.

An exchange is one points entry (``exch_out`` / ``exch_in``) and one ``PartnerExchange`` row beside it, in one
transaction. The partner's row is locked first (then the member's account), so concurrent exchanges with one
partner queue there and its daily and monthly limits, summed under that lock, can never be overrun; the lock order
(partner, then account) is the same everywhere, so no deadlock."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.org.models import Branch, User

from ..models import Card, EntryKind, ExchangeDirection, Partner, PartnerExchange, PointsEntry, Programme
from ._base import POINTS_MAX, _check_points, _post, _usable_card
from .points import counter_store_id
from .programmes import programme_default

RATE_MAX = Decimal("1000000")
LIMIT_FIELDS = ("daily_limit_out", "monthly_limit_out", "daily_limit_in", "monthly_limit_in")


class PartnerLimitError(Exception):
    """An exchange past a partner's daily or monthly limit (HTTP 409 ``partner_limit``)."""

    def __init__(self, message: str, remaining: int) -> None:
        super().__init__(message)
        self.remaining = remaining


@transaction.atomic
def partner_save(*, actor: User, code: str, name: str, rate_out: Decimal, rate_in: Decimal, unit_value: Decimal,
                 limits: dict[str, int | None] | None = None, is_active: bool = True,
                 partner: Partner | None = None, programme: Programme | None = None,
                 expected_version: int | None = None) -> Partner:
    """Create or change an alliance partner (the group administrator: ``loyalty.change_partner``)."""
    from kehu.core.validators import text_problem

    if not actor.has_perm("loyalty.change_partner"):
        raise PermissionDenied(_("Only the group administrator manages alliance partners."))
    if partner is not None:
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if expected_version is not None and partner.version != expected_version:
            raise ConcurrentUpdateError(partner.version)
    problems: dict[str, list[str]] = {}
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or len(code) > 20 or not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        problems["code"] = [_("Give a code of 1 to 20 letters, digits, - or _.")]
    elif Partner.objects.filter(code=code).exclude(pk=partner.pk if partner else 0).exists():
        problems["code"] = [_("Another partner has this code.")]
    problem = text_problem(name) if name else _("Give a name.")
    if problem or len(name) > 100:
        problems["name"] = [problem or _("Give a name of at most 100 characters.")]
    for field, value in (("rate_out", rate_out), ("rate_in", rate_in), ("unit_value", unit_value)):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or value >= RATE_MAX \
                or (field != "unit_value" and value == 0):
            problems[field] = [_("Give a number above 0 and below 1,000,000.")]
    limits = limits or {}
    for field in LIMIT_FIELDS:
        limit = limits.get(field)
        if limit is not None and (isinstance(limit, bool) or not 0 < limit < POINTS_MAX):
            problems[field] = [_("Give a whole number of points from 1 to 999,999,999,999, or nothing.")]
    if problems:
        raise ValidationError(problems)
    partner = partner or Partner(programme=programme or programme_default())
    partner.code, partner.name, partner.is_active = code, name, is_active
    partner.rate_out, partner.rate_in = rate_out.quantize(Decimal("0.0001")), rate_in.quantize(Decimal("0.0001"))
    partner.unit_value = unit_value.quantize(Decimal("0.0001"))
    for field in LIMIT_FIELDS:
        setattr(partner, field, limits.get(field))
    if partner.pk:
        partner.version += 1
    partner.save()
    return partner


def _used(partner: Partner, direction: str, day: dt.date) -> tuple[int, int]:
    """Points exchanged with the partner in ``direction`` on ``day`` and in its calendar month."""
    rows = PartnerExchange.objects.filter(partner=partner, direction=direction)
    month = rows.filter(day__gte=day.replace(day=1), day__lte=day).aggregate(total=Sum("points"))["total"] or 0
    today = rows.filter(day=day).aggregate(total=Sum("points"))["total"] or 0
    return int(today), int(month)


def _check_limits(partner: Partner, direction: str, points: int, day: dt.date) -> None:
    today, month = _used(partner, direction, day)
    daily = partner.daily_limit_out if direction == ExchangeDirection.OUT else partner.daily_limit_in
    monthly = partner.monthly_limit_out if direction == ExchangeDirection.OUT else partner.monthly_limit_in
    if daily is not None and today + points > daily:
        raise PartnerLimitError(_("This exchange would pass the partner's daily limit of %(limit)s points "
                                  "(%(left)s left today).") % {"limit": daily, "left": max(daily - today, 0)},
                                max(daily - today, 0))
    if monthly is not None and month + points > monthly:
        raise PartnerLimitError(_("This exchange would pass the partner's monthly limit of %(limit)s points "
                                  "(%(left)s left this month).") % {"limit": monthly, "left": max(monthly - month, 0)},
                                max(monthly - month, 0))


def _locked_partner(partner: Partner, card: Card) -> Partner:
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if not locked.is_active:
        raise ValidationError({"partner": [_("This partner is not active.")]})
    if card.membership is not None and card.membership.programme_id != locked.programme_id:
        raise ValidationError({"partner": [_("This partner is not in the card's programme.")]})
    return locked


def _reference(reference: str | None) -> str | None:
    reference = (reference or "").strip() or None
    if reference is not None and (len(reference) > 64 or not reference.isprintable()):
        raise ValidationError({"reference": [_("Give a reference of at most 64 printable characters.")]})
    return reference


def _record(*, partner: Partner, direction: str, entry: PointsEntry, points: int, units: Decimal, rate: Decimal,
            reference: str | None, day: dt.date, branch_id: int | None, actor: User) -> PartnerExchange:
    try:
        with transaction.atomic():
            return PartnerExchange.objects.create(
                partner=partner, direction=direction, entry=entry, customer_id=entry.customer_id, points=points,
                units=units, rate=rate, value=(units * partner.unit_value).quantize(Decimal("0.01")),
                reference=reference, day=day, branch_id=branch_id, actor=actor, created_at=entry.created_at)
    except IntegrityError:
        raise ValidationError({"reference": [_("This partner reference has already been exchanged.")]}) from None


@transaction.atomic
def exchange_out(*, actor: User, card: Card, partner: Partner, points: int, reference: str | None = None,
                 branch: Branch | None = None) -> PartnerExchange:
    """Our member gives ``points`` for the partner's units (``points × rate_out``), within the partner's limits
    and the balance (:class:`InsufficientPointsError`, :class:`PartnerLimitError`)."""
    _check_points(points)
    reference = _reference(reference)
    if not actor.has_perm("loyalty.add_partnerexchange"):
        raise PermissionDenied(_("You do not have permission to do this."))
    locked = _locked_partner(partner, card)
    account = _usable_card(actor, card, "loyalty.add_partnerexchange")
    day = timezone.localdate()
    _check_limits(locked, ExchangeDirection.OUT, points, day)
    units = (Decimal(points) * locked.rate_out).quantize(Decimal("0.0001"))
    branch_id = branch.pk if branch else (counter_store_id(actor) or card.branch_id)
    entry = _post(account, kind=EntryKind.EXCHANGE_OUT, points=-points, actor=actor, card=card, branch_id=branch_id,
                  reason=_("Exchanged to %(partner)s") % {"partner": locked.name})
    return _record(partner=locked, direction=ExchangeDirection.OUT, entry=entry, points=points, units=units,
                   rate=locked.rate_out, reference=reference, day=day, branch_id=branch_id, actor=actor)


@transaction.atomic
def exchange_in(*, actor: User, card: Card, partner: Partner, units: Decimal, reference: str | None = None,
                branch: Branch | None = None) -> PartnerExchange:
    """The partner's ``units`` become our points (whole points of ``units × rate_in``) within its limits."""
    if not isinstance(units, Decimal) or not units.is_finite() or units <= 0 or units >= POINTS_MAX \
            or units != units.quantize(Decimal("0.0001")):
        raise ValidationError({"units": [_("Give a number of partner units above 0 with at most 4 decimals.")]})
    reference = _reference(reference)
    if not actor.has_perm("loyalty.add_partnerexchange"):
        raise PermissionDenied(_("You do not have permission to do this."))
    locked = _locked_partner(partner, card)
    points = int((units * locked.rate_in).to_integral_value(rounding=ROUND_FLOOR))
    if points <= 0:
        raise ValidationError({"units": [_("These units are worth less than one point.")]})
    _check_points(points, "units")
    account = _usable_card(actor, card, "loyalty.add_partnerexchange")
    day = timezone.localdate()
    _check_limits(locked, ExchangeDirection.IN, points, day)
    branch_id = branch.pk if branch else (counter_store_id(actor) or card.branch_id)
    entry = _post(account, kind=EntryKind.EXCHANGE_IN, points=points, actor=actor, card=card, branch_id=branch_id,
                  reason=_("Exchanged from %(partner)s") % {"partner": locked.name})
    return _record(partner=locked, direction=ExchangeDirection.IN, entry=entry, points=points, units=units,
                   rate=locked.rate_in, reference=reference, day=day, branch_id=branch_id, actor=actor)


def exchange_answer(exchange: PartnerExchange) -> dict[str, Any]:
    return {"partner": exchange.partner.code, "direction": exchange.direction, "points": exchange.points,
            "units": str(exchange.units), "points_balance": exchange.entry.balance_after, "entry_id": exchange.entry_id,
            "exchange_id": exchange.pk}
