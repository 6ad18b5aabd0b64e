"""The work machinery's timeline kinds (registered in ``WorkConfig.ready``): tasks and approvals of a customer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _task_title(activity: Any) -> str:
    from .registry import task_kind_label

    data = activity.data
    values = {"title": data["title"], "kind": task_kind_label(data.get("task_kind", "")),
              "due": data.get("due_date", ""), "owner": data.get("owner") or "—"}
    action = data.get("action")
    if action == "completed":
        return gettext("Task done: %(title)s") % values
    if action == "cancelled":
        return gettext("Task cancelled: %(title)s") % values
    if action == "reassigned":
        return gettext("Task %(title)s handed to %(owner)s") % values
    return gettext("Task (%(kind)s): %(title)s, due %(due)s") % values


def _approval_title(activity: Any) -> str:
    data = activity.data
    values = {"title": data["title"], "by": data.get("by") or "—"}
    action = data.get("action")
    if action == "approved":
        return gettext("Approved by %(by)s: %(title)s") % values
    if action == "rejected":
        return gettext("Rejected by %(by)s: %(title)s") % values
    return gettext("Submitted for approval: %(title)s") % values


TASK_KIND = TimelineKind("task", _("Task"), _task_title)
APPROVAL_KIND = TimelineKind("approval", _("Approval"), _approval_title)
