"""Service recovery: compensation or goodwill recorded with its cost and approved through the shared approvals
(kind ``service_compensation``, amount = cost)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.models import User

from ..models import Compensation, Ticket

APPROVAL_KIND = "service_compensation"
MAX_COST = Decimal("9999999999.99")


@transaction.atomic
def compensation_request(*, actor: User, ticket: Ticket, kind: str, cost: Decimal | str, description: str = ""
                         ) -> Compensation:
    """Record a compensation for a ticket's customer and submit it for approval."""
    from kehu.work.services import approval_submit

    if not actor.has_perm("service.add_compensation"):
        raise PermissionDenied(_("You may not offer compensation."))
    if not Ticket.objects.visible_to(actor, "change").filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You may not change this ticket."))
    if kind not in Compensation.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of compensation.")})
    try:
        amount = Decimal(str(cost)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"cost": _("Enter the cost as an amount.")}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_COST:
        raise ValidationError({"cost": _("Enter a cost from 0 to 9,999,999,999.99.")})
    description = (description or "").replace("\x00", "").strip()[:500]
    compensation = Compensation.objects.create(ticket=ticket, kind=kind, cost=amount, description=description,
                                               requested_by=actor)
    title = _("%(kind)s for ticket %(number)s") % {"kind": compensation.get_kind_display(), "number": ticket.number}
    approval_submit(actor=actor, kind=APPROVAL_KIND, subject=compensation, title=title[:200], amount=amount,
                    customer=ticket.customer, branch=ticket.branch, comment=description)
    return compensation


def compensation_on_decided(*, approval, action: str) -> None:
    """``work``'s callback in the decision's transaction."""
    status = {"approved": Compensation.Status.APPROVED, "rejected": Compensation.Status.REJECTED,
              "withdrawn": Compensation.Status.WITHDRAWN}.get(action, Compensation.Status.PENDING)
    Compensation.objects.filter(pk=approval.subject_id).update(status=status, decided_at=timezone.now())


def compensation_url(approval) -> str:
    from django.urls import reverse

    ticket_id = Compensation.objects.filter(pk=approval.subject_id).values_list("ticket_id", flat=True).first()
    return reverse("service:ticket", args=[ticket_id]) if ticket_id else ""
