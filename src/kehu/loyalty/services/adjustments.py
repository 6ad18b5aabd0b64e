"""Manual points adjustments through the shared approvals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.org.models import User

from ..models import (
    AdjustmentStatus,
    EntryKind,
    PointsAccount,
    PointsAdjustment,
)
from ._base import (
    POINTS_MAX,
    InsufficientPointsError,
    _check_customer,
    _post,
)


@transaction.atomic
def points_adjustment_request(*, actor: User, account: PointsAccount, points: int, reason: str) -> PointsAdjustment:
    """Ask for a manual adjustment (positive or negative) with a reason; it is posted once approved
    (``work`` approval kind ``points_adjustment``, authority in points)."""
    from kehu.core.validators import text_problem
    from kehu.work.services import approval_submit

    customer = account.customer
    _check_customer(actor, customer, "loyalty.add_pointsadjustment")
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) >= POINTS_MAX:
        raise ValidationError({"points": [_("Give a whole number of points other than 0, below 1,000,000,000,000 "
                                            "either way.")]})
    reason = (reason or "").strip()
    problem = text_problem(reason) if reason else None
    if not reason or problem or len(reason) > 200:
        raise ValidationError({"reason": [problem or _("Give a reason of at most 200 characters.")]})
    adjustment = PointsAdjustment.objects.create(account=account, customer=customer, points=points, reason=reason,
                                                 requested_by=actor)
    approval_submit(actor=actor, kind="points_adjustment", subject=adjustment,
                    title=_("Points adjustment of %(points)+d for %(customer)s")
                    % {"points": points, "customer": customer.name},
                    amount=Decimal(abs(points)), customer=customer, comment=reason)
    return adjustment


def on_adjustment_decided(*, approval: Any, action: str) -> None:
    """``work`` calls this in the decision's transaction: post the entry when approved."""
    adjustment = PointsAdjustment.objects.select_for_update().get(pk=approval.subject_id)
    if adjustment.status != AdjustmentStatus.PENDING:
        return
    if action == "approved":
        account = PointsAccount.objects.select_for_update().get(pk=adjustment.account_id)
        try:
            entry = _post(account, kind=EntryKind.ADJUST, points=adjustment.points, actor=approval.decided_by,
                          reason=adjustment.reason)
        except InsufficientPointsError as error:
            raise ValidationError({"points": [str(error)]}) from None
        adjustment.entry = entry
        adjustment.status = AdjustmentStatus.APPROVED
    elif action == "rejected":
        adjustment.status = AdjustmentStatus.REJECTED
    else:  # withdrawn: it may be submitted again
        return
    adjustment.save(update_fields=["status", "entry"])
