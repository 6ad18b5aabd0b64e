"""The ``lost`` timeline kind: marked lost (with the reason), won back."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _title(activity: Any) -> str:
    from ..models import LostReason, LostRecord

    data = activity.data or {}
    if data.get("won_back"):
        how = dict(LostRecord.WonBackBy.choices).get(data["won_back"], data["won_back"])
        return gettext("Won back (%(how)s)") % {"how": how}
    reason = dict(LostReason.choices).get(data.get("reason", ""), data.get("reason", ""))
    return gettext("Marked lost: %(reason)s") % {"reason": reason}


LOST_KIND = TimelineKind("lost", _("Lost customer"), _title)
