"""The scoring app's timeline kinds (registered in ``ScoringConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _tier_change_title(activity: Any) -> str:
    data = activity.data
    return gettext("Tier under %(scheme)s: %(previous)s → %(tier)s") % {
        "scheme": data.get("scheme", ""), "previous": data.get("previous_tier") or "—", "tier": data["tier"]}


def _alert_title(activity: Any) -> str:
    from .models import Alert

    reason = activity.data.get("reason", "")
    return gettext("Alert: %(reason)s") % {"reason": dict(Alert.Reason.choices).get(reason, reason)}


TIER_CHANGE_KIND = TimelineKind("tier_change", _("Tier change"), _tier_change_title)
ALERT_KIND = TimelineKind("alert", _("Value alert"), _alert_title)
