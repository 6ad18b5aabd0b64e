"""SLA writes: a ticket's targets (the ``sla`` ticket listener) and the ``sla-check`` job.

The job is set-based: four ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` statements (PostgreSQL and SQLite
3.35+) record the breaches and warnings not recorded yet — the unique constraint on (ticket, kind) makes a second
run, or two runs at once, write nothing — and only the tickets of the rows just written are notified: the assignee
of a warning, the team lead of a breach (the escalation), with ``notification_send`` and a dedupe key."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import ngettext

from kehu.service.models import SlaEvent, SlaPolicy, Ticket, TicketSla
from kehu.service.models.tickets import OPEN_STATUSES

from .calendars import branch_calendar, compile_calendar
from .clock import add_business_time

NOTIFICATION_WARNING = "sla_warning"
NOTIFICATION_BREACH = "sla_breach"
SINGLE_NOTIFICATIONS = 5  # more new events than this for one person in one run: one digest message


def ticket_tier(ticket: Ticket) -> str:
    if not ticket.customer_id:
        return ""
    from kehu.customers.models import CustomerTier

    return CustomerTier.objects.filter(customer_id=ticket.customer_id).values_list("tier", flat=True).first() or ""


def policy_for(*, tier: str, priority: int | None, type: str, policies: list[SlaPolicy] | None = None
               ) -> SlaPolicy | None:
    """The most specific active policy matching the tier, priority and type (``None`` when none matches)."""
    if policies is None:
        policies = list(SlaPolicy.objects.filter(active=True))
    matching = [policy for policy in policies if policy.active
                and (not policy.tier or policy.tier == tier)
                and (policy.priority is None or policy.priority == priority)
                and (not policy.type or policy.type == type)]
    if not matching:
        return None
    return max(matching, key=lambda policy: (policy.specificity, -policy.pk))


@transaction.atomic
def ticket_sla_apply(*, ticket: Ticket) -> TicketSla:
    """Set the ticket's first response and resolution due times from its policy, counted in its branch's business
    hours from the time it was received, and the warning points; keep the policy and calendar used."""
    tier = ticket_tier(ticket)
    policy = policy_for(tier=tier, priority=ticket.priority, type=ticket.type)
    calendar = branch_calendar(ticket.branch_id)
    values: dict[str, dt.datetime | None] = dict.fromkeys(
        ["first_response_due", "resolution_due", "response_warn_at", "resolution_warn_at"])
    if policy is not None:
        spec = compile_calendar(calendar)
        start = ticket.created_at
        values["first_response_due"] = add_business_time(start, policy.first_response_minutes, spec)
        values["resolution_due"] = add_business_time(start, policy.resolution_minutes, spec)
        share = policy.warn_percent / 100
        values["response_warn_at"] = add_business_time(start, policy.first_response_minutes * share, spec)
        values["resolution_warn_at"] = add_business_time(start, policy.resolution_minutes * share, spec)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=values["first_response_due"],
                                               resolution_due=values["resolution_due"])
    ticket.first_response_due = values["first_response_due"]
    ticket.resolution_due = values["resolution_due"]
    sla, _created = TicketSla.objects.update_or_create(
        ticket=ticket,
        defaults={"policy": policy, "calendar": calendar, "tier": tier, "computed_at": timezone.now(),
                  "response_warn_at": values["response_warn_at"],
                  "resolution_warn_at": values["resolution_warn_at"]},
    )
    return sla


def sla_ticket_listener(*, ticket: Ticket, event: str, from_status: str = "", actor=None) -> None:
    """The ``sla`` ticket listener: targets on creation and when the priority changes; a late first response or
    resolution recorded as its breach."""
    if event in {"created", "priority"}:
        ticket_sla_apply(ticket=ticket)
    elif event in {"message", "status"}:
        late_breaches_record(ticket=ticket)


def late_breaches_record(*, ticket: Ticket) -> int:
    """A first response or resolution made after its due time gives its breach event (at the due time), like the
    check job's for one still awaited, when the job had not written it (the answer came between two runs). No
    notification: the ticket has been answered. Returns the events written (0 or 1 each; a second call none)."""
    now = timezone.now()
    targets = ((SlaEvent.Kind.BREACH_RESPONSE, ticket.first_response_due, ticket.first_response_at),
               (SlaEvent.Kind.BREACH_RESOLUTION, ticket.resolution_due, ticket.resolved_at))
    rows = [SlaEvent(ticket_id=ticket.pk, kind=kind, at=due, recorded_at=now)
            for kind, due, done in targets
            if due is not None and done is not None and done > due]
    if not rows:
        return 0
    existing = set(SlaEvent.objects.filter(ticket_id=ticket.pk, kind__in=[row.kind for row in rows])
                   .values_list("kind", flat=True))
    rows = [row for row in rows if row.kind not in existing]
    SlaEvent.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- the check job -------------------------------------------------------------------------------------------------
@dataclass
class SlaCheckResult:
    warnings: int = 0
    breaches: int = 0
    notified: int = 0


def _insert_events(cursor, *, kind: str, at_column: str, where: str, params: list, join: str = "") -> list[int]:
    ticket, event = Ticket._meta.db_table, SlaEvent._meta.db_table
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    sql = (
        f"INSERT INTO {event} (ticket_id, kind, at, recorded_at) "
        f"SELECT t.id, %s, {at_column}, %s FROM {ticket} t {join} "
        f"WHERE t.status IN ({statuses}) AND {where} "
        f"AND NOT EXISTS (SELECT 1 FROM {event} e WHERE e.ticket_id = t.id AND e.kind = %s) "
        f"ON CONFLICT (ticket_id, kind) DO NOTHING RETURNING ticket_id"
    )
    cursor.execute(sql, [kind, params[0], *[str(s) for s in OPEN_STATUSES], *params[1:], kind])
    return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def sla_check(*, now: dt.datetime | None = None) -> SlaCheckResult:
    """Record the warnings and breaches due at ``now`` (default: now) not recorded yet, and notify. Safe to run
    twice, and two runs at once (PostgreSQL: an advisory lock serialises them; the unique constraint in any case)."""
    now = now or timezone.now()
    moment = connection.ops.adapt_datetimefield_value(now)  # SQLite compares text: the stored format
    sla = TicketSla._meta.db_table
    join = f"JOIN {sla} s ON s.ticket_id = t.id"
    new: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7315, 1])
        new[SlaEvent.Kind.BREACH_RESPONSE] = _insert_events(
            cursor, kind=SlaEvent.Kind.BREACH_RESPONSE, at_column="t.first_response_due",
            where="t.first_response_at IS NULL AND t.first_response_due <= %s", params=[moment, moment])
        new[SlaEvent.Kind.BREACH_RESOLUTION] = _insert_events(
            cursor, kind=SlaEvent.Kind.BREACH_RESOLUTION, at_column="t.resolution_due",
            where="t.resolved_at IS NULL AND t.resolution_due <= %s", params=[moment, moment])
        new[SlaEvent.Kind.WARN_RESPONSE] = _insert_events(
            cursor, kind=SlaEvent.Kind.WARN_RESPONSE, at_column="s.response_warn_at", join=join,
            where="t.first_response_at IS NULL AND s.response_warn_at <= %s AND t.first_response_due > %s",
            params=[moment, moment, moment])
        new[SlaEvent.Kind.WARN_RESOLUTION] = _insert_events(
            cursor, kind=SlaEvent.Kind.WARN_RESOLUTION, at_column="s.resolution_warn_at", join=join,
            where="t.resolved_at IS NULL AND s.resolution_warn_at <= %s AND t.resolution_due > %s",
            params=[moment, moment, moment])
    result = SlaCheckResult(
        warnings=len(new[SlaEvent.Kind.WARN_RESPONSE]) + len(new[SlaEvent.Kind.WARN_RESOLUTION]),
        breaches=len(new[SlaEvent.Kind.BREACH_RESPONSE]) + len(new[SlaEvent.Kind.BREACH_RESOLUTION]),
    )
    result.notified = _notify(new, now=now)
    return result


def _ticket_url(ticket_id: int) -> str:
    try:
        return reverse("service:ticket", args=[ticket_id])
    except NoReverseMatch:
        return reverse("service:sla_report")


def _notify(new: dict[str, list[int]], *, now: dt.datetime) -> int:
    """Warnings to the assignee (else the team lead), breaches to the team lead (else the assignee)."""
    from kehu.org.models import User
    from kehu.work.services import notification_send

    by_person: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for kind, ids in new.items():
        breach = kind.startswith("breach")
        for start in range(0, len(ids), 5000):
            rows = Ticket.objects.filter(pk__in=ids[start:start + 5000]).values_list(
                "pk", "subject", "assignee_id", "team__lead_id")
            for pk, subject, assignee_id, lead_id in rows:
                person = (lead_id or assignee_id) if breach else (assignee_id or lead_id)
                if person:
                    by_person[(person, kind)].append((pk, subject))
    if not by_person:
        return 0
    users = User.objects.in_bulk({person for person, _kind in by_person})
    labels = dict(SlaEvent.Kind.choices)
    sent = 0
    for (person, kind), tickets in by_person.items():
        user = users.get(person)
        if user is None:
            continue
        notification_kind = NOTIFICATION_BREACH if kind.startswith("breach") else NOTIFICATION_WARNING
        if len(tickets) <= SINGLE_NOTIFICATIONS:
            for pk, subject in tickets:
                sent += notification_send(
                    recipients=[user], kind=notification_kind, url=_ticket_url(pk),
                    title=f"{labels[kind]}: T{pk:07d} {subject}", dedupe_key=f"sla:{kind}:{pk}")
        else:
            numbers = ", ".join(f"T{pk:07d}" for pk, _subject in tickets[:50])
            title = ngettext("%(kind)s: %(count)d ticket", "%(kind)s: %(count)d tickets", len(tickets)) % {
                "kind": labels[kind], "count": len(tickets)}
            sent += notification_send(
                recipients=[user], kind=notification_kind, title=title,
                body=numbers + (" …" if len(tickets) > 50 else ""), url=reverse("service:sla_report"),
                dedupe_key=f"sla:{kind}:{now.isoformat()}:{tickets[0][0]}")
    return sent


def summary_line(result: SlaCheckResult) -> str:
    """The job's last line (not translated: scripts read it)."""
    return f"sla warnings {result.warnings}, breaches {result.breaches}"
