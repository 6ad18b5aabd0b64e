"""Template filters of the lead and opportunity pages."""

from django import template

from kehu.core.validators import format_phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number as people write it (139 1234 5678)."""
    return format_phone_display(value or "")


@register.filter
def stage_duration(seconds: int | None) -> str:
    """Time spent in a stage, in days and hours (less than an hour: minutes); "—" when unknown."""
    from django.utils.translation import gettext as _

    if seconds is None:
        return "—"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": rest // 60}
