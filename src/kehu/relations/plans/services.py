"""Writes of maintenance plans, events and gifts. Every write checks the actor's scope (another branch's records
do not exist: ``DoesNotExist``, a 404), validates, and runs in one transaction with its timeline rows.

A plan is approved through ``kehu.work`` approvals (kind ``maintenance_plan``, amount = the budget):
``plan_on_decided`` runs in the decision's transaction and turns the plan's actions into tasks on approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core import validators
from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record_bulk
from kehu.org.models import Branch, User
from kehu.org.selectors import branch_ids_in_scope, staff_list, user_is_read_only
from kehu.work.exceptions import RecordChangedError
from kehu.work.models import Approval

from ..models import (
    ContactChannel,
    ContactRecord,
    Direction,
    Event,
    EventInvitee,
    EventKind,
    Gift,
    GiftOccasion,
    InvitationStatus,
    MaintenancePlan,
    PlanAction,
    PlanCustomer,
    PlanStatus,
)
from .selectors import customers_for_plans

APPROVAL_KIND = "maintenance_plan"
TITLE_MAX = 200
TEXT_MAX = 5000
MONEY_MAX = Decimal("999999999999.99")
CUSTOMERS_PER_PLAN = 500
ACTIONS_PER_PLAN = 100
INVITES_PER_CALL = 5000
EDITABLE = (PlanStatus.DRAFT, PlanStatus.REJECTED)
RUNNING = (PlanStatus.APPROVED, PlanStatus.IN_PROGRESS)


# --- checks ---------------------------------------------------------------------------------------------------------


def _text(errors: dict[str, list[str]], name: str, value: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(_("At most %(limit)d characters.") % {"limit": limit})
    else:
        problem = validators.text_problem(value)
        if problem:
            errors.setdefault(name, []).append(problem)
    return value


def _money(errors: dict[str, list[str]], name: str, value: Any, *, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.setdefault(name, []).append(_("This field is required."))
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append(_("Enter an amount."))
        return None
    if not amount.is_finite() or amount < 0 or amount > MONEY_MAX or amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(name, []).append(_("Give an amount from 0 to 999,999,999,999.99."))
        return None
    return amount


def _date(errors: dict[str, list[str]], name: str, value: dt.date | None, *, past: bool = False) -> None:
    if value is None:
        errors.setdefault(name, []).append(_("This field is required."))
        return
    try:
        (validators.validate_past_business_date if past else validators.validate_business_date)(value)
    except ValidationError as error:
        errors.setdefault(name, []).extend(error.messages)


def _may_work(actor: User, permission: str) -> None:
    if user_is_read_only(actor) or not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))


def _scoped_customers(actor: User, customers: Iterable[Customer]) -> list[Customer]:
    """The customers, each one the actor may plan for: out of sight → DoesNotExist (404); seen but not theirs → 403."""
    wanted = {customer.pk: customer for customer in customers}
    allowed = set(customers_for_plans(user=actor).filter(pk__in=list(wanted)).values_list("pk", flat=True))
    missing = set(wanted) - allowed
    if missing:
        if len(Customer.objects.visible_to(actor).filter(pk__in=list(missing))) < len(missing):
            raise Customer.DoesNotExist
        raise PermissionDenied(_("You may not plan for this customer."))
    return list(wanted.values())


def _owner(errors: dict[str, list[str]], actor: User, owner: User | None) -> User:
    owner = owner or actor
    if owner.pk != actor.pk and not staff_list(user=actor).filter(pk=owner.pk).exists():
        errors.setdefault("owner", []).append(_("Choose an active member of staff in your branches."))
    return owner


def _locked_plan(actor: User, plan: MaintenancePlan, expected_version: int | None) -> MaintenancePlan:
    _may_work(actor, "relations.change_maintenanceplan")
    current = MaintenancePlan.objects.visible_to(actor, "change").select_for_update().filter(pk=plan.pk).first()
    if current is None:
        if MaintenancePlan.objects.visible_to(actor).filter(pk=plan.pk).exists():
            raise PermissionDenied(_("You may not change this plan."))
        raise MaintenancePlan.DoesNotExist
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    return current


def plan_activity_rows(plan: MaintenancePlan, action: str, actor: User | None, *, comment: str = "",
                       when: dt.datetime | None = None) -> int:
    """One timeline row per customer of the plan (one INSERT): submitted, approved, rejected, summarised."""
    moment = when or timezone.now()
    customer_ids = list(PlanCustomer.objects.filter(plan=plan).values_list("customer_id", "customer__branch_id"))
    data = {"action": action, "title": plan.title, "budget": str(plan.budget), "by": str(actor) if actor else "",
            "comment": comment[:500]}
    return activity_record_bulk(
        {"customer_id": customer_id, "kind": "plan", "occurred_at": moment, "actor_id": actor.pk if actor else None,
         "branch_id": branch_id, "subject_type": "relations.maintenanceplan", "subject_id": plan.pk, "data": data}
        for customer_id, branch_id in customer_ids)


# --- plans ----------------------------------------------------------------------------------------------------------


def _check_plan(errors: dict[str, list[str]], plan: MaintenancePlan) -> None:
    plan.title = _text(errors, "title", plan.title, TITLE_MAX, required=True)
    plan.objective = _text(errors, "objective", plan.objective, TEXT_MAX, required=True)
    plan.measures = _text(errors, "measures", plan.measures, TEXT_MAX)
    _date(errors, "period_start", plan.period_start)
    _date(errors, "period_end", plan.period_end)
    if "period_start" not in errors and "period_end" not in errors and plan.period_end < plan.period_start:
        errors.setdefault("period_end", []).append(_("The end comes before the start."))


@transaction.atomic
def plan_create(*, actor: User, title: str, objective: str, customers: Iterable[Customer], budget: Any,
                period_start: dt.date, period_end: dt.date, measures: str = "", owner: User | None = None,
                branch: Branch | None = None) -> MaintenancePlan:
    """Draft a plan for customers the actor may plan for (account managers: their own). The branch defaults to the
    first customer's; the owner (default the actor) must be staff in the actor's scope."""
    _may_work(actor, "relations.add_maintenanceplan")
    chosen = _scoped_customers(actor, customers)
    errors: dict[str, list[str]] = {}
    if not chosen:
        errors["customers"] = [_("Choose at least one customer.")]
    elif len(chosen) > CUSTOMERS_PER_PLAN:
        errors["customers"] = [_("At most %(count)d customers.") % {"count": CUSTOMERS_PER_PLAN}]
    amount = _money(errors, "budget", budget)
    owner = _owner(errors, actor, owner)
    if branch is None and chosen:
        branch = Branch.objects.filter(pk=chosen[0].branch_id).first()
    ids = branch_ids_in_scope(actor)
    if branch is None or (ids is not None and branch.pk not in ids):
        errors.setdefault("branch", []).append(_("Choose one of your branches."))
    plan = MaintenancePlan(title=title, objective=objective, measures=measures, owner=owner, branch=branch,
                           budget=amount or Decimal(0), period_start=period_start, period_end=period_end,
                           created_by=actor)
    _check_plan(errors, plan)
    if errors:
        raise ValidationError(errors)
    plan.save()
    PlanCustomer.objects.bulk_create([PlanCustomer(plan=plan, customer=customer) for customer in chosen])
    return plan


PLAN_FIELDS = {"title", "objective", "measures", "budget", "period_start", "period_end", "owner"}


@transaction.atomic
def plan_update(*, actor: User, plan: MaintenancePlan, expected_version: int | None = None,
                customers: Iterable[Customer] | None = None, **changes: Any) -> MaintenancePlan:
    """Edit a draft or rejected plan (``expected_version``: a stale write is refused, 409)."""
    current = _locked_plan(actor, plan, expected_version)
    unknown = set(changes) - PLAN_FIELDS
    if unknown:
        raise ValueError(f"plan_update: unknown fields {sorted(unknown)}")
    if current.status not in EDITABLE:
        raise ValidationError({"status": [_("Only a draft or a rejected plan can be changed.")]})
    errors: dict[str, list[str]] = {}
    if "budget" in changes:
        changes["budget"] = _money(errors, "budget", changes["budget"]) or Decimal(0)
    if "owner" in changes:
        changes["owner"] = _owner(errors, actor, changes["owner"])
    for name, value in changes.items():
        setattr(current, name, value)
    _check_plan(errors, current)
    chosen = None
    if customers is not None:
        chosen = _scoped_customers(actor, customers)
        if not chosen:
            errors["customers"] = [_("Choose at least one customer.")]
        elif len(chosen) > CUSTOMERS_PER_PLAN:
            errors["customers"] = [_("At most %(count)d customers.") % {"count": CUSTOMERS_PER_PLAN}]
    if errors:
        raise ValidationError(errors)
    if chosen is not None:
        keep = {customer.pk for customer in chosen}
        PlanCustomer.objects.filter(plan=current).exclude(customer_id__in=keep).delete()
        PlanCustomer.objects.bulk_create([PlanCustomer(plan=current, customer=customer) for customer in chosen],
                                         ignore_conflicts=True)
        PlanAction.objects.filter(plan=current, customer__isnull=False).exclude(customer_id__in=keep).update(
            customer=None)
    current.version += 1
    current.save()
    return current


@transaction.atomic
def plan_action_add(*, actor: User, plan: MaintenancePlan, title: str, due_date: dt.date, cost: Any = 0,
                    customer: Customer | None = None, owner: User | None = None,
                    expected_version: int | None = None) -> PlanAction:
    """Schedule an action in a draft or rejected plan (it becomes a task when the plan is approved)."""
    current = _locked_plan(actor, plan, expected_version)
    if current.status not in EDITABLE:
        raise ValidationError({"status": [_("Only a draft or a rejected plan can be changed.")]})
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, TITLE_MAX, required=True)
    _date(errors, "due_date", due_date)
    amount = _money(errors, "cost", cost)
    if customer is not None and not PlanCustomer.objects.filter(plan=current, customer_id=customer.pk).exists():
        errors["customer"] = [_("Choose one of the plan's customers.")]
    if owner is not None:
        owner = _owner(errors, actor, owner)
    if PlanAction.objects.filter(plan=current).count() >= ACTIONS_PER_PLAN:
        errors.setdefault("title", []).append(_("At most %(count)d actions.") % {"count": ACTIONS_PER_PLAN})
    if errors:
        raise ValidationError(errors)
    if customer is None:
        only = list(PlanCustomer.objects.filter(plan=current).values_list("customer_id", flat=True)[:2])
        customer_id = only[0] if len(only) == 1 else None
    else:
        customer_id = customer.pk
    action = PlanAction.objects.create(plan=current, title=title, due_date=due_date, cost=amount or 0,
                                       customer_id=customer_id, owner=owner)
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    return action


@transaction.atomic
def plan_action_remove(*, actor: User, action: PlanAction) -> None:
    current = _locked_plan(actor, action.plan, None)
    if current.status not in EDITABLE:
        raise ValidationError({"status": [_("Only a draft or a rejected plan can be changed.")]})
    PlanAction.objects.filter(pk=action.pk, plan=current).delete()
    current.version += 1
    current.save(update_fields=["version", "updated_at"])


@transaction.atomic
def plan_action_record_cost(*, actor: User, action: PlanAction, recorded_cost: Any) -> PlanAction:
    """What an action of an approved or running plan actually cost (counted as spent)."""
    current = _locked_plan(actor, action.plan, None)
    if current.status not in RUNNING:
        raise ValidationError({"status": [_("Costs are recorded while the plan runs.")]})
    errors: dict[str, list[str]] = {}
    amount = _money(errors, "recorded_cost", recorded_cost)
    if errors:
        raise ValidationError(errors)
    updated = PlanAction.objects.filter(pk=action.pk, plan=current).update(recorded_cost=amount)
    if not updated:
        raise PlanAction.DoesNotExist
    return PlanAction.objects.get(pk=action.pk)


@transaction.atomic
def plan_submit(*, actor: User, plan: MaintenancePlan, expected_version: int | None = None,
                comment: str = "") -> MaintenancePlan:
    """Submit a draft (or a rejected plan, edited) for approval: a ``work`` approval whose amount is the budget, to
    be decided by someone with authority in the plan's branch (not the submitter). Goes on each customer's
    timeline."""
    from kehu.work.services import approval_submit

    current = _locked_plan(actor, plan, expected_version)
    if current.status not in EDITABLE:
        raise ValidationError({"status": [_("Only a draft or a rejected plan can be submitted.")]})
    if not PlanCustomer.objects.filter(plan=current).exists():
        raise ValidationError({"customers": [_("Choose at least one customer.")]})
    approval = approval_submit(actor=actor, kind=APPROVAL_KIND, subject=current, title=current.title,
                               amount=current.budget, branch=current.branch, comment=comment)
    current.status = PlanStatus.SUBMITTED
    current.approval = approval
    current.version += 1
    current.save()
    plan_activity_rows(current, "submitted", actor, comment=comment)
    return current


def plan_on_decided(*, approval: Approval, action: str) -> None:
    """``work``'s callback in the decision's transaction: approved → the plan is approved and each action becomes a
    task (kind ``plan_action``, source the action) of its owner; rejected → the plan is rejected (edit, submit
    again); withdrawn → back to draft."""
    from kehu.work.services import task_create

    plan = MaintenancePlan.objects.select_for_update().get(pk=approval.subject_id)
    plan.status = {"approved": PlanStatus.APPROVED, "rejected": PlanStatus.REJECTED}.get(action, PlanStatus.DRAFT)
    plan.version += 1
    plan.save()
    actor = approval.decided_by
    if action == "approved":
        for item in PlanAction.objects.filter(plan=plan, task__isnull=True).select_related("customer", "owner"):
            owner = item.owner if item.owner is not None and item.owner.is_active else plan.owner
            item.task = task_create(actor=None, owner=owner, title=item.title, due_date=item.due_date,
                                    kind="plan_action", customer=item.customer, source=item,
                                    notes=_("Action of the maintenance plan %(title)s") % {"title": plan.title})
            item.save(update_fields=["task"])
    if action in ("approved", "rejected"):
        plan_activity_rows(plan, action, actor, comment=approval.comment)


@transaction.atomic
def plan_start(*, actor: User, plan: MaintenancePlan, expected_version: int | None = None) -> MaintenancePlan:
    current = _locked_plan(actor, plan, expected_version)
    if current.status != PlanStatus.APPROVED:
        raise ValidationError({"status": [_("Only an approved plan can be started.")]})
    current.status = PlanStatus.IN_PROGRESS
    current.version += 1
    current.save()
    return current


@transaction.atomic
def plan_summarise(*, actor: User, plan: MaintenancePlan, results: str, cost_spent: Any = None, next_plan: str = "",
                   expected_version: int | None = None) -> MaintenancePlan:
    """The summary (维护总结表) of an approved or running plan: results, cost spent (default: what the plan's
    events, gifts and actions' recorded costs add up to), next plan. Goes on each customer's timeline."""
    from .selectors import plan_budget

    current = _locked_plan(actor, plan, expected_version)
    if current.status not in RUNNING:
        raise ValidationError({"status": [_("Only an approved or running plan can be summarised.")]})
    errors: dict[str, list[str]] = {}
    results = _text(errors, "results", results, TEXT_MAX, required=True)
    next_plan = _text(errors, "next_plan", next_plan, TEXT_MAX)
    amount = _money(errors, "cost_spent", cost_spent, required=False)
    if errors:
        raise ValidationError(errors)
    current.results = results
    current.next_plan = next_plan
    current.cost_spent = amount if amount is not None else plan_budget(plan=current).spent
    current.status = PlanStatus.SUMMARISED
    current.summarised_at = timezone.now()
    current.summarised_by = actor
    current.version += 1
    current.save()
    plan_activity_rows(current, "summarised", actor, comment=results)
    return current


# --- events ---------------------------------------------------------------------------------------------------------


def _event_plan(errors: dict[str, list[str]], actor: User, plan: MaintenancePlan | None) -> None:
    if plan is None:
        return
    if not MaintenancePlan.objects.visible_to(actor).filter(pk=plan.pk).exists():
        raise MaintenancePlan.DoesNotExist
    if plan.status in (PlanStatus.SUMMARISED, PlanStatus.REJECTED):
        errors.setdefault("plan", []).append(_("This plan is closed."))


def _check_event(errors: dict[str, list[str]], event: Event) -> None:
    event.name = _text(errors, "name", event.name, TITLE_MAX, required=True)
    event.place = _text(errors, "place", event.place, TITLE_MAX)
    event.notes = _text(errors, "notes", event.notes, TEXT_MAX)
    if event.kind not in EventKind.values:
        errors["kind"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    _date(errors, "date", event.date)


@transaction.atomic
def event_create(*, actor: User, name: str, date: dt.date, kind: str = EventKind.GATHERING, place: str = "",
                 branch: Branch | None = None, cost: Any = 0, plan: MaintenancePlan | None = None,
                 notes: str = "") -> Event:
    """An event of one of the actor's branches (default: the plan's, else the actor's first), optionally under a
    plan the actor may see (its cost counts against the plan's budget)."""
    _may_work(actor, "relations.add_event")
    errors: dict[str, list[str]] = {}
    _event_plan(errors, actor, plan)
    if branch is None:
        branch = plan.branch if plan is not None else actor.branches.order_by("pk").first()
    ids = branch_ids_in_scope(actor)
    if branch is None or (ids is not None and branch.pk not in ids):
        errors.setdefault("branch", []).append(_("Choose one of your branches."))
    amount = _money(errors, "cost", cost)
    event = Event(name=name, kind=kind, date=date, place=place, branch=branch, organiser=actor,
                  cost=amount or Decimal(0), plan=plan, notes=notes)
    _check_event(errors, event)
    if errors:
        raise ValidationError(errors)
    event.save()
    return event


EVENT_FIELDS = {"name", "kind", "date", "place", "cost", "notes"}


@transaction.atomic
def event_update(*, actor: User, event: Event, expected_version: int | None = None, **changes: Any) -> Event:
    _may_work(actor, "relations.change_event")
    current = Event.objects.visible_to(actor, "change").select_for_update().filter(pk=event.pk).first()
    if current is None:
        if Event.objects.visible_to(actor).filter(pk=event.pk).exists():
            raise PermissionDenied(_("You may not change this event."))
        raise Event.DoesNotExist
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    unknown = set(changes) - EVENT_FIELDS
    if unknown:
        raise ValueError(f"event_update: unknown fields {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    if "cost" in changes:
        changes["cost"] = _money(errors, "cost", changes["cost"]) or Decimal(0)
    for name, value in changes.items():
        setattr(current, name, value)
    _check_event(errors, current)
    if errors:
        raise ValidationError(errors)
    current.version += 1
    current.save()
    return current


def _locked_event(actor: User, event: Event) -> Event:
    _may_work(actor, "relations.change_event")
    current = Event.objects.visible_to(actor, "change").select_for_update().filter(pk=event.pk).first()
    if current is None:
        if Event.objects.visible_to(actor).filter(pk=event.pk).exists():
            raise PermissionDenied(_("You may not change this event."))
        raise Event.DoesNotExist
    return current


@transaction.atomic
def event_invite(*, actor: User, event: Event, customers: Any) -> int:
    """Invite customers (a queryset from a list or a filter, or customer objects) to an event, set-based: only those
    the actor may see, at most 5,000 a call, those already invited skipped. Returns the number newly invited."""
    current = _locked_event(actor, event)
    if hasattr(customers, "values_list"):
        ids = list(customers.filter(pk__in=Customer.objects.visible_to(actor).values("pk"))
                   .order_by("pk").values_list("pk", flat=True)[: INVITES_PER_CALL + 1])
    else:
        wanted = [getattr(customer, "pk", customer) for customer in customers]
        ids = list(Customer.objects.visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))
        if len(set(ids)) < len(set(wanted)):
            raise Customer.DoesNotExist
    if len(ids) > INVITES_PER_CALL:
        raise ValidationError({"customers": [_("At most %(count)d customers at a time.") % {
            "count": INVITES_PER_CALL}]})
    already = set(EventInvitee.objects.filter(event=current, customer_id__in=ids).values_list("customer_id",
                                                                                            flat=True))
    rows = [EventInvitee(event=current, customer_id=pk, invited_by=actor) for pk in ids if pk not in already]
    EventInvitee.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def invitation_answer(*, actor: User, event: Event, customer_ids: list[int], status: str) -> int:
    """Record the invitees' answer (accepted or declined), set-based."""
    current = _locked_event(actor, event)
    if status not in InvitationStatus.values:
        raise ValidationError({"status": [_("Select a valid choice. That choice is not one of the available "
                                            "choices.")]})
    return (EventInvitee.objects.filter(event=current, customer_id__in=customer_ids,
                                        customer__in=Customer.objects.visible_to(actor)).update(status=status))


def event_activity_data(event: Event) -> dict[str, Any]:
    return {"action": "attended", "name": event.name, "event_kind": event.kind, "place": event.place,
            "date": event.date.isoformat()}


@transaction.atomic
def event_mark_attendance(*, actor: User, event: Event, customer_ids: list[int]) -> int:
    """Mark invitees who came to an event held (today or earlier), set-based: each gets a contact record (channel
    ``event``), linked from the invitation, and one timeline row of kind ``event`` (one INSERT each). Invitees
    already marked are skipped. Returns the number newly marked."""
    current = _locked_event(actor, event)
    if current.date > timezone.localdate():
        raise ValidationError({"attended": [_("Attendance is marked once the event has taken place.")]})
    invitees = list(EventInvitee.objects.filter(event=current, customer_id__in=customer_ids, attended=False,
                                                customer__in=Customer.objects.visible_to(actor))
                    .select_related("customer").order_by("pk"))
    if not invitees:
        return 0
    zone = timezone.get_current_timezone()
    moment = dt.datetime.combine(current.date, dt.time(18), zone)
    summary = _("Attended %(name)s") % {"name": current.name}
    records = [ContactRecord(customer_id=invitee.customer_id, branch_id=invitee.customer.branch_id, staff=actor,
                             channel=ContactChannel.EVENT, direction=Direction.OUTBOUND, occurred_at=moment,
                             summary=summary[:5000], created_by=actor) for invitee in invitees]
    ContactRecord.objects.bulk_create(records, batch_size=2000)
    for invitee, record in zip(invitees, records, strict=True):
        invitee.attended = True
        invitee.contact_id = record.pk
        if invitee.status == InvitationStatus.INVITED:
            invitee.status = InvitationStatus.ACCEPTED
    EventInvitee.objects.bulk_update(invitees, ["attended", "contact", "status"], batch_size=2000)
    data = event_activity_data(current)
    activity_record_bulk(
        {"customer_id": invitee.customer_id, "kind": "event", "occurred_at": moment, "actor_id": actor.pk,
         "branch_id": invitee.customer.branch_id, "subject_type": "relations.event", "subject_id": current.pk,
         "data": data} for invitee in invitees)
    return len(invitees)


@transaction.atomic
def event_undo_attendance(*, actor: User, event: Event, customer_ids: list[int]) -> int:
    """Undo attendance marked by mistake, set-based: the invitees are no longer marked attended, the contact records
    the marking wrote are deleted (cadences, coverage and KPIs no longer count them), and each customer's timeline
    gets a row saying so (rows are never changed); the event's cost stays the event's, its attended count (and cost
    per attendee) follows the attendance.
    Invitees not marked are skipped. Returns the number undone."""
    current = _locked_event(actor, event)
    invitees = list(EventInvitee.objects.filter(event=current, customer_id__in=customer_ids, attended=True,
                                                customer__in=Customer.objects.visible_to(actor)).order_by("pk"))
    if not invitees:
        return 0
    customers = [invitee.customer_id for invitee in invitees]
    contacts = [invitee.contact_id for invitee in invitees if invitee.contact_id]
    EventInvitee.objects.filter(pk__in=[invitee.pk for invitee in invitees]).update(attended=False, contact=None)
    ContactRecord.objects.filter(pk__in=contacts, channel=ContactChannel.EVENT, customer_id__in=customers).delete()
    data = {**event_activity_data(current), "action": "attendance_undone"}
    branches = dict(Customer.objects.filter(pk__in=customers).values_list("pk", "branch_id"))
    activity_record_bulk(  # the timeline is append-only: the correction is a row of its own
        {"customer_id": pk, "kind": "event", "occurred_at": timezone.now(), "actor_id": actor.pk,
         "branch_id": branches.get(pk), "subject_type": "relations.event", "subject_id": current.pk, "data": data}
        for pk in customers)
    return len(invitees)


# --- gifts ----------------------------------------------------------------------------------------------------------


def gift_activity_data(gift: Gift) -> dict[str, Any]:
    return {"description": gift.description, "cost": str(gift.cost), "occasion": gift.occasion,
            "plan": gift.plan.title if gift.plan is not None else ""}


@transaction.atomic
def gift_give(*, actor: User, customer: Customer, description: str, cost: Any, given_on: dt.date,
              occasion: str = GiftOccasion.FESTIVAL, plan: MaintenancePlan | None = None) -> Gift:
    """Record a gift to a customer the actor may plan for: a contact record (channel ``gift``) and the gift with its
    cost, under an approved or running plan of that customer when given; on the timeline (kind ``gift``)."""
    _may_work(actor, "relations.add_gift")
    _scoped_customers(actor, [customer])
    errors: dict[str, list[str]] = {}
    description = _text(errors, "description", description, TITLE_MAX, required=True)
    amount = _money(errors, "cost", cost)
    _date(errors, "given_on", given_on, past=True)
    if occasion not in GiftOccasion.values:
        errors["occasion"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if plan is not None:
        if not MaintenancePlan.objects.visible_to(actor).filter(pk=plan.pk).exists():
            raise MaintenancePlan.DoesNotExist
        if plan.status not in RUNNING:
            errors["plan"] = [_("Gifts are given under an approved or running plan.")]
        elif not PlanCustomer.objects.filter(plan=plan, customer_id=customer.pk).exists():
            errors["plan"] = [_("This plan is not for this customer.")]
    if errors:
        raise ValidationError(errors)
    moment = dt.datetime.combine(given_on, dt.time(12), timezone.get_current_timezone())
    record = ContactRecord.objects.create(
        customer=customer, branch_id=customer.branch_id, staff=actor, channel=ContactChannel.GIFT,
        direction=Direction.OUTBOUND, occurred_at=moment, summary=description, created_by=actor)
    gift = Gift.objects.create(customer=customer, branch_id=customer.branch_id, description=description,
                               cost=amount or Decimal(0), given_on=given_on, occasion=occasion, plan=plan,
                               contact=record, given_by=actor)
    activity_record_bulk([{"customer_id": customer.pk, "kind": "gift", "occurred_at": moment, "actor_id": actor.pk,
                           "branch_id": customer.branch_id, "subject_type": "relations.gift", "subject_id": gift.pk,
                           "data": gift_activity_data(gift)}])
    return gift
