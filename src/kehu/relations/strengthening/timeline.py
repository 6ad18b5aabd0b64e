"""The ``strengthening`` timeline kind (registered in ``RelationsConfig.ready``): a row of the strengthening table
added, changed or removed, written by the strengthening services in their transaction."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _strengthening_title(activity: Any) -> str:
    data = activity.data
    values = {"ours": data.get("ours", ""), "theirs": data.get("theirs", ""), "strength": data.get("strength", "")}
    action = data.get("action")
    if action == "added":
        return gettext("Strengthening row added: %(ours)s → %(theirs)s (strength %(strength)s)") % values
    if action == "removed":
        return gettext("Strengthening row removed: %(ours)s → %(theirs)s") % values
    return gettext("Strengthening row changed: %(ours)s → %(theirs)s (strength %(strength)s)") % values


STRENGTHENING_KIND = TimelineKind("strengthening", _("Relationship strengthening"), _strengthening_title)


def record(*, actor: Any, row: Any, action: str) -> None:
    """Append the row's change to its customer's timeline (inside the calling service's transaction)."""
    from kehu.customers.timeline import activity_record

    ours = row.our_name or (row.our_staff.get_full_name() or row.our_staff.username if row.our_staff_id else "")
    theirs = row.their_name or (row.their_contact.name if row.their_contact_id else "")
    activity_record(customer=row.customer, kind=STRENGTHENING_KIND.key, actor=actor, subject=row,
                    data={"action": action, "ours": ours, "theirs": theirs, "strength": row.strength,
                          "competitor": row.competitor})
