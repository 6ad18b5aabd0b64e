"""The ``date`` and ``time`` filters, safe with times at the ends of the calendar (a template builtin).

Django converts an aware datetime to local time before calling ``date`` or ``time``; for a time stored near the end of
year 9999 (or the start of year 1) that conversion overflows and the whole page answers 500. Input is bounded now
(``kehu.core.validators``), but rows stored before, or written by other means, must not take a customer's pages down
for everyone who can see them. These filters replace Django's (the module is listed in ``TEMPLATES`` ``builtins``):
they convert to local time themselves and show a time that cannot be converted as stored (UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.template import defaultfilters
from django.utils import timezone

register = template.Library()


def local_or_stored(value: Any) -> Any:
    if (isinstance(value, dt.datetime) and settings.USE_TZ and timezone.is_aware(value)
            and getattr(value, "convert_to_local_time", True)):
        try:
            return timezone.localtime(value)
        except (OverflowError, ValueError):
            return value
    return value


@register.filter(is_safe=False)
def date(value: Any, arg: str | None = None) -> str:
    return defaultfilters.date(local_or_stored(value), arg)


@register.filter(is_safe=False)
def time(value: Any, arg: str | None = None) -> str:
    return defaultfilters.time(local_or_stored(value), arg)
