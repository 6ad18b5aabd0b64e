"""Every write of tickets: one transaction each, keyword arguments.

The skeleton's two writers (``ticket_create``, ``ticket_message_add``) are what the other parts of service (e-mail
in, the agent's screen, surveys) build on; the ticket workflow (transitions, assignment, merge) joins them here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.customers.models import Customer
from kehu.org.models import Branch, User

from . import hooks, workflow
from .models import (
    Channel,
    Priority,
    ServiceTeam,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
    TicketType,
)

TIMELINE_KIND = "ticket"


class TransitionRefused(Exception):
    """A move the workflow does not allow (the API answers 409 ``transition_refused`` with the reason)."""

    code = "transition_refused"


class TicketChangedError(ConcurrentUpdateError):
    """The ticket was changed by someone else since the caller read it (the API answers 409 ``version_conflict``
    with this message, pages show it): the ticket's words rather than the customer's of the generic error."""

    def __init__(self, current_version: int) -> None:
        super().__init__(current_version)
        self.args = (_("This ticket was changed by someone else in the meantime. Reload it and apply your change "
                       "again."),)


def tier_priority(tier: str | None, codes: list[str]) -> int:
    """The priority a tier gives: the best tier of the primary scheme high, its lowest low, others normal."""
    if not tier or tier not in codes:
        return int(Priority.NORMAL)
    rank = codes.index(tier)
    if rank == 0:
        return int(Priority.HIGH)
    if rank == len(codes) - 1 and len(codes) > 2:
        return int(Priority.LOW)
    return int(Priority.NORMAL)


def primary_tier_codes() -> list[str]:
    from kehu.scoring.selectors import primary_scheme

    scheme = primary_scheme()
    return [t.code for t in scheme.tiers] if scheme is not None else []


def raised(priority: int, category: TicketCategory | None) -> int:
    if category is not None:
        priority += int(category.priority_raise)
    return max(int(Priority.LOW), min(priority, int(Priority.URGENT)))


def derive_priority(*, customer: Customer | None, category: TicketCategory | None) -> int:
    """The customer's tier in the primary scheme (best tier high, lowest low, others normal; unknown callers and
    customers without a tier normal) raised by the category's ``priority_raise``, capped at urgent."""
    from kehu.customers.models import CustomerTier

    tier = None
    if customer is not None and customer.pk:
        tier = CustomerTier.objects.filter(customer_id=customer.pk).values_list("tier", flat=True).first()
    return raised(tier_priority(tier, primary_tier_codes() if tier else []), category)


def _timeline(ticket: Ticket, *, actor: User | None, event: str, occurred_at=None, **data) -> None:
    if ticket.customer_id is None:
        return
    from kehu.customers.timeline import activity_record

    activity_record(customer=ticket.customer_id, kind=TIMELINE_KIND, occurred_at=occurred_at, actor=actor,
                    branch_id=ticket.branch_id, subject=ticket,
                    data={"event": event, "number": ticket.number, "subject": ticket.subject,
                          "type": ticket.type, **data})


