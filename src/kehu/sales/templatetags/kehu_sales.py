"""Template filters of the lead pages."""

from django import template

from kehu.core.validators import format_phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number as people write it (139 1234 5678)."""
    return format_phone_display(value or "")
