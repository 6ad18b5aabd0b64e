"""Closing and reopening a month's settlement statements (kept as they were; reopening is recorded)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.validators import text_problem
from kehu.org.models import User

from .. import settlement
from ..models import SettlementClose


def settlement_close(*, actor: User, period: str) -> SettlementClose:
    """Keep ``period``'s statements between stores and with partners as they are now (computed for the whole
    group); from then on they are shown as kept. A month not yet over, or one already closed, is refused."""
    if not actor.has_perm("loyalty.close_settlement"):
        raise PermissionDenied(_("You do not have permission to do this."))
    _start, end = settlement.period_bounds(period)
    if end > timezone.now():
        raise ValidationError({"period": [_("A month can be closed once it is over.")]})
    with transaction.atomic():
        stores = settlement.store_settlement(period=period)
        kept_stores, kept_partners = settlement.kept_form(stores, settlement.partner_settlement(period=period))
        try:
            with transaction.atomic():
                return SettlementClose.objects.create(period=period, stores=kept_stores, partners=kept_partners,
                                                      closed_by=actor)
        except IntegrityError:
            raise ValidationError({"period": [_("This month is already closed.")]}) from None


def settlement_reopen(*, actor: User, period: str, reason: str) -> SettlementClose:
    """Reopen a closed month (its own permission; the reason, who and when are recorded on the closing, which
    stays as history): its statements are computed from the ledger again."""
    if not actor.has_perm("loyalty.reopen_settlement"):
        raise PermissionDenied(_("You do not have permission to do this."))
    settlement.period_bounds(period)
    reason = (reason or "").strip()
    problem = text_problem(reason) if reason else _("Give the reason for reopening.")
    if problem or len(reason) > 200:
        raise ValidationError({"reason": [problem or _("Give the reason in at most 200 characters.")]})
    with transaction.atomic():
        closing = SettlementClose.objects.select_for_update().filter(period=period, reopened_at__isnull=True).first()
        if closing is None:
            raise ValidationError({"period": [_("This month is not closed.")]})
        closing.reopened_at, closing.reopened_by, closing.reopen_reason = timezone.now(), actor, reason
        closing.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        return closing
