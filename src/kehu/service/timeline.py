"""The ``ticket`` kind of the customer timeline (registered in ``ServiceConfig.ready``): created, status changes,
merged."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind

from .models import TicketStatus, TicketType


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _ticket_title(activity: Any) -> str:
    data = activity.data or {}
    values = {"number": data.get("number", ""), "subject": data.get("subject", ""),
              "type": _label(TicketType, data.get("type", ""))}
    event = data.get("event", "")
    if event == "status":
        values.update({"from": _label(TicketStatus, data.get("from_status", "")),
                       "to": _label(TicketStatus, data.get("to_status", ""))})
        return gettext("Ticket %(number)s: %(from)s → %(to)s") % values
    if event == "merged":
        values["into"] = data.get("into", "")
        return gettext("Ticket %(number)s merged into %(into)s") % values
    return gettext("%(type)s %(number)s received: %(subject)s") % values


# tickets (their subjects) only to those who may see tickets: a marketer sees the customer, not its tickets
TICKET_KIND = TimelineKind("ticket", _("Ticket"), _ticket_title, permission="service.view_ticket")
