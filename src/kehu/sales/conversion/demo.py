"""Demo data of conversion and onboarding (order 127, after the leads and the opportunities): a few qualified leads
converted into customers by their owners, and the newest won opportunities onboarded (their sale recorded as
transactions, the onboarding tasks started, service and finance told), all through the real services."""

from __future__ import annotations

from typing import Any

CONVERTED = 8
ONBOARDED = 6


def load_conversion_demo(*, customers: list[Any], users: dict[str, Any], seed: int) -> int:
    """Returns how many leads were converted and opportunities onboarded."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    from ..models import Lead, Onboarding, Opportunity, OpportunityStatus
    from . import services

    done = 0
    leads = (Lead.objects.filter(status="qualified", owner__isnull=False, owner__is_active=True)
             .select_related("owner").order_by("-created_at")[:CONVERTED * 2])
    for lead in leads:
        if done >= CONVERTED:
            break
        if lead.owner is None:
            continue
        try:
            with transaction.atomic():
                services.lead_convert(actor=lead.owner, lead=lead, create=True)
        except (PermissionDenied, ValidationError, services.ConversionRefused):
            continue
        done += 1
    onboarded = 0
    won = (Opportunity.objects.filter(status=OpportunityStatus.WON, customer__isnull=False)
           .exclude(pk__in=Onboarding.objects.values("opportunity_id")).select_related("owner")
           .order_by("-closed_at")[:ONBOARDED * 2])
    for opportunity in won:
        if onboarded >= ONBOARDED:
            break
        try:
            with transaction.atomic():
                services.opportunity_onboard(actor=opportunity.owner, opportunity=opportunity.pk)
        except (PermissionDenied, ValidationError):
            continue
        onboarded += 1
    return done + onboarded
