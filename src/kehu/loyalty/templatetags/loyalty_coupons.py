"""``{% load loyalty_coupons %}{% customer_coupons customer_id %}``: the coupons section of the member and counter
pages (the newest coupons of a customer in the viewer's scope; one query)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("loyalty/coupons/_customer_coupons.html", takes_context=True)
def customer_coupons(context: dict[str, Any], customer_id: int) -> dict[str, Any]:
    from kehu.loyalty.coupons.selectors import customer_coupons as load

    request = context.get("request")
    user = getattr(request, "user", None)
    coupons = load(user=user, customer_id=customer_id) if user is not None and customer_id else []
    return {"coupons": coupons, "customer_id": customer_id, "perms": context.get("perms"), "request": request}
