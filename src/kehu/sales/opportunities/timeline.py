"""The customer timeline kind ``opportunity`` (registered in ``SalesConfig.ready``): created, stage change, won,
lost, handed over."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _title(activity: Any) -> str:
    data = activity.data or {}
    values = {"name": data.get("name", ""), "stage": data.get("stage", ""), "previous": data.get("previous", ""),
              "amount": data.get("amount", ""), "reason": data.get("reason", ""), "owner": data.get("owner", "")}
    action = data.get("action", "")
    if action == "created":
        return gettext("Opportunity %(name)s created (¥%(amount)s, %(stage)s)") % values
    if action == "stage":
        return gettext("Opportunity %(name)s: %(previous)s → %(stage)s") % values
    if action == "won":
        return gettext("Opportunity %(name)s won (¥%(amount)s)") % values
    if action == "lost":
        return gettext("Opportunity %(name)s lost: %(reason)s") % values
    if action == "hand_over":
        return gettext("Opportunity %(name)s handed over to %(owner)s (staff leaves)") % values
    return values["name"]


OPPORTUNITY_KIND = TimelineKind("opportunity", _("Opportunity"), _title)
