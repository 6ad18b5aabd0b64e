"""Writes of sales: leads (create with duplicate matching, attach, update, status, contacts), assignment
(round-robin with caps, by hand), the shared pool (claim, the scheduled return) and the staff-leaves hand-over of
leads. Every function is one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.validators import (
    normalize_mobile,
    text_problem,
    validate_business_date,
    validate_credit_code,
    validate_email,
)
from kehu.customers.models import Customer
from kehu.org.models import Branch, User
from kehu.org.roles import Role
from kehu.org.selectors import branch_ids_in_scope, staff_list
from kehu.purchases.models import Product

from . import selectors
from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Answer,
    AssignmentRule,
    DisqualifyReason,
    Lead,
    LeadContact,
    LeadEvent,
    LeadKind,
    LeadSource,
    LeadStatus,
    Timing,
)
from .selectors import LeadMatch


class DuplicateLeadError(Exception):
    """The prospect matches stored customers or open leads (``matches``); nothing was written."""

    def __init__(self, matches: list[LeadMatch]) -> None:
        super().__init__(_("This prospect is already known: attach to the match instead of creating a lead."))
        self.matches = matches


class LeadConflictError(Exception):
    """A 409 other than a version conflict: ``code`` is ``already_claimed`` or ``claim_cap``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- checking input --------------------------------------------------------------------------------------------------
TEXT_LIMITS = {"name": 200, "company": 200, "campaign": 100, "man_notes": 2000, "notes": 5000}
CHOICES = {"kind": LeadKind, "source": LeadSource, "money": Answer, "authority": Answer, "need": Answer,
           "timing": Timing}
EDITABLE = ("kind", "name", "mobile", "email", "company", "credit_code", "source", "campaign", "money", "authority",
            "need", "man_notes", "timing", "notes")


