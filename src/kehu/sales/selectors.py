"""Reads of sales: leads in the user's scope, the duplicate matches of a prospect, a lead's timeline, the pool."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.roles import Role
from kehu.org.selectors import user_is_read_only, user_roles

from .models import OPEN_STATUSES, HandOver, Lead, LeadEvent

# reasons a stored customer or open lead matches a prospect; the first three are "hard" (the API's 409)
HARD_REASONS = ("mobile", "email", "credit_code")


@dataclass
class LeadMatch:
    """A stored customer or open lead that looks like the prospect: ``kind`` ("customer" | "lead"), ``id`` and why.
    ``visible`` says whether the user may see it (only then are its name and owner shown)."""

    kind: str
    id: int
    reasons: list[str] = field(default_factory=list)
    visible: bool = False
    label: str = ""
    owner: str = ""

    @property
    def hard(self) -> bool:
        return any(reason in HARD_REASONS for reason in self.reasons)


def normalised_identifiers(*, mobile: str = "", email: str = "", credit_code: str = "") -> dict[str, str]:
    """The usable identifiers of the input, normalised as stored; unusable values are left out (the service
    reports them as invalid)."""
    from kehu.core.validators import normalize_credit_code, normalize_mobile, validate_email

    wanted: dict[str, str] = {}
    if mobile and mobile.strip():
        with contextlib.suppress(ValidationError):
            wanted["mobile"] = normalize_mobile(mobile)
    if email and email.strip():
        with contextlib.suppress(ValidationError):
            wanted["email"] = validate_email(email)
    if credit_code and credit_code.strip():
        wanted["credit_code"] = normalize_credit_code(credit_code)
    return wanted


def lead_matches(*, user: User, name: str = "", mobile: str = "", email: str = "", credit_code: str = "",
                 company: str = "", exclude_lead: int | None = None, limit: int = 10) -> list[LeadMatch]:
    """Customers and open leads matching the prospect by mobile, e-mail or credit code (and open leads by name and
    company). Two queries for customers and one for leads, each on indexed equality.

    Matches outside the user's scope are reported too, as kind and id only (no name, no owner): two salespeople must
    not chase one person, and a lead owned by someone else is taken only through that owner's manager."""
    wanted = normalised_identifiers(mobile=mobile, email=email, credit_code=credit_code)
    matches: list[LeadMatch] = []
    if wanted:
        condition = Q(pk__in=[])
        if "mobile" in wanted:
            condition |= Q(mobile=wanted["mobile"])
        if "email" in wanted:
            condition |= Q(email=wanted["email"])
        if "credit_code" in wanted:
            condition |= Q(organisation__credit_code=wanted["credit_code"])
        rows: list[dict[str, Any]] = [dict(row) for row in Customer.objects.filter(condition).order_by("-id")
                                      .values("id", "mobile", "email", "organisation__credit_code")[:limit]]
        visible = set(Customer.objects.visible_to(user).filter(pk__in=[row["id"] for row in rows])
                      .values_list("pk", flat=True)) if rows else set()
        labels = dict(Customer.objects.filter(pk__in=visible).values_list("pk", "name")) if visible else {}
        for row in rows:
            reasons = [key for key, column in (("mobile", "mobile"), ("email", "email"),
                                                ("credit_code", "organisation__credit_code"))
                       if key in wanted and row[column] == wanted[key]]
            matches.append(LeadMatch("customer", row["id"], reasons, row["id"] in visible,
                                     labels.get(row["id"], "")))
    condition = Q(pk__in=[])
    for key in ("mobile", "email", "credit_code"):
        if key in wanted:
            condition |= Q(**{key: wanted[key]})
    if name.strip() and company.strip():
        condition |= Q(name=name.strip(), company=company.strip())
    leads = Lead.objects.filter(condition, status__in=OPEN_STATUSES)
    if exclude_lead:
        leads = leads.exclude(pk=exclude_lead)
    lead_rows = list(leads.select_related("owner").order_by("-id")[:limit])
    if lead_rows:
        visible_leads = set(Lead.objects.visible_to(user).filter(pk__in=[lead.pk for lead in lead_rows])
                            .values_list("pk", flat=True))
        for lead in lead_rows:
            reasons = [key for key in ("mobile", "email", "credit_code") if wanted.get(key) and getattr(lead, key)
                       == wanted[key]]
            if name.strip() and company.strip() and (lead.name, lead.company) == (name.strip(), company.strip()):
                reasons.append("name_company")
            seen = lead.pk in visible_leads
            matches.append(LeadMatch("lead", lead.pk, reasons, seen, str(lead) if seen else "",
                                     str(lead.owner) if seen and lead.owner_id else ""))
    return matches


