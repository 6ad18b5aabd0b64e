"""Template filters of the customer value pages and the 360-page fragment (``{% customer_scores customer %}``)."""

from __future__ import annotations

from typing import Any

from django import template

from kehu.core.templatetags.kehu_ui import is_grade_code
from kehu.scoring import charts, selectors
from kehu.scoring.models import tier_label as _tier_label

register = template.Library()


@register.filter
def percent(value: Any) -> str:
    """0.153 → 15.3%."""
    try:
        return charts.percent(float(value))
    except (TypeError, ValueError):
        return "—"


@register.filter
def money(value: Any) -> str:
    """An amount rounded to whole units with thousands separators."""
    try:
        return charts.money(float(value))
    except (TypeError, ValueError):
        return "—"


@register.filter
def grouped(value: Any) -> str:
    """1234567 → 1,234,567 (in every language)."""
    try:
        return charts.grouped(float(value))
    except (TypeError, ValueError):
        return "—"


@register.filter
def tier_label(value: str) -> str:
    return _tier_label(value)


@register.filter
def tier_name(code: str, label: str = "") -> str:
    """A tier as the reader sees it: a grade code (``A``, ``HH``: at most 3 capitals or digits) before its label, a code
    that is a word (``platinum``, ``key``) left out for the label in the reader's language; the code alone when the
    tier has no label. ``label`` is the stored label (a default one is translated here)."""
    shown = _tier_label(label) if label else ""
    if not shown:
        return code or "—"
    return f"{code} · {shown}" if is_grade_code(code) and code != shown else shown


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.inclusion_tag("scoring/_customer_scores.html", takes_context=True)
def customer_scores(context: template.Context, customer: Any) -> dict[str, Any]:
    """The customer value section of the 360 page: tier, RFM, P(active), expected purchases and lifetime value.

    The caller renders it for a customer the user may see (the 360 page has already checked).
    """
    return {"scores": selectors.customer_scores(customer=customer), "customer": customer,
            "request": context.get("request")}
