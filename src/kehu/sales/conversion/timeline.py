"""The customer timeline kind ``lead`` (registered in ``SalesConfig.ready``): the history of the lead a customer was
converted from, copied at conversion (``services._copy_timeline``), and the conversion itself. A row's line is the
lead timeline's own line (``sales.timeline.event_line``) in the reader's language, prefixed with the lead."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _title(activity: Any) -> str:
    from ..models import LeadEvent
    from ..timeline import event_line

    data = activity.data or {}
    name = data.get("name", "")
    if data.get("event") == "converted":
        return gettext("Converted from lead %(name)s") % {"name": name}
    line = event_line(LeadEvent(kind=data.get("event", ""), data=data.get("data") or {}))
    return gettext("Lead %(name)s: %(line)s") % {"name": name, "line": line}


LEAD_KIND = TimelineKind("lead", _("Lead history"), _title)
