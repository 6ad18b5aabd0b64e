"""Template filters of the lead and opportunity pages."""

from typing import Any

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


@register.simple_tag(takes_context=True)
def stage_options(context: template.Context, selected: int) -> str:
    """The board card's stage ``<option>`` list with ``selected`` chosen: the stages (``movable``) escaped once per
    page, not once per card and stage (the board renders hundreds of cards)."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    options: Any = context.render_context.get("kehu_stage_options")
    if options is None:
        options = [(stage.pk, f'<option value="{stage.pk}"', f">{escape(stage.name)}</option>")
                   for stage in context.get("movable") or []]
        context.render_context["kehu_stage_options"] = options
    return mark_safe("".join(f"{start}{' selected' if pk == selected else ''}{end}"  # noqa: S308 - escaped above
                             for pk, start, end in options))
