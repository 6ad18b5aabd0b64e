"""The demo's SLA (demo step ``sla``, order 131, after the tickets): default policies by tier and priority when there
are none, the demo tickets' clocks (due times and warning points counted in each branch's business hours) and the
breaches of the past year recorded as the check job would have (no notifications: those moments have passed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

# (name, tier: "best" = the primary scheme's best tier, priority, type, first response, resolution in business minutes)
DEFAULT_POLICIES: list[tuple[str, str, int | None, str, int, int]] = [
    ("紧急工单", "", 4, "", 30, 240),
    ("高优先级工单", "", 3, "", 60, 480),
    ("普通工单", "", 2, "", 120, 1440),
    ("低优先级工单", "", 1, "", 240, 2880),
    ("投诉（通用）", "", None, "complaint", 60, 960),
    ("最高等级客户", "best", None, "", 30, 480),
    ("最高等级客户的投诉", "best", None, "complaint", 15, 240),
]


def default_policies_create() -> int:
    """The default policies, when no policy exists yet (an administrator's own are never touched). Returns how many
    were written."""
    from kehu.service.models import SlaPolicy
    from kehu.service.services import primary_tier_codes

    if SlaPolicy.objects.exists():
        return 0
    codes = primary_tier_codes()
    best = codes[0] if codes else ""
    rows = [SlaPolicy(name=name, tier=best if tier == "best" else tier, priority=priority, type=kind,
                      first_response_minutes=response, resolution_minutes=resolution)
            for name, tier, priority, kind, response, resolution in DEFAULT_POLICIES if tier != "best" or best]
    SlaPolicy.objects.bulk_create(rows)
    return len(rows)


def load_sla_demo(*, customers: list[Any], users: dict[str, Any], seed: int) -> int:
    """Policies, then every ticket without a clock gets one (bulk) and its past breaches. Returns the clocks set."""
    from kehu.customers.models import CustomerTier
    from kehu.service.models import SlaEvent, SlaPolicy, Ticket, TicketSla

    from .calendars import branch_calendar, compile_calendar
    from .clock import add_business_time
    from .services import policy_for

    default_policies_create()
    policies = list(SlaPolicy.objects.filter(active=True))
    from django.db.models import Q

    # tickets without a clock, or with an empty one (written when no policy existed yet)
    tickets = list(Ticket.objects.filter(Q(sla__isnull=True) | Q(sla__policy__isnull=True)).only(
        "id", "type", "priority", "branch_id", "customer_id", "created_at", "first_response_at", "resolved_at",
        "status"))
    if not tickets or not policies:
        return 0
    tiers = dict(CustomerTier.objects.filter(customer_id__in={t.customer_id for t in tickets if t.customer_id})
                 .values_list("customer_id", "tier"))
    specs: dict[int | None, tuple[Any, Any]] = {}
    now = timezone.now()
    clocks, events = [], []
    for ticket in tickets:
        if ticket.branch_id not in specs:
            calendar = branch_calendar(ticket.branch_id)
            specs[ticket.branch_id] = (calendar, compile_calendar(calendar))
        calendar, spec = specs[ticket.branch_id]
        tier = tiers.get(ticket.customer_id, "") if ticket.customer_id else ""
        policy = policy_for(tier=tier, priority=ticket.priority, type=ticket.type, policies=policies)
        if policy is None:
            continue
        start, share = ticket.created_at, policy.warn_percent / 100
        ticket.first_response_due = add_business_time(start, policy.first_response_minutes, spec)
        ticket.resolution_due = add_business_time(start, policy.resolution_minutes, spec)
        clocks.append(TicketSla(
            ticket=ticket, policy=policy, calendar=calendar, tier=tier, computed_at=now,
            response_warn_at=add_business_time(start, policy.first_response_minutes * share, spec),
            resolution_warn_at=add_business_time(start, policy.resolution_minutes * share, spec)))
        for kind, due, done in ((SlaEvent.Kind.BREACH_RESPONSE, ticket.first_response_due, ticket.first_response_at),
                                (SlaEvent.Kind.BREACH_RESOLUTION, ticket.resolution_due, ticket.resolved_at)):
            if due <= now and (done is None or done > due) and _counts(ticket, kind, done):
                events.append(SlaEvent(ticket=ticket, kind=kind, at=due, recorded_at=min(now, due + dt.timedelta(
                    minutes=5))))
    Ticket.objects.bulk_update([clock.ticket for clock in clocks], ["first_response_due", "resolution_due"],
                               batch_size=2000)
    TicketSla.objects.filter(ticket_id__in=[clock.ticket.pk for clock in clocks]).delete()
    TicketSla.objects.bulk_create(clocks, batch_size=2000)
    SlaEvent.objects.bulk_create(events, batch_size=2000, ignore_conflicts=True)
    return len(clocks)


def _counts(ticket: Any, kind: str, done: dt.datetime | None) -> bool:
    """An undone target counts as breached only while the ticket is open (the job looks at open tickets only)."""
    from kehu.service.models.tickets import OPEN_STATUSES

    return done is not None or ticket.status in OPEN_STATUSES
