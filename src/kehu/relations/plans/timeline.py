"""Timeline kinds of plans, events and gifts (registered in ``RelationsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _plan_title(activity: Any) -> str:
    data = activity.data
    values = {"title": data["title"], "by": data.get("by") or "—"}
    action = data.get("action")
    if action == "approved":
        return gettext("Maintenance plan approved by %(by)s: %(title)s") % values
    if action == "rejected":
        return gettext("Maintenance plan rejected by %(by)s: %(title)s") % values
    if action == "summarised":
        return gettext("Maintenance plan summarised: %(title)s") % values
    return gettext("Maintenance plan submitted: %(title)s") % values


def _event_title(activity: Any) -> str:
    from ..models import EventKind

    data = activity.data
    kind = dict(EventKind.choices).get(data.get("event_kind", ""), "")
    if data.get("action") == "attendance_undone":
        return gettext("Attendance undone (marked by mistake) at %(kind)s: %(name)s") % {"kind": kind,
                                                                                         "name": data["name"]}
    return gettext("Attended %(kind)s: %(name)s") % {"kind": kind, "name": data["name"]}


def _gift_title(activity: Any) -> str:
    from ..models import GiftOccasion

    data = activity.data
    occasion = dict(GiftOccasion.choices).get(data.get("occasion", ""), "")
    return gettext("Gift (%(occasion)s): %(description)s, cost %(cost)s") % {
        "occasion": occasion, "description": data["description"], "cost": data.get("cost", "")}


PLAN_KIND = TimelineKind("plan", _("Maintenance plan"), _plan_title, template="relations/plans/_timeline_plan.html")
EVENT_KIND = TimelineKind("event", _("Event"), _event_title, template="relations/plans/_timeline_event.html")
GIFT_KIND = TimelineKind("gift", _("Gift"), _gift_title)
