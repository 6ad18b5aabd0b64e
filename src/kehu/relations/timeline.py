"""The relations app's timeline kind (registered in ``RelationsConfig.ready``): contacts, events and gifts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _contact_title(activity: Any) -> str:
    from .models import ContactChannel, Direction

    data = activity.data
    values = {"channel": dict(ContactChannel.choices).get(data["channel"], data["channel"]),
              "direction": dict(Direction.choices).get(data.get("direction", ""), ""),
              "summary": data.get("summary", "")}
    return gettext("%(channel)s (%(direction)s): %(summary)s") % values


CONTACT_KIND = TimelineKind("contact", _("Contact"), _contact_title, template="relations/_timeline_contact.html")
