"""The lines of a lead's timeline in the request's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import DisqualifyReason, LeadContact, LeadEvent, LeadSource, LeadStatus


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def event_line(event: LeadEvent) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == LeadEvent.Kind.CREATED:
        line = _("Lead created (source: %(source)s)") % {"source": _label(LeadSource, data.get("source", ""))}
        line += f" · {data['campaign']}" if data.get("campaign") else ""
        if data.get("intake"):
            line += " · " + _("web intake form %(form)s") % {"form": data["intake"]}
        duplicate = data.get("duplicate_of") or {}
        if duplicate.get("kind") == "customer":
            line += " · " + _("matches the existing customer %(name)s (no. %(id)s): check before calling") % {
                "name": duplicate.get("name", ""), "id": duplicate.get("id", "")}
        return line
    if kind == LeadEvent.Kind.CONTACT:
        return _("%(channel)s: %(summary)s") % {"channel": _label(LeadContact.Channel, data.get("channel", "")),
                                                 "summary": data.get("summary", "")}
    if kind == LeadEvent.Kind.STATUS:
        line = _("Status: %(previous)s → %(status)s") % {"previous": _label(LeadStatus, data.get("previous", "")),
                                                        "status": _label(LeadStatus, data.get("status", ""))}
        if data.get("reason"):
            line += f" ({_label(DisqualifyReason, data['reason'])})"
        return line + (f" · {data['note']}" if data.get("note") else "")
    if kind == LeadEvent.Kind.ASSIGNED:
        if data.get("reason") == "hand_over":
            return _("Handed over from %(previous)s to %(owner)s (staff leaves)") % data
        return _("Assigned to %(owner)s") % {"owner": data.get("owner", "")}
    if kind == LeadEvent.Kind.CLAIMED:
        return _("Claimed from the pool by %(owner)s") % {"owner": data.get("owner", "")}
    if kind == LeadEvent.Kind.POOLED:
        if data.get("reason") == "idle":
            return _("Returned to the pool: not worked for %(days)s days") % {"days": data.get("days", "?")}
        return _("Put back in the pool by a manager")
    if kind == LeadEvent.Kind.ATTACHED:
        line = _("Came in again (source: %(source)s)") % {"source": _label(LeadSource, data.get("source", ""))}
        extra = [data.get("campaign", ""), ", ".join(data.get("products") or []), data.get("notes", "")]
        return " · ".join([line, *[part for part in extra if part]])
    if kind == LeadEvent.Kind.UPDATED:
        return _("Details changed: %(fields)s") % {"fields": ", ".join(data.get("fields") or [])}
    return kind