def _clean(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """Check and normalise the editable fields given; problems go into ``errors`` by field name."""
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name in TEXT_LIMITS or name in ("mobile", "email", "credit_code"):
            value = str(value or "").strip()
            problem = text_problem(value)
            if problem:
                errors.setdefault(name, []).append(problem)
                continue
        if name in TEXT_LIMITS and len(value) > TEXT_LIMITS[name]:
            errors.setdefault(name, []).append(
                _("Ensure this value has at most %(max)s characters or items.") % {"max": TEXT_LIMITS[name]})
            continue
        try:
            if name == "mobile" and value:
                value = normalize_mobile(value)
            elif name == "email" and value:
                value = validate_email(value)
            elif name == "credit_code" and value:
                value = validate_credit_code(value)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
            continue
        if name in CHOICES and value not in CHOICES[name].values:
            errors.setdefault(name, []).append(
                _("Select a valid choice. That choice is not one of the available choices."))
            continue
        cleaned[name] = value
    if "name" in cleaned and not cleaned["name"]:
        errors.setdefault("name", []).append(_("This field is required."))
    return cleaned


def _products(ids: Iterable[int] | None, errors: dict[str, list[str]]) -> list[Product] | None:
    if ids is None:
        return None
    wanted = set(ids)
    products = list(Product.objects.filter(pk__in=wanted, is_active=True))
    if len(products) != len(wanted):
        errors.setdefault("products", []).append(_("Choose active products."))
    return products


def region_codes(province: str = "", city: str = "") -> dict[str, str]:
    """The division codes of a province and city given by name (full or short) or code; unknown ones are left out."""
    from kehu.core import divisions

    province, city = str(province or "")[:40].strip(), str(city or "")[:40].strip()
    province_code, city_code, _district = divisions.resolve(
        getattr(divisions.get(province), "name", province) if province.isdigit() else province,
        getattr(divisions.get(city), "name", city) if city.isdigit() else city)
    return {"province_code": province_code, "city_code": city_code}


def event(*, lead: Lead, kind: str, actor: User | None, when: dt.datetime | None = None, **data: Any) -> LeadEvent:
    return LeadEvent.objects.create(lead=lead, kind=kind, actor=actor, occurred_at=when or timezone.now(), data=data)


def _notify_assigned(*, lead: Lead, owner: User, actor: User | None) -> None:
    if actor is not None and owner.pk == actor.pk:
        return
    from django.urls import reverse

    from kehu.work.services import notification_send

    notification_send(recipients=[owner], kind="lead_assigned",
                      title=str(gettext_lazy("New lead: %(name)s")) % {"name": str(lead)},
                      body=lead.get_source_display(), url=reverse("sales:lead", args=[lead.pk]))


def _home_branch(actor: User, branch: Branch | None, errors: dict[str, list[str]]) -> Branch | None:
    ids = branch_ids_in_scope(actor)
    if branch is not None:
        if ids is not None and branch.pk not in ids:
            errors.setdefault("branch", []).append(_("Choose one of your branches."))
        return branch
    own = actor.branches.order_by("path").first()
    if own is None:
        errors.setdefault("branch", []).append(_("Choose the lead's branch."))
    return own


# --- create, attach --------------------------------------------------------------------------------------------------
@transaction.atomic
def lead_create(*, actor: User, name: str, mobile: str = "", email: str = "", kind: str = LeadKind.PERSON,
                company: str = "", credit_code: str = "", source: str = LeadSource.PHONE, campaign: str = "",
                products: Iterable[int] | None = None, money: str = Answer.UNKNOWN, authority: str = Answer.UNKNOWN,
                need: str = Answer.UNKNOWN, man_notes: str = "", timing: str = Timing.UNKNOWN, notes: str = "",
                owner: User | None = None, branch: Branch | None = None, assign: str = "",
                duplicates: str = "all", province: str = "", city: str = "") -> Lead:
    """Create a lead. Duplicates (customers and open leads with the same mobile, e-mail or credit code, open leads
    with the same name and company) raise ``DuplicateLeadError`` before anything is written; the caller attaches
    instead (``lead_attach``). ``duplicates``: "all" (default), "identifiers" (a name and company alone do not
    stop it: the form's "create anyway" after that warning, and the API), "none" (managers only).

    Owner: the one given (a manager assigning, staff in their scope), else the actor if they sell (account
    managers), else the branch's round-robin (``assign="auto"`` forces it); nobody available: the pool."""
    if not selectors.may_work_leads(actor) or not actor.has_perm("sales.add_lead"):
        raise PermissionDenied(_("You may not create leads."))
    errors: dict[str, list[str]] = {}
    values = _clean({"kind": kind, "name": name, "mobile": mobile, "email": email, "company": company,
                     "credit_code": credit_code, "source": source, "campaign": campaign, "money": money,
                     "authority": authority, "need": need, "man_notes": man_notes, "timing": timing,
                     "notes": notes}, errors)
    if not values.get("mobile") and not values.get("email") and "mobile" not in errors and "email" not in errors:
        errors.setdefault("mobile", []).append(_("Give a mobile or an e-mail address."))
    chosen = _products(products, errors)
    home = _home_branch(actor, branch, errors)
    if owner is not None and owner.pk != actor.pk:
        if not selectors.may_assign(actor):
            errors.setdefault("owner", []).append(_("Only managers assign leads to others."))
        elif not staff_list(user=actor).filter(pk=owner.pk).exists():
            errors.setdefault("owner", []).append(_("Choose an active member of staff in your branches."))
    if errors:
        raise ValidationError(errors)
    if duplicates == "none" and not selectors.may_assign(actor):
        duplicates = "identifiers"
    if duplicates != "none":
        matches = [match for match in selectors.lead_matches(
            user=actor, name=values["name"], mobile=values.get("mobile", ""), email=values.get("email", ""),
            credit_code=values.get("credit_code", ""), company=values.get("company", ""))
            if duplicates == "all" or match.hard]
        if matches:
            raise DuplicateLeadError(matches)
    assert home is not None
    now = timezone.now()
    lead = Lead(**values, **region_codes(province, city), branch=home, created_by=actor, worked_at=now)
    lead.save()
    if chosen:
        lead.products.set(chosen)
    event(lead=lead, kind=LeadEvent.Kind.CREATED, actor=actor, when=now, source=lead.source,
          campaign=lead.campaign)
    if owner is None and assign != "auto" and selectors.is_salesperson(actor):
        owner = actor
    if owner is None:
        owner = round_robin_pick(branch=home, lead=lead)
    if owner is not None:
        _set_owner(lead=lead, owner=owner, actor=actor, kind=LeadEvent.Kind.ASSIGNED, now=now)
    else:
        Lead.objects.filter(pk=lead.pk).update(pooled_at=now)
        lead.pooled_at = now
    return lead


def _set_owner(*, lead: Lead, owner: User, actor: User | None, kind: str, now: dt.datetime) -> None:
    previous = str(lead.owner) if lead.owner_id else ""
    Lead.objects.filter(pk=lead.pk).update(owner=owner, assigned_at=now, worked_at=now, pooled_at=None,
                                           version=F("version") + 1)
    lead.owner, lead.assigned_at, lead.worked_at, lead.pooled_at = owner, now, now, None
    lead.version += 1
    event(lead=lead, kind=kind, actor=actor, when=now, owner=str(owner), previous=previous)
    _notify_assigned(lead=lead, owner=owner, actor=actor)


@transaction.atomic
def lead_attach(*, actor: User, kind: str, pk: int, matches: list[LeadMatch], source: str = "", campaign: str = "",
                products: Iterable[int] | None = None, notes: str = "", email: str = "", company: str = "",
                name: str = "") -> Lead | Customer:
    """Add a prospect entered again to what it matched instead of creating a lead: to an open lead (its products,
    the new source and notes on its timeline, blank e-mail or company filled) or to a customer (a contact in the
    customer's log). The target must be one of ``matches``. A lead owned by someone else needs their manager; a lead
    in the pool of the actor's branches is claimed by attaching."""
    if not any(match.kind == kind and match.id == pk for match in matches):
        raise ValidationError({"attach_to": [_("Attach only to one of the matches found.")]})
    errors: dict[str, list[str]] = {}
    values = _clean({"source": source or LeadSource.PHONE, "campaign": campaign, "notes": notes, "email": email,
                     "company": company}, errors)
    chosen = _products(products, errors)
    if errors:
        raise ValidationError(errors)
    if kind == "customer":
        return _attach_to_customer(actor=actor, pk=pk, values=values, products=chosen or [], name=name)
    lead = Lead.objects.select_for_update().get(pk=pk)
    if lead.owner_id is None and Lead.objects.visible_to(actor).filter(pk=pk).exists():
        lead = lead_claim(actor=actor, lead=lead)
    elif not Lead.objects.visible_to(actor, "change").filter(pk=pk).exists():
        raise PermissionDenied(_("This lead is worked by someone else; ask their manager to assign it to you."))
    fill = {field: values[field] for field in ("email", "company") if values.get(field) and not getattr(lead, field)}
    if fill:
        Lead.objects.filter(pk=lead.pk).update(**fill, version=F("version") + 1)
    if chosen:
        lead.products.add(*chosen)
    event(lead=lead, kind=LeadEvent.Kind.ATTACHED, actor=actor, source=values["source"],
          campaign=values.get("campaign", ""), notes=values.get("notes", "")[:500],
          products=[product.name for product in chosen or []])
    lead.refresh_from_db()
    return lead


def _attach_to_customer(*, actor: User, pk: int, values: dict[str, Any], products: list[Product],
                        name: str) -> Customer:
    from kehu.relations.selectors import may_log_contact
    from kehu.relations.services import contact_log

    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise Customer.DoesNotExist
    if not may_log_contact(user=actor, customer=customer):
        raise PermissionDenied(_("This is a customer of someone else; ask their manager to pass the interest on."))
    channel = {"store_visit": "visit", "event": "event", "exhibition": "event", "web_form": "email",
               "partner": "phone"}.get(values["source"], "phone")
    parts = [_("Came again as a lead (%(source)s).") % {"source": LeadSource(values["source"]).label}]
    if products:
        parts.append(_("Interested in: %(products)s.") % {"products": ", ".join(p.name for p in products)})
    if values.get("campaign"):
        parts.append(_("Campaign: %(campaign)s.") % {"campaign": values["campaign"]})
    if values.get("notes"):
        parts.append(values["notes"])
    contact_log(actor=actor, customer=customer, channel=channel, direction="inbound", summary=" ".join(parts)[:5000])
    return customer


# --- change ----------------------------------------------------------------------------------------------------------
def _locked(*, actor: User, lead: Lead, expected_version: int | None) -> Lead:
    if not Lead.objects.visible_to(actor, "change").filter(pk=lead.pk).exists():
        if Lead.objects.visible_to(actor).filter(pk=lead.pk).exists():
            raise PermissionDenied(_("You may not change this lead."))
        raise Lead.DoesNotExist
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentUpdateError(locked.version)
    return locked


@transaction.atomic
def lead_update(*, actor: User, lead: Lead, expected_version: int | None, products: Iterable[int] | None = None,
                **changes: Any) -> Lead:
    """Change a lead's details (optimistic: ``expected_version`` stale → ``ConcurrentUpdateError``)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    locked = _locked(actor=actor, lead=lead, expected_version=expected_version)
    errors: dict[str, list[str]] = {}
    values = _clean(changes, errors)
    chosen = _products(products, errors)
    merged = {**{name: getattr(locked, name) for name in ("mobile", "email")}, **values}
    if not merged["mobile"] and not merged["email"]:
        errors.setdefault("mobile", []).append(_("Give a mobile or an e-mail address."))
    if errors:
        raise ValidationError(errors)
    changed = sorted(name for name, value in values.items() if getattr(locked, name) != value)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save()
    if chosen is not None:
        locked.products.set(chosen)
        changed.append("products")
    if changed:
        event(lead=locked, kind=LeadEvent.Kind.UPDATED, actor=actor, fields=changed)
    return locked


@transaction.atomic
def lead_transition(*, actor: User, lead: Lead, status: str, reason: str = "", note: str = "",
                    expected_version: int | None = None) -> Lead:
    """Move a lead along new → contacted → qualified → converted, or to disqualified with a reason (and back to
    new); any other move is refused with a message naming the allowed ones."""
    locked = _locked(actor=actor, lead=lead, expected_version=expected_version)
    if status not in LeadStatus.values:
        raise ValidationError({"status": [_("Select a valid choice. That choice is not one of the available "
                                            "choices.")]})
    allowed = TRANSITIONS[locked.status]
    if status not in allowed:
        names = ", ".join(str(LeadStatus(value).label) for value in allowed) or _("none")
        raise ValidationError({"status": [
            _("A lead that is %(current)s cannot become %(wanted)s (allowed: %(allowed)s).") % {
                "current": LeadStatus(locked.status).label, "wanted": LeadStatus(status).label, "allowed": names}]})
    if status == LeadStatus.DISQUALIFIED and reason not in DisqualifyReason.values:
        raise ValidationError({"reason": [_("Say why the lead is disqualified.")]})
    problem = text_problem(note or "")
    if problem or len(note or "") > 1000:
        raise ValidationError({"note": [problem or _("Ensure this value has at most %(max)s characters or items.")
                                        % {"max": 1000}]})
    previous = locked.status
    locked.status = status
    locked.disqualify_reason = reason if status == LeadStatus.DISQUALIFIED else ""
    locked.version += 1
    locked.save(update_fields=["status", "disqualify_reason", "version", "updated_at"])
    event(lead=locked, kind=LeadEvent.Kind.STATUS, actor=actor, previous=previous, status=status,
          reason=locked.disqualify_reason, note=note)
    return locked


@transaction.atomic
def lead_contact_log(*, actor: User, lead: Lead, channel: str, summary: str, occurred_at: dt.datetime | None = None,
                     next_step: str = "", next_step_due: dt.date | None = None) -> LeadContact:
    """Log a contact with a lead (its owner, or a manager of its branch): restarts the pool's clock, moves a new lead
    to contacted, and a next step with a date becomes a follow-up task (``lead_follow_up``) of the lead's owner."""
    locked = _locked(actor=actor, lead=lead, expected_version=None)
    errors: dict[str, list[str]] = {}
    if channel not in LeadContact.Channel.values:
        errors["channel"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    summary = (summary or "").strip()
    for field_name, value, limit in (("summary", summary, 5000), ("next_step", next_step or "", 200)):
        problem = text_problem(value)
        if problem:
            errors.setdefault(field_name, []).append(problem)
        elif len(value) > limit:
            errors.setdefault(field_name, []).append(
                _("Ensure this value has at most %(max)s characters or items.") % {"max": limit})
    if not summary:
        errors.setdefault("summary", []).append(_("This field is required."))
    now = timezone.now()
    when = occurred_at or now
    try:
        validate_business_date(when)
    except ValidationError as error:
        errors.setdefault("occurred_at", []).extend(error.messages)
    else:
        if when > now + dt.timedelta(hours=1):
            errors.setdefault("occurred_at", []).append(_("A contact cannot be in the future."))
    if next_step_due is not None:
        try:
            validate_business_date(next_step_due)
        except ValidationError as error:
            errors.setdefault("next_step_due", []).extend(error.messages)
        if not (next_step or "").strip():
            errors.setdefault("next_step", []).append(_("Say what the next step is."))
    if errors:
        raise ValidationError(errors)
    contact = LeadContact.objects.create(lead=locked, staff=actor, channel=channel, occurred_at=when, summary=summary)
    latest = max(filter(None, [locked.last_contact_at, when]))
    worked = max(filter(None, [locked.worked_at, when]))
    Lead.objects.filter(pk=locked.pk).update(last_contact_at=latest, worked_at=worked, version=F("version") + 1)
    event(lead=locked, kind=LeadEvent.Kind.CONTACT, actor=actor, when=when, channel=channel, summary=summary[:300],
          contact=contact.pk)
    if locked.status == LeadStatus.NEW:
        Lead.objects.filter(pk=locked.pk).update(status=LeadStatus.CONTACTED)
        event(lead=locked, kind=LeadEvent.Kind.STATUS, actor=actor, when=now, previous=LeadStatus.NEW,
              status=LeadStatus.CONTACTED, reason="", note="")
    if next_step_due is not None and locked.owner_id:
        from kehu.work.services import task_create

        task_create(actor=actor, owner=locked.owner, title=next_step.strip(), due_date=next_step_due,
                    kind="lead_follow_up", source=locked, notes=str(locked))
    return contact


# --- assignment ------------------------------------------------------------------------------------------------------
def rule_for(branch: Branch, *, lock: bool = False) -> AssignmentRule:
    """The branch's assignment rule (made with the defaults on first use), locked when choosing an owner."""
    rule, _created = AssignmentRule.objects.get_or_create(
        branch=branch, defaults={"cap": settings.KEHU_LEADS_CAP, "pool_days": settings.KEHU_LEADS_POOL_DAYS,
                                 "claim_cap": settings.KEHU_LEADS_CLAIM_CAP})
    if lock:
        rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    return rule


def rule_members(rule: AssignmentRule) -> list[User]:
    members = list(rule.members.filter(is_active=True).order_by("pk"))
    if members:
        return members
    return list(User.objects.filter(is_active=True, branches=rule.branch_id, groups__name=Role.ACCOUNT_MANAGER)
                .distinct().order_by("pk"))


def round_robin_pick(*, branch: Branch, lead: Lead | None = None) -> User | None:
    """The owner a route by product or region gives ``lead`` (``assignment.route_pick``), else the next member of
    the branch's rule after the last one given a lead (``least_loaded``: the one holding the fewest open leads, ties
    in that order), skipping those at their cap; None when
    everyone is at the cap (the lead goes to the pool). Runs inside the caller's transaction with the rule locked, so
    two leads created at once go to two people."""
    if lead is not None:
        from .assignment import route_pick

        routed = route_pick(lead=lead)
        if routed is not None:
            return routed
    rule = rule_for(branch, lock=True)
    if not rule.is_active:
        return None
    members = rule_members(rule)
    if not members:
        return None
    ids = [member.pk for member in members]
    start = ids.index(rule.last_assigned_id) + 1 if rule.last_assigned_id in ids else 0
    order = [members[(start + offset) % len(members)] for offset in range(len(members))]
    # loads are counted up to the cap only (a seller may hold tens of thousands of old leads): one small query per
    # member looked at; round-robin usually looks at one
    if rule.strategy == AssignmentRule.Strategy.LEAST_LOADED:
        loads = {member.pk: selectors.open_lead_count(user_id=member.pk, up_to=rule.cap) for member in order}
        order.sort(key=lambda member: loads[member.pk])  # stable: ties keep the round-robin order
    for member in order:
        if selectors.open_lead_count(user_id=member.pk, up_to=rule.cap) < rule.cap:
            AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=member)
            return member
    return None


@transaction.atomic
def lead_assign(*, actor: User, lead: Lead, owner: User | None, expected_version: int | None = None) -> Lead:
    """A manager gives a lead of their branches to someone in their scope (None: back to the pool)."""
    if not selectors.may_assign(actor):
        raise PermissionDenied(_("Only managers assign leads to others."))
    locked = _locked(actor=actor, lead=lead, expected_version=expected_version)
    now = timezone.now()
    if owner is None:
        _to_pool(ids=[(locked.pk, locked.owner_id)], actor=actor, now=now, reason="manager")
        locked.refresh_from_db()
        return locked
    if not owner.is_active or not staff_list(user=actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": [_("Choose an active member of staff in your branches.")]})
    _set_owner(lead=locked, owner=owner, actor=actor, kind=LeadEvent.Kind.ASSIGNED, now=now)
    return locked


def _to_pool(*, ids: Sequence[tuple[int, int | None]], actor: User | None, now: dt.datetime, reason: str,
             days: int | None = None) -> int:
    if not ids:
        return 0
    pks = [pk for pk, _owner in ids]
    names = dict(User.objects.filter(pk__in={owner for _pk, owner in ids if owner}).values_list("pk", "username"))
    changed = Lead.objects.filter(pk__in=pks, owner__isnull=False).update(
        owner=None, pooled_at=now, version=F("version") + 1)
    LeadEvent.objects.bulk_create(
        [LeadEvent(lead_id=pk, kind=LeadEvent.Kind.POOLED, actor=actor, occurred_at=now,
                   data={"previous": names.get(owner, "") if owner else "", "reason": reason, "days": days})
         for pk, owner in ids],
        batch_size=2000)
    return changed


def leads_return_to_pool(*, as_of: dt.datetime | None = None, batch_size: int = 5000) -> int:
    """Open leads whose owner has not worked them (no contact, no new assignment) for their branch's ``pool_days``
    return to the pool: set-based, one SELECT of ids per rule setting and one UPDATE and one INSERT of timeline rows
    per batch. Running it again changes nothing more (the leads are no longer owned). Returns how many returned."""
    now = as_of or timezone.now()
    rules = list(AssignmentRule.objects.values_list("branch_id", "pool_days"))
    custom: dict[int, list[int]] = {}
    for branch_id, days in rules:
        if days != settings.KEHU_LEADS_POOL_DAYS:
            custom.setdefault(days, []).append(branch_id)
    groups: list[tuple[int, Q]] = [(days, Q(branch_id__in=branches)) for days, branches in custom.items()]
    others = [branch for branches in custom.values() for branch in branches]
    groups.append((settings.KEHU_LEADS_POOL_DAYS, ~Q(branch_id__in=others) if others else Q()))
    total = 0
    for days, condition in groups:
        if days <= 0:
            continue
        cutoff = now - dt.timedelta(days=days)
        idle = (Lead.objects.filter(condition, owner__isnull=False, status__in=OPEN_STATUSES)
                .filter(Q(worked_at__lt=cutoff) | Q(worked_at__isnull=True, created_at__lt=cutoff))
                .order_by("pk").values_list("pk", "owner_id"))
        rows = list(idle)
        for start in range(0, len(rows), batch_size):
            with transaction.atomic():
                total += _to_pool(ids=rows[start:start + batch_size], actor=None, now=now, reason="idle", days=days)
    return total


@transaction.atomic
def lead_claim(*, actor: User, lead: Lead) -> Lead:
    """Take a lead from the pool of one's branches, up to the branch's ``claim_cap`` open leads held. Atomic: of two
    people claiming one lead, one wins and the other gets ``LeadConflictError("already_claimed")``."""
    if not selectors.may_work_leads(actor):
        raise PermissionDenied(_("You may not claim leads."))
    if not Lead.objects.visible_to(actor).filter(pk=lead.pk).exists():
        # claimed by someone else a moment ago (it left the pool the actor sees): a conflict, not a missing lead
        from kehu.org.selectors import branch_ids_in_scope

        scope = branch_ids_in_scope(actor)
        taken = Lead.objects.filter(pk=lead.pk, owner__isnull=False)
        if scope is not None:
            taken = taken.filter(branch_id__in=scope)
        if taken.exists():
            raise LeadConflictError("already_claimed", _("This lead is no longer in the pool: someone claimed it."))
        raise Lead.DoesNotExist
    User.objects.select_for_update().filter(pk=actor.pk).first()  # one claim at a time per person: the cap holds
    current = Lead.objects.filter(pk=lead.pk).values("owner_id", "status", "branch_id").first()
    if current is None:
        raise Lead.DoesNotExist
    if current["owner_id"] is not None or current["status"] not in OPEN_STATUSES:
        raise LeadConflictError("already_claimed", _("This lead is no longer in the pool: someone claimed it."))
    branch = Branch.objects.get(pk=current["branch_id"])
    cap = rule_for(branch).claim_cap
    held = Lead.objects.filter(owner=actor, status__in=OPEN_STATUSES).count()
    if held >= cap:
        raise LeadConflictError("claim_cap", _("You already hold %(count)d open leads, the most one may hold when "
                                               "claiming from the pool.") % {"count": held})
    now = timezone.now()
    won = Lead.objects.filter(pk=lead.pk, owner__isnull=True, status__in=OPEN_STATUSES).update(
        owner=actor, assigned_at=now, worked_at=now, pooled_at=None, version=F("version") + 1)
    if not won:
        raise LeadConflictError("already_claimed", _("This lead is no longer in the pool: someone claimed it."))
    claimed = Lead.objects.get(pk=lead.pk)
    event(lead=claimed, kind=LeadEvent.Kind.CLAIMED, actor=actor, when=now, owner=str(actor))
    return claimed


# the staff-leaves hand-over lives in ``handover`` (leads, opportunities, customers, tasks); imported here so that
# ``services.staff_hand_over`` and ``services.leads_hand_over`` keep working
from .handover import leads_hand_over, staff_hand_over  # noqa: E402

__all__ = ["leads_hand_over", "staff_hand_over"]
