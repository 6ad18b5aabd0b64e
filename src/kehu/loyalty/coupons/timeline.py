"""The ``coupon`` timeline kind (registered in ``LoyaltyConfig.ready``): a coupon issued, used, voided, reissued."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _coupon_title(activity: Any) -> str:
    data = activity.data
    values = {"code": "…" + str(data.get("code", "")), "batch": data.get("batch", ""),
              "new": "…" + str(data.get("new_code", ""))}
    event = data.get("event", "")
    if event == "issued":
        return gettext("Coupon %(code)s of “%(batch)s” issued") % values
    if event == "used":
        return gettext("Coupon %(code)s of “%(batch)s” used") % values
    if event == "voided":
        return gettext("Coupon %(code)s of “%(batch)s” voided") % values
    if event == "reissued":
        return gettext("Coupon %(code)s of “%(batch)s” reissued as %(new)s") % values
    return gettext("Coupon %(code)s") % values


COUPON_KIND = TimelineKind("coupon", _("Coupon"), _coupon_title)