def may_work_leads(user: User) -> bool:
    """Whether the user works leads at all (creates, logs contacts, claims): not auditors."""
    return (not user_is_read_only(user)) and user.has_perm("sales.change_lead")


def may_assign(user: User) -> bool:
    return may_work_leads(user) and user.has_perm("sales.assign_lead")


def is_salesperson(user: User) -> bool:
    return Role.ACCOUNT_MANAGER in user_roles(user)


LEAD_SORTS = {"new": ("-created_at", "-id"), "old": ("created_at", "id"), "name": ("name", "id"),
              "worked": ("worked_at", "id")}


def lead_list(*, user: User, q: str = "", status: str = "", source: str = "", owner_id: int | None = None,
              pool: bool = False, open_only: bool = False, sort: str = "new") -> QuerySet[Lead]:
    """Leads the user may see, filtered; ``q`` searches name and company (prefix), mobile (digits, as stored) and
    e-mail. ``pool``: only leads without an owner."""
    leads = Lead.objects.visible_to(user)
    if q := q.strip():
        condition = Q(name__startswith=q) | Q(company__startswith=q) | Q(email=q.lower())
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(mobile__endswith=digits)
        leads = leads.filter(condition)
    if status:
        leads = leads.filter(status=status)
    if open_only:
        leads = leads.filter(status__in=OPEN_STATUSES)
    if source:
        leads = leads.filter(source=source)
    if pool:
        leads = leads.filter(owner__isnull=True)
    elif owner_id:
        leads = leads.filter(owner_id=owner_id)
    return leads.select_related("owner", "branch").order_by(*LEAD_SORTS.get(sort, LEAD_SORTS["new"]))


def lead_get(*, user: User, pk: int) -> Lead:
    """A lead the user may see (``Lead.DoesNotExist`` otherwise: a 404, like one that does not exist)."""
    return (Lead.objects.visible_to(user).select_related("owner", "branch", "created_by")
            .prefetch_related("products").get(pk=pk))


def lead_may_change(*, user: User, lead: Lead) -> bool:
    return Lead.objects.visible_to(user, "change").filter(pk=lead.pk).exists()


def lead_works(*, user: User, lead: Lead) -> bool:
    """Whether the user works this lead (may change it): its owner, a branch manager of its branch, an
    administrator. Decided from the user's cached roles and branches, no query per lead. Only they see its mobile
    and e-mail in full; everyone else (the pool before claiming, auditors, marketers) sees them masked."""
    from kehu.org.selectors import branch_ids_in_scope

    if not may_work_leads(user):
        return False
    roles = user_roles(user)
    if Role.ADMINISTRATOR in roles or user.is_superuser or lead.owner_id == user.pk:
        return True
    if Role.BRANCH_MANAGER in roles:
        ids = branch_ids_in_scope(user)
        return ids is None or lead.branch_id in ids
    return False


def lead_events(*, lead: Lead, limit: int = 50) -> list[LeadEvent]:
    return list(LeadEvent.objects.filter(lead=lead).select_related("actor").order_by("-occurred_at", "-id")[:limit])


def open_lead_count(*, user_id: int, up_to: int) -> int:
    """Open leads a user holds, counted up to ``up_to`` (a bounded scan of the owner/status index)."""
    return Lead.objects.filter(owner_id=user_id, status__in=OPEN_STATUSES).values("pk")[:up_to].count()


def staff_in_scope(*, user: User) -> QuerySet[User]:
    """Staff of the user's branches, active or not (someone who has left may already be deactivated)."""
    from kehu.org.selectors import branch_ids_in_scope

    ids = branch_ids_in_scope(user)
    staff = User.objects.all() if ids is None else User.objects.filter(branches__in=ids)
    return staff.distinct().order_by("username")


def hand_over_counts(*, user: User, leaving: User) -> dict[str, int]:
    """What a hand-over by ``user`` would move: open leads and opportunities, customers owned, open tasks (four
    COUNTs)."""
    from kehu.work.models import Task

    from .models import Opportunity, OpportunityStatus

    return {
        "leads": Lead.objects.visible_to(user, "change").filter(owner=leaving, status__in=OPEN_STATUSES).count(),
        "opportunities": Opportunity.objects.visible_to(user, "change").filter(
            owner=leaving, status=OpportunityStatus.OPEN).count(),
        "customers": Customer.objects.visible_to(user, "change").filter(owner=leaving).count(),
        "tasks": Task.objects.visible_to(user, "change").filter(owner=leaving, status=Task.Status.OPEN).count(),
    }


def hand_over_list(*, user: User, limit: int = 20) -> list[HandOver]:
    """The newest hand-overs of staff in the user's scope."""
    return list(HandOver.objects.filter(leaving__in=staff_in_scope(user=user))
                .select_related("leaving", "leads_to", "customers_to", "tasks_to", "actor")
                .order_by("-created_at", "-id")[:limit])
