"""Writes of conversion and onboarding.

``lead_convert``: a lead becomes (or is linked to) a customer. The lead is matched again against customers; the user
links it to a customer or creates one (through ``customers.services.customer_create``, the one writer of
customers); its contacts are copied into the customer's contact log (``relations.services.contact_log``, one
external reference per lead contact so nothing is copied twice), its open tasks and its opportunities are
re-pointed to the customer, and the rest of its timeline (``LeadEvent`` rows) is copied onto the customer's
timeline as rows of the kind ``lead`` (one INSERT). A ``LeadConversion`` row records what moved.

``opportunity_onboard``: a won opportunity of a customer records the sale as purchase transactions (one per product
line, ``transaction_create`` with the reference ``opp-<id>-line-<id>``), starts the onboarding tasks (first-week call,
30-day visit, satisfaction check: ``KEHU_ONBOARDING_STEPS``) and tells the service and finance roles of the branch
(``KEHU_ONBOARDING_NOTIFY_ROLES``). Called at the transition to won (``opportunities.services.opportunity_move``)
and when a lead with won opportunities is converted. The ``Onboarding`` row, written under the opportunity's lock,
makes a retry or a second call write nothing new.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record_bulk
from kehu.org.models import User

from .. import selectors as lead_selectors
from ..models import (
    Lead,
    LeadContact,
    LeadConversion,
    LeadEvent,
    LeadKind,
    LeadStatus,
    Onboarding,
    Opportunity,
    OpportunityStatus,
)
from . import selectors

# (key, days after the win, title): the onboarding plan; settings.KEHU_ONBOARDING_STEPS overrides the days
DEFAULT_STEPS: tuple[tuple[str, int], ...] = (("first_week_call", 7), ("visit_30_days", 30),
                                              ("satisfaction_check", 60))
STEP_TITLES = {
    "first_week_call": gettext_lazy("Onboarding: first-week call to %(customer)s"),
    "visit_30_days": gettext_lazy("Onboarding: 30-day visit to %(customer)s"),
    "satisfaction_check": gettext_lazy("Onboarding: satisfaction check with %(customer)s"),
}
DEFAULT_NOTIFY_ROLES = ("service_agent", "credit_officer")  # service and finance
CONTACT_CHANNELS = {"phone": "phone", "visit": "visit", "sms": "sms", "email": "email", "meeting": "visit",
                    "wechat": "wechat"}


class ConversionRefused(Exception):
    """A refusal with its own code: ``already_converted``, ``disqualified`` (409), ``not_yours`` (403),
    ``duplicate`` (409, with ``matches``: create refused while customers share the lead's identifiers)."""

    def __init__(self, code: str, message: str, *, status: int = 409, matches: list[Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.matches = matches or []


@dataclass
class Step:
    key: str
    days: int

    @property
    def title(self) -> Any:
        return STEP_TITLES.get(self.key, gettext_lazy("Onboarding: %(customer)s"))


def onboarding_steps() -> list[Step]:
    configured = getattr(settings, "KEHU_ONBOARDING_STEPS", None) or DEFAULT_STEPS
    return [Step(str(key), int(days)) for key, days in configured]


# --- converting a lead -----------------------------------------------------------------------------------------------
def _refuse_unless_convertible(*, actor: User, lead_id: int) -> None:
    """404 outside the actor's view scope, 403 ``not_yours`` when the actor may see but not work the lead."""
    if not Lead.objects.visible_to(actor).filter(pk=lead_id).exists():
        raise Lead.DoesNotExist
    if not lead_selectors.may_work_leads(actor) or not Lead.objects.visible_to(actor, "change").filter(
            pk=lead_id).exists():
        raise ConversionRefused("not_yours", _("This lead is worked by someone else: only its owner or their "
                                               "manager may convert it."), status=403)


def _customer_values(lead: Lead) -> dict[str, Any]:
    organisation = lead.kind == LeadKind.ORGANISATION
    values: dict[str, Any] = {
        "kind": "organisation" if organisation else "person",
        "name": (lead.company or lead.name) if organisation else lead.name,
        "mobile": lead.mobile, "email": lead.email,
        "notes": (_("Converted from lead #%(id)s.") % {"id": lead.pk} + ("\n" + lead.notes if lead.notes else ""))
        [:5000],
    }
    if organisation:
        values["organisation"] = {"credit_code": lead.credit_code} if lead.credit_code else {}
    else:
        values["person"] = {"employer": lead.company} if lead.company else {}
    return values


def _create_customer(*, actor: User, lead: Lead) -> Customer:
    from kehu.customers.services import customer_create

    values = _customer_values(lead)
    owner = lead.owner if lead.owner_id else None
    return customer_create(actor=actor, kind=values["kind"], name=values["name"], branch=lead.branch, owner=owner,
                           person=values.get("person"), organisation=values.get("organisation"),
                           mobile=values["mobile"], email=values["email"], notes=values["notes"])


def _copy_contacts(*, actor: User, lead: Lead, customer: Customer) -> list[int]:
    """The lead's contacts into the customer's contact log (each once: reference ``lead-contact-<id>``)."""
    from kehu.org.selectors import staff_list
    from kehu.relations.services import contact_log

    contacts = list(LeadContact.objects.filter(lead=lead).order_by("occurred_at", "pk"))
    if not contacts:
        return []
    staff_ids = {contact.staff_id for contact in contacts if contact.staff_id}
    allowed = set(staff_list(user=actor).filter(pk__in=staff_ids).values_list("pk", flat=True)) | {actor.pk}
    staff = {user.pk: user for user in User.objects.filter(pk__in=allowed & staff_ids)}
    copied = []
    for contact in contacts:
        record = contact_log(actor=actor, customer=customer, channel=CONTACT_CHANNELS.get(contact.channel, "other"),
                             summary=contact.summary, occurred_at=contact.occurred_at,
                             staff=staff.get(contact.staff_id) or actor,  # type: ignore[arg-type]
                             external_ref=f"lead-contact-{contact.pk}")
        copied.append(record.pk)
    return copied


def _move_tasks(*, lead: Lead, customer: Customer) -> list[int]:
    """Open tasks whose source is the lead (follow-ups) now belong to the customer too (one UPDATE)."""
    from kehu.work.models import Task

    tasks = Task.objects.filter(source_type=ContentType.objects.get_for_model(Lead), source_id=lead.pk,
                                status=Task.Status.OPEN)
    ids = list(tasks.values_list("pk", flat=True))
    if ids:
        Task.objects.filter(pk__in=ids).update(customer=customer, branch_id=customer.branch_id,
                                               version=F("version") + 1)
    return ids


def _copy_timeline(*, actor: User, lead: Lead, customer: Customer, now: dt.datetime) -> int:
    """The lead's timeline onto the customer's: each event except contacts (copied as contact records, which write
    their own rows) as a row of the kind ``lead``, then the conversion itself. One INSERT."""
    events = LeadEvent.objects.filter(lead=lead).exclude(kind=LeadEvent.Kind.CONTACT).order_by("occurred_at", "pk")
    rows = [{"customer_id": customer.pk, "kind": "lead", "occurred_at": event.occurred_at,
             "actor_id": event.actor_id, "branch_id": customer.branch_id, "subject_type": "sales.lead",
             "subject_id": lead.pk, "data": {"event": event.kind, "lead": lead.pk, "name": lead.name,
                                             "data": event.data or {}}}
            for event in events]
    rows.append({"customer_id": customer.pk, "kind": "lead", "occurred_at": now, "actor_id": actor.pk,
                 "branch_id": customer.branch_id, "subject_type": "sales.lead", "subject_id": lead.pk,
                 "data": {"event": "converted", "lead": lead.pk, "name": lead.name, "data": {}}})
    activity_record_bulk(rows)
    return len(rows) - 1


@transaction.atomic
def lead_convert(*, actor: User, lead: Lead | int, expected_version: int | None = None,
                 customer: Customer | int | None = None, create: bool = False,
                 create_anyway: bool = False) -> LeadConversion:
    """Convert a lead: link it to ``customer`` (one the actor may see and log contacts for) or, with ``create``,
    make a new customer from it (refused with ``duplicate`` while customers share its mobile, e-mail or credit code,
    unless ``create_anyway``). Refusals: another branch's lead → ``Lead.DoesNotExist`` (404); ``not_yours`` (403);
    ``already_converted``, ``disqualified`` (409); a stale ``expected_version`` → ``ConcurrentUpdateError``."""
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    _refuse_unless_convertible(actor=actor, lead_id=lead_id)
    locked = Lead.objects.select_for_update(of=("self",)).select_related("branch", "owner").get(pk=lead_id)
    if locked.status == LeadStatus.CONVERTED:
        raise ConversionRefused("already_converted", _("This lead is already converted."))
    if locked.status == LeadStatus.DISQUALIFIED:
        raise ConversionRefused("disqualified", _("A disqualified lead cannot be converted; reopen it first."))
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentUpdateError(locked.version)
    if (customer is None) == (not create):
        raise ValidationError({"customer": [_("Link the lead to a customer or create a new one (one of them).")]})
    created = False
    if customer is not None:
        customer_id = customer.pk if isinstance(customer, Customer) else customer
        target = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
        if target is None:
            raise ValidationError({"customer": [_("Choose a customer you can see.")]})
        from kehu.relations.selectors import may_log_contact

        if not may_log_contact(user=actor, customer=target):
            raise ConversionRefused("customer_not_yours", _("This customer is looked after by someone else; ask "
                                                            "their manager to convert the lead."), status=403)
    else:
        hard = [match for match in selectors.customer_matches(user=actor, lead=locked) if match.hard]
        if hard and not create_anyway:
            raise ConversionRefused("duplicate", _("Customers with the same mobile, e-mail or credit code exist: "
                                                   "link the lead to one of them."), matches=hard)
        target = _create_customer(actor=actor, lead=locked)
        created = True
    now = timezone.now()
    contact_ids = _copy_contacts(actor=actor, lead=locked, customer=target)
    task_ids = _move_tasks(lead=locked, customer=target)
    copied = _copy_timeline(actor=actor, lead=locked, customer=target, now=now)
    opportunities = list(Opportunity.objects.select_for_update().filter(lead=locked).order_by("pk"))
    Opportunity.objects.filter(pk__in=[o.pk for o in opportunities]).update(
        lead=None, customer=target, version=F("version") + 1)
    previous = locked.status
    Lead.objects.filter(pk=locked.pk).update(status=LeadStatus.CONVERTED, version=F("version") + 1,
                                             updated_at=now)
    LeadEvent.objects.create(lead=locked, kind=LeadEvent.Kind.STATUS, actor=actor, occurred_at=now,
                             data={"previous": previous, "status": LeadStatus.CONVERTED, "reason": "",
                                   "note": _("Customer: %(name)s") % {"name": target.name},
                                   "customer": target.pk})
    conversion = LeadConversion.objects.create(
        lead=locked, customer=target, created=created, actor=actor, converted_at=now, contact_ids=contact_ids,
        task_ids=task_ids, opportunity_ids=[o.pk for o in opportunities], events_copied=copied)
    for opportunity in opportunities:  # a deal won while it was the lead's is recorded now that there is a customer
        if opportunity.status == OpportunityStatus.WON:
            opportunity_onboard(actor=actor, opportunity=opportunity.pk)
    return conversion


# --- onboarding a won opportunity ------------------------------------------------------------------------------------
def _record_sale(*, actor: User, opportunity: Opportunity, customer: Customer) -> list[int]:
    from kehu.purchases.services import transaction_create

    when = opportunity.closed_at or timezone.now()
    ids = []
    for line in opportunity.lines.select_related("product").order_by("pk"):
        record, _created = transaction_create(
            actor=actor, customer=customer, occurred_at=when, amount=line.amount, quantity=line.quantity,
            product=line.product, branch=opportunity.branch, channel="manager",
            external_ref=f"opp-{opportunity.pk}-line-{line.pk}")
        ids.append(record.pk)
    return ids


def _start_tasks(*, actor: User, opportunity: Opportunity, customer: Customer) -> list[int]:
    from kehu.work.services import task_create

    start = timezone.localdate(opportunity.closed_at or timezone.now())
    owner = opportunity.owner if opportunity.owner.is_active else actor  # a deal of someone who left: the winner
    ids = []
    for step in onboarding_steps():
        task = task_create(actor=actor, owner=owner, kind="onboarding", customer=customer, source=opportunity,
                           title=str(step.title % {"customer": customer.name})[:200],
                           due_date=start + dt.timedelta(days=step.days),
                           notes=_("Won opportunity: %(name)s") % {"name": opportunity.name})
        ids.append(task.pk)
    return ids


def _notify(*, opportunity: Opportunity, customer: Customer) -> int:
    from kehu.work.services import notification_send

    roles = list(getattr(settings, "KEHU_ONBOARDING_NOTIFY_ROLES", None) or DEFAULT_NOTIFY_ROLES)
    people = list(User.objects.filter(is_active=True, groups__name__in=roles, branches=opportunity.branch_id)
                  .distinct())
    return notification_send(
        recipients=people, kind="customer_won",
        title=_("New customer won: %(customer)s (¥%(amount)s)") % {"customer": customer.name,
                                                                  "amount": opportunity.amount},
        body=_("%(name)s, won by %(owner)s. Onboarding has started.") % {"name": opportunity.name,
                                                                         "owner": opportunity.owner},
        url=reverse("customers:detail", args=[customer.pk]), dedupe_key=f"onboarding-{opportunity.pk}")


@transaction.atomic
def opportunity_onboard(*, actor: User, opportunity: Opportunity | int) -> Onboarding | None:
    """Record a won opportunity's sale and start its onboarding, once. None while the deal is not won or belongs to
    a lead (converting the lead calls this again). A second call returns the stored ``Onboarding`` and writes
    nothing."""
    pk = opportunity.pk if isinstance(opportunity, Opportunity) else opportunity
    locked = Opportunity.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)
    if locked.status != OpportunityStatus.WON or locked.customer_id is None:
        return None
    existing = Onboarding.objects.filter(opportunity=locked).first()
    if existing is not None:
        return existing
    customer = Customer.objects.get(pk=locked.customer_id)
    transaction_ids = _record_sale(actor=actor, opportunity=locked, customer=customer)
    task_ids = _start_tasks(actor=actor, opportunity=locked, customer=customer)
    notified = _notify(opportunity=locked, customer=customer)
    return Onboarding.objects.create(opportunity=locked, customer=customer, started_at=timezone.now(), actor=actor,
                                     transaction_ids=transaction_ids, task_ids=task_ids, notified=notified)