def _locked(*, actor: User | None, ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """The ticket locked for a change, after checking that the actor may change it (else PermissionDenied) and,
    with ``expected_version``, that nobody changed it since (else ConcurrentUpdateError). ``actor`` None is the
    system itself (e-mail in reopening a ticket the customer answered): no scope to check."""
    if actor is not None and not Ticket.objects.visible_to(actor, "change").filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You may not change this ticket."))
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise TicketChangedError(locked.version)
    return locked


@transaction.atomic
def ticket_create(
    *,
    actor: User | None,
    type: str,
    channel: str,
    subject: str,
    description: str = "",
    customer: Customer | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    caller_email: str = "",
    category: TicketCategory | None = None,
    team: ServiceTeam | None = None,
    assignee: User | None = None,
    priority: int | None = None,
    branch: Branch | None = None,
    created_at=None,
) -> Ticket:
    """Record a new ticket (status received) for a customer or an unknown caller. Its branch is the customer's,
    else the team's, else the given one. Listeners (SLA targets, the timeline) run in the same transaction."""
    if type not in TicketType.values:
        raise ValidationError({"type": _("Unknown ticket type.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("A subject is required.")})
    if customer is None and not (caller_name or caller_phone or caller_email):
        raise ValidationError({"customer": _("Name the customer, or the caller's name, number or e-mail.")})
    if customer is not None:
        branch = customer.branch
    elif team is not None:
        branch = team.branch
    if branch is None:
        raise PermissionDenied(_("The ticket needs a customer, a team or a branch."))
    ticket = Ticket.objects.create(
        type=type,
        channel=channel,
        subject=subject[:200],
        description=description,
        customer=customer,
        caller_name=caller_name,
        caller_phone=caller_phone,
        caller_email=caller_email,
        category=category,
        team=team,
        assignee=assignee,
        priority=priority or derive_priority(customer=customer, category=category),
        branch=branch,
        created_by=actor if actor is not None and actor.pk else None,
        created_at=created_at or timezone.now(),
    )
    TicketStatusChange.objects.create(
        ticket=ticket, from_status="", to_status=ticket.status, actor=ticket.created_by, created_at=ticket.created_at
    )
    _timeline(ticket, actor=actor, event="created", occurred_at=ticket.created_at, channel=ticket.channel)
    hooks.ticket_changed(ticket=ticket, event="created", actor=actor)
    return ticket


@transaction.atomic
def ticket_message_add(
    *,
    ticket: Ticket,
    kind: str,
    body: str,
    author: User | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    created_at=None,
) -> TicketMessage:
    """Add a reply, an internal note or the customer's inbound message. The first reply to the customer is the
    ticket's first response."""
    if kind not in TicketMessage.Kind.values:
        raise ValidationError({"kind": _("Unknown message kind.")})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("The message is empty.")})
    now = created_at or timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        body=body,
        author=author,
        message_id=message_id,
        in_reply_to=in_reply_to,
        created_at=now,
    )
    if kind == TicketMessage.Kind.REPLY and ticket.first_response_at is None:
        Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=now)
        ticket.first_response_at = now
    hooks.ticket_changed(ticket=ticket, event="message", actor=author)
    return message


@transaction.atomic
def ticket_transition(*, actor: User | None, ticket: Ticket, to: str, comment: str = "",
                      expected_version: int | None = None) -> Ticket:
    """Move a ticket along its workflow (``workflow``). A move not allowed raises TransitionRefused with the reason;
    ``reviewed`` needs ``service.review_ticket``. Reopening counts in ``reopened``; the history, the customer's
    timeline and the listeners (event ``status``) are written in the same transaction."""
    locked = _locked(actor=actor, ticket=ticket, expected_version=expected_version)
    from_status = locked.status
    reason = workflow.refusal(locked.type, from_status, to)
    if reason is not None:
        raise TransitionRefused(reason)
    if to == TicketStatus.REVIEWED and (actor is None or not actor.has_perm("service.review_ticket")):
        raise PermissionDenied(_("Only supervisors review complaints."))
    comment = (comment or "").strip()[:5000]
    now = timezone.now()
    locked.status = to
    if workflow.is_reopen(locked.type, from_status, to):
        locked.reopened += 1
        locked.resolved_at = None
        locked.closed_at = None
    if to == TicketStatus.RESOLVED:
        locked.resolved_at = now
    if to == TicketStatus.CLOSED:
        locked.closed_at = now
    locked.version += 1
    locked.save(update_fields=["status", "reopened", "resolved_at", "closed_at", "version", "updated_at"])
    TicketStatusChange.objects.create(ticket=locked, from_status=from_status, to_status=to, actor=actor,
                                      comment=comment, created_at=now)
    _timeline(locked, actor=actor, event="status", occurred_at=now, from_status=from_status, to_status=to)
    hooks.ticket_changed(ticket=locked, event="status", actor=actor, from_status=from_status)
    return locked


