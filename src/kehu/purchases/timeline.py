"""The purchases app's timeline kind (registered in ``PurchasesConfig.ready``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import TimelineKind


def _transaction_title(activity: Any) -> str:
    from .models import Channel

    data = activity.data
    channel = dict(Channel.choices).get(data.get("channel", ""), data.get("channel", ""))
    return gettext("Purchase of ¥%(amount)s (%(channel)s)") % {
        "amount": f"{Decimal(data['amount']):,.2f}", "channel": channel}


TRANSACTION_KIND = TimelineKind("transaction", _("Purchase"), _transaction_title)
