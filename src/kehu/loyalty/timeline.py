"""The loyalty timeline kinds (registered in ``LoyaltyConfig.ready``): level changes and card events."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _level_title(activity: Any) -> str:
    data = activity.data
    values = {"from": data.get("from") or "—", "to": data.get("to", ""), "programme": data.get("programme", "")}
    if data.get("up"):
        return gettext("Member level up in %(programme)s: %(from)s → %(to)s") % values
    return gettext("Member level down in %(programme)s: %(from)s → %(to)s") % values


def _card_title(activity: Any) -> str:
    data = activity.data
    card = "…" + str(data.get("card", ""))
    event = data.get("event", "")
    if event == "card_issued":
        return gettext("Card %(card)s issued") % {"card": card}
    if event == "card_activate":
        return gettext("Card %(card)s activated") % {"card": card}
    if event == "card_freeze":
        return gettext("Card %(card)s frozen") % {"card": card}
    if event == "card_report_lost":
        return gettext("Card %(card)s reported lost") % {"card": card}
    if event == "card_replaced":
        return gettext("Card %(card)s replaced by …%(new)s") % {"card": card, "new": data.get("new_card", "")}
    return gettext("Card %(card)s") % {"card": card}


LEVEL_CHANGE_KIND = TimelineKind("level_change", _("Member level change"), _level_title)
CARD_KIND = TimelineKind("loyalty", _("Loyalty card"), _card_title)
