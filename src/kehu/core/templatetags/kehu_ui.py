"""Template filters and tags of the staff UI: masking of personal data, money, badges, lookups."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format
from django.utils.html import format_html

from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.core.validators import format_phone_display

register = template.Library()


def is_grade_code(code: str) -> bool:
    """A tier code that reads the same in every language (``A``, ``HH``: at most 3 capitals or digits), unlike a word
    (``gold``, ``key``), which is shown by its translated label instead."""
    return bool(code) and len(code) <= 3 and code == code.upper()


@register.filter
def tier_badge(code: str, label: str = "") -> str:
    """A tier in a narrow column: a grade code as it is, a word code by its label in the reader's language."""
    return code if is_grade_code(code) or not label else label


@register.filter
def stored_text(value: Any) -> str:
    """A text the system stored, in the reader's language: a reason it wrote as its English message (``"Phone
    lookup"``, stored with ``gettext_noop``) or a code with parameters (``kehu.core.messages``, as JSON) is
    translated; what a user typed, or an older row stored already translated, is shown as it is."""
    from kehu.core.messages import stored_text as _stored_text

    return _stored_text(value)


@register.filter
def masked_phone(value: str | None) -> str:
    """138****5678 (personal data is masked everywhere unless explicitly revealed)."""
    return mask_phone(value or "")


@register.filter
def masked_id(value: str | None) -> str:
    """1101**********1234."""
    return mask_id_number(value or "")


@register.filter
def masked_email(value: str | None) -> str:
    return mask_email(value or "")


@register.filter
def phone_display(value: str | None) -> str:
    """A stored E.164 number in the national format (only used for revealed values)."""
    return format_phone_display(value or "")


@register.filter
def yuan(value: Any) -> str:
    """¥1,234.56; empty values print as a dash."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    return "¥" + intcomma(number_format(amount, decimal_pos=2, use_l10n=False))


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """``mapping|lookup:key`` for dicts in templates."""
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""


@register.filter
def initial_letter(value: Any) -> str:
    """The first character of a name, for avatars."""
    text = str(value or "").strip()
    return text[:1].upper() if text else "?"


@register.simple_tag
def badge_class(field: str, value: str) -> str:
    """The CSS modifier of a classification badge: ``badge badge-<field>-<value>``."""
    return f"badge badge-{field}-{value}" if value else "badge"


@register.simple_tag(takes_context=True)
def sort_header(context: Any, key: str, label: Any, hx_target: str = "") -> str:
    """A sortable column's header cell: a link to the list sorted by ``key`` (ascending, or descending when it is
    already sorted ascending), keeping the other parameters but the page, with an arrow on the sorted column."""
    request = context["request"]
    current = context.get("sort") or ""
    if current == key:
        target, arrow, aria = f"-{key}", "▲", "ascending"
    elif current == f"-{key}":
        target, arrow, aria = key, "▼", "descending"
    else:
        target, arrow, aria = key, "", ""
    params = request.GET.copy()
    params["sort"] = target
    params.pop("page", None)
    url = f"?{params.urlencode()}"
    htmx = format_html(' hx-get="{}" hx-target="{}" hx-push-url="true"', url, hx_target) if hx_target else ""
    return format_html(
        '<th{}><a class="sort-link" href="{}"{}>{}<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        format_html(' aria-sort="{}"', aria) if aria else "", url, htmx, label, arrow,
    )
