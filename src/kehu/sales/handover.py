"""The staff-leaves hand-over: a leaving member's open leads and open opportunities, the customers they own and
their open tasks go to named successors in one transaction, recorded in a ``HandOver`` row."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.validators import text_problem
from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.selectors import branch_ids_in_scope, staff_list

from . import selectors
from .models import OPEN_STATUSES, HandOver, Lead, LeadEvent
from .opportunities.services import opportunities_hand_over


def _hand_over_leads(*, actor: User, from_owner: User, to_owner: User) -> list[int]:
    leads = Lead.objects.visible_to(actor, "change").filter(owner=from_owner, status__in=OPEN_STATUSES)
    ids = list(leads.values_list("pk", flat=True))
    now = timezone.now()
    Lead.objects.filter(pk__in=ids).update(owner=to_owner, assigned_at=now, worked_at=now, version=F("version") + 1)
    LeadEvent.objects.bulk_create([LeadEvent(lead_id=pk, kind=LeadEvent.Kind.ASSIGNED, actor=actor, occurred_at=now,
                                             data={"owner": str(to_owner), "previous": str(from_owner),
                                                   "reason": "hand_over"}) for pk in ids], batch_size=2000)
    return ids


@transaction.atomic
def leads_hand_over(*, actor: User, from_owner: User, to_owner: User) -> int:
    """Move all open leads of a member of staff to another (recorded on each lead's timeline)."""
    if not selectors.may_assign(actor):
        raise PermissionDenied(_("Only managers assign leads to others."))
    if not staff_list(user=actor).filter(pk=to_owner.pk).exists() or to_owner.pk == from_owner.pk:
        raise ValidationError({"to_owner": [_("Choose an active member of staff in your branches.")]})
    return len(_hand_over_leads(actor=actor, from_owner=from_owner, to_owner=to_owner))


@transaction.atomic
def staff_hand_over(*, actor: User, leaving: User, leads_to: User, customers_to: User | None = None,
                    tasks_to: User | None = None, reason: str) -> HandOver:
    """A member of staff leaves: in one transaction their open leads and open opportunities (to ``leads_to``), the
    customers they own (the customers' transfer service: an ``OwnershipTransfer`` each, on the timeline) and their
    open tasks (``task_reassign``: the successor is notified) go to the named successors, and a ``HandOver`` row
    records what moved (ids kept, so it can be undone by hand). Only what the actor may change moves."""
    from kehu.customers.services import customer_transfer_all_from
    from kehu.work.models import Task
    from kehu.work.services import task_reassign

    if not selectors.may_assign(actor) or not actor.has_perm("customers.transfer_customer"):
        raise PermissionDenied(_("Only managers hand over a leaving member's work."))
    customers_to = customers_to or leads_to
    tasks_to = tasks_to or leads_to
    errors: dict[str, list[str]] = {}
    scope = staff_list(user=actor)
    for name, successor in (("leads_to", leads_to), ("customers_to", customers_to), ("tasks_to", tasks_to)):
        if successor.pk == leaving.pk or not scope.filter(pk=successor.pk).exists():
            errors[name] = [_("Choose an active member of staff in your branches.")]
    reason = (reason or "").strip()
    if not reason or text_problem(reason) or len(reason) > 200:
        errors["reason"] = [text_problem(reason) or _("Say why (at most 200 characters).")]
    ids = branch_ids_in_scope(actor)
    if ids is not None and not User.objects.filter(pk=leaving.pk, branches__in=ids).exists():
        errors["leaving"] = [_("Choose a member of staff in your branches.")]
    if errors:
        raise ValidationError(errors)
    lead_ids = _hand_over_leads(actor=actor, from_owner=leaving, to_owner=leads_to)
    opportunity_ids = opportunities_hand_over(actor=actor, from_owner=leaving, to_owner=leads_to)
    customer_ids = list(Customer.objects.visible_to(actor, "change").filter(owner=leaving)
                        .values_list("pk", flat=True))
    customer_transfer_all_from(from_owner=leaving, new_owner=customers_to, actor=actor, reason=reason)
    task_ids: list[int] = []
    # tasks outside the actor's scope stay: their own manager hands them over
    for task in Task.objects.visible_to(actor, "change").filter(owner=leaving, status=Task.Status.OPEN).order_by("pk"):
        task_reassign(actor=actor, task=task, owner=tasks_to)
        task_ids.append(task.pk)
    return HandOver.objects.create(leaving=leaving, leads_to=leads_to, customers_to=customers_to, tasks_to=tasks_to,
                                   reason=reason, lead_ids=lead_ids, customer_ids=customer_ids, task_ids=task_ids,
                                   opportunity_ids=opportunity_ids, actor=actor)
