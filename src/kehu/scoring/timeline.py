"""The scoring app's timeline kinds (registered in ``ScoringConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _tier_change_title(activity: Any) -> str:
    """The tier change in the reader's language: a default scheme's name and tiers by their translated labels."""
    from .schemes import default_labels

    data = activity.data
    scheme_label, tier_labels = default_labels(data.get("scheme", ""))

    def tier(code: str | None) -> str:
        return gettext(tier_labels[code]) if code in tier_labels else (code or "—")

    return gettext("Tier under %(scheme)s: %(previous)s → %(tier)s") % {
        "scheme": gettext(scheme_label) if scheme_label else data.get("scheme", ""),
        "previous": tier(data.get("previous_tier")), "tier": tier(data["tier"])}


def _alert_title(activity: Any) -> str:
    from .models import Alert

    reason = activity.data.get("reason", "")
    return gettext("Alert: %(reason)s") % {"reason": dict(Alert.Reason.choices).get(reason, reason)}


TIER_CHANGE_KIND = TimelineKind("tier_change", _("Tier change"), _tier_change_title)
ALERT_KIND = TimelineKind("alert", _("Value alert"), _alert_title)
