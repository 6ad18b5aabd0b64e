"""The header's inbox link with the unread count (``{% inbox_link %}``): one COUNT query per page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("work/_inbox_link.html", takes_context=True)
def inbox_link(context: Any) -> dict[str, Any]:
    from ..selectors import UNREAD_SHOWN_MAX, unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    unread = unread_count(user=user) if user is not None else 0
    return {"unread": unread, "shown": f"{UNREAD_SHOWN_MAX}+" if unread > UNREAD_SHOWN_MAX else str(unread)}