@transaction.atomic
def ticket_update(*, actor: User, ticket: Ticket, expected_version: int | None, **changes) -> Ticket:
    """Change a ticket's subject, description, category, priority, team or assignee (optimistic: a stale
    ``expected_version`` raises ConcurrentUpdateError). A new priority or assignee tells the listeners (events
    ``priority`` / ``assigned``)."""
    allowed = {"subject", "description", "category", "priority", "team", "assignee"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    locked = _locked(actor=actor, ticket=ticket, expected_version=expected_version)
    if locked.status == TicketStatus.MERGED:
        raise TransitionRefused(_("This ticket was merged into another one: work on that ticket."))
    if "subject" in changes:
        changes["subject"] = (changes["subject"] or "").strip()[:200]
        if not changes["subject"]:
            raise ValidationError({"subject": _("A subject is required.")})
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    team = changes.get("team", locked.team)
    assignee = changes.get("assignee", locked.assignee)
    if team is not None and "team" in changes and team.branch_id != locked.branch_id:
        from kehu.org.selectors import branch_ids_in_scope

        scope = branch_ids_in_scope(actor)
        if scope is not None and team.branch_id not in scope:
            raise ValidationError({"team": _("Choose a team of your branches.")})
    if assignee is not None and "assignee" in changes and not assignee.is_active:
        raise ValidationError({"assignee": _("Choose an active member of staff.")})
    old_priority, old_assignee = locked.priority, locked.assignee_id
    fields = []
    for name, value in changes.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            fields.append(name)
    if not fields:
        return locked
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    if locked.priority != old_priority:
        hooks.ticket_changed(ticket=locked, event="priority", actor=actor)
    if locked.assignee_id != old_assignee:
        hooks.ticket_changed(ticket=locked, event="assigned", actor=actor)
    return locked


def ticket_assign(*, actor: User, ticket: Ticket, assignee: User | None, team: ServiceTeam | None = None,
                  expected_version: int | None = None) -> Ticket:
    changes: dict = {"assignee": assignee}
    if team is not None:
        changes["team"] = team
    return ticket_update(actor=actor, ticket=ticket, expected_version=expected_version, **changes)


@transaction.atomic
def ticket_merge(*, actor: User, keep: Ticket, merge: Ticket) -> Ticket:
    """Merge the duplicate ``merge`` into ``keep``: its messages move to ``keep``, it gets status ``merged`` and
    ``merged_into`` (its history stays), a note on ``keep`` says so. Both must be open to the actor's changes."""
    if not actor.has_perm("service.merge_ticket"):
        raise PermissionDenied(_("You may not merge tickets."))
    if keep.pk == merge.pk:
        raise ValidationError({"merge": _("A ticket cannot be merged into itself.")})
    first, second = sorted([keep, merge], key=lambda t: t.pk)  # lock in one order: no deadlock
    locked = {t.pk: _locked(actor=actor, ticket=t) for t in (first, second)}
    kept, merged = locked[keep.pk], locked[merge.pk]
    if TicketStatus.MERGED in (kept.status, merged.status):
        raise TransitionRefused(_("A merged ticket cannot be merged again."))
    if kept.customer_id and merged.customer_id and kept.customer_id != merged.customer_id:
        raise ValidationError({"merge": _("Only tickets of the same customer can be merged.")})
    now = timezone.now()
    moved = TicketMessage.objects.filter(ticket=merged).update(ticket=kept)
    from_status = merged.status
    merged.status, merged.merged_into = TicketStatus.MERGED, kept
    merged.version += 1
    merged.save(update_fields=["status", "merged_into", "version", "updated_at"])
    TicketStatusChange.objects.create(ticket=merged, from_status=from_status, to_status=TicketStatus.MERGED,
                                      actor=actor, comment=kept.number, created_at=now)
    TicketMessage.objects.create(ticket=kept, kind=TicketMessage.Kind.NOTE, author=actor, created_at=now,
                                 body=_("%(number)s (%(subject)s) was merged into this ticket; %(count)s messages "
                                        "moved here.") % {"number": merged.number, "subject": merged.subject,
                                                          "count": moved})
    Ticket.objects.filter(pk=kept.pk).update(version=F("version") + 1)
    kept.version += 1
    _timeline(merged, actor=actor, event="merged", occurred_at=now, into=kept.number)
    hooks.ticket_changed(ticket=merged, event="status", actor=actor, from_status=from_status)
    return kept
