"""Lost customers' writes: mark a customer lost (the lifecycle status through the customers app's service, a win-back
task, the timeline), won back (one customer, or set-based for every customer that bought again or is current)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.customers.models import Customer
from kehu.customers.models.choices import LifecycleStatus
from kehu.customers.services import customer_update
from kehu.customers.timeline import activity_record
from kehu.org.models import User

from ..models import LostReason, LostRecord

WIN_BACK_TASK_KIND = "win_back"
WIN_BACK_DUE_DAYS = 7
DETAILS_MAX = 2000
TIMELINE_KIND = "lost"


def _clean_details(details: str) -> str:
    text = (details or "").replace("\x00", "").strip()
    if len(text) > DETAILS_MAX:
        raise ValidationError({"details": [_("At most %(count)d characters.") % {"count": DETAILS_MAX}]})
    return text


@transaction.atomic
def customer_mark_lost(*, actor: User, customer: Customer, reason: str, details: str = "",
                       lost_at: dt.datetime | None = None) -> LostRecord:
    """Mark a customer lost: the reason and details are recorded, the lifecycle status becomes lost (through
    ``customers.services.customer_update``, which checks the actor may change the customer and records the change),
    a win-back task goes to the customer's owner (else the actor) and the timeline gets a ``lost`` row."""
    from kehu.work.services import task_create

    if not actor.has_perm("service.add_lostrecord"):
        raise PermissionDenied(_("You may not mark customers lost."))
    if reason not in LostReason.values:
        raise ValidationError({"reason": [_("Choose one of the reasons.")]})
    text = _clean_details(details)
    now = timezone.now()
    lost_at = lost_at or now
    if lost_at > now + dt.timedelta(minutes=5) or lost_at.year < 2000:
        raise ValidationError({"lost_at": [_("Enter a date between 2000 and today.")]})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if LostRecord.objects.filter(customer_id=locked.pk, won_back_at__isnull=True).exists():
        raise ValidationError({"customer": [_("This customer is already marked lost.")]})
    label = str(LostReason(reason).label)
    customer = customer_update(customer=locked, actor=actor, lifecycle_status=LifecycleStatus.LOST,
                               reason=f"{gettext_noop('Marked lost')}: {label}"[:100])
    tier = getattr(getattr(customer, "primary_tier", None), "tier", "") if _has_tier(customer) else ""
    record = LostRecord.objects.create(customer=customer, reason=reason, details=text, lost_at=lost_at,
                                       marked_by=actor, branch_id=customer.branch_id, tier=tier)
    owner = customer.owner if customer.owner is not None and customer.owner.is_active else actor
    task_create(actor=None, title=_("Win back %(name)s") % {"name": customer.name}, owner=owner,
                due_date=timezone.localdate() + dt.timedelta(days=WIN_BACK_DUE_DAYS), kind=WIN_BACK_TASK_KIND,
                customer=customer, notes=f"{label}: {text}" if text else label, source=record)
    activity_record(customer=customer, kind=TIMELINE_KIND, occurred_at=lost_at, actor=actor, subject=record,
                    data={"reason": reason, "details": text[:200]})
    return record


def _has_tier(customer: Customer) -> bool:
    from kehu.customers.models import CustomerTier

    try:
        customer.primary_tier  # noqa: B018
    except CustomerTier.DoesNotExist:
        return False
    return True


@transaction.atomic
def customer_won_back(*, actor: User | None, customer: Customer, by: str = LostRecord.WonBackBy.STATUS,
                      at: dt.datetime | None = None) -> LostRecord | None:
    """Close the customer's open lost record as won back (None when it has none)."""
    record = LostRecord.objects.select_for_update().filter(customer_id=customer.pk, won_back_at__isnull=True).first()
    if record is None:
        return None
    record.won_back_at = at or timezone.now()
    record.won_back_by = by
    record.save(update_fields=["won_back_at", "won_back_by"])
    activity_record(customer=customer, kind=TIMELINE_KIND, occurred_at=record.won_back_at, actor=actor,
                    subject=record, data={"won_back": by})
    return record


def lost_won_back_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: the open lost records whose customer bought after being marked lost (won back by purchase, at
    the first such purchase) or whose lifecycle status is current again (won back at the check). Set-based: two
    UPDATEs whatever the number of records."""
    from kehu.purchases.models import Transaction

    now = now or timezone.now()
    after = Transaction.objects.filter(customer_id=OuterRef("customer_id"), occurred_at__gt=OuterRef("lost_at"))
    first_purchase = after.order_by().values("customer_id").annotate(first=Min("occurred_at")).values("first")[:1]
    with transaction.atomic():
        by_purchase = LostRecord.objects.filter(won_back_at__isnull=True).filter(
            Exists(after)
        ).update(won_back_at=Subquery(first_purchase), won_back_by=LostRecord.WonBackBy.PURCHASE)
        by_status = LostRecord.objects.filter(won_back_at__isnull=True).filter(
            Exists(Customer.objects.filter(pk=OuterRef("customer_id"), lifecycle_status=LifecycleStatus.CURRENT))
        ).update(won_back_at=now, won_back_by=LostRecord.WonBackBy.STATUS)
    return {"by_purchase": by_purchase, "by_status": by_status}


def lost_records_bulk_create(rows: list[LostRecord], *, batch_size: int = 2000) -> int:
    """The demo's writer: many records in few INSERTs (the caller sets the customers' status itself, in bulk)."""
    return len(LostRecord.objects.bulk_create(rows, batch_size=batch_size))


