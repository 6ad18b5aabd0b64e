"""Reads of conversion: the customers a lead matches (again, at conversion), the conversion of a lead, the
onboarding of an opportunity."""

from __future__ import annotations

from django.db.models import Q

from kehu.customers.models import Customer
from kehu.org.models import User

from .. import selectors as lead_selectors
from ..models import Lead, LeadConversion, LeadKind, Onboarding, Opportunity
from ..selectors import LeadMatch

MATCH_LIMIT = 10


def customer_matches(*, user: User, lead: Lead) -> list[LeadMatch]:
    """Customers the lead matches: by mobile, e-mail or credit code (the leads' duplicate matching,
    ``sales.selectors.lead_matches``, its customer part) and by name and company (an organisation lead: an
    organisation customer named as its company; a person lead: a person of that name whose employer is the
    company). Matches outside the user's scope come as kind and id only, as at lead creation."""
    matches = [match for match in lead_selectors.lead_matches(
        user=user, name=lead.name, mobile=lead.mobile, email=lead.email, credit_code=lead.credit_code,
        company=lead.company, exclude_lead=lead.pk, limit=MATCH_LIMIT) if match.kind == "customer"]
    company = lead.company.strip()
    if company:
        if lead.kind == LeadKind.ORGANISATION:
            condition = Q(kind="organisation", name=company)
        else:
            condition = Q(kind="person", name=lead.name.strip(), person__employer=company)
        known = {match.id: match for match in matches}
        rows = list(Customer.objects.filter(condition).exclude(pk__in=list(known)).order_by("-id")
                    .values_list("pk", flat=True)[:MATCH_LIMIT])
        if rows:
            visible = dict(Customer.objects.visible_to(user).filter(pk__in=rows).values_list("pk", "name"))
            for pk in rows:
                matches.append(LeadMatch("customer", pk, ["name_company"], pk in visible, visible.get(pk, "")))
    return matches


def lead_conversion(*, lead: Lead) -> LeadConversion | None:
    return LeadConversion.objects.filter(lead=lead).select_related("customer").first()


def opportunity_onboarding(*, opportunity: Opportunity) -> Onboarding | None:
    return Onboarding.objects.filter(opportunity=opportunity).first()
