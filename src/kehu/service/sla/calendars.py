"""Loading business calendars: a branch's calendar (its own, its nearest ancestor's, else the default) compiled
into a :class:`~kehu.service.sla.clock.CalendarSpec` with its exception days."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from kehu.org.models import Branch
from kehu.service.models import BranchCalendar, BusinessCalendar, CalendarDay

from .clock import DEFAULT_WEEKLY, CalendarSpec, parse_hours


def branch_calendar(branch: Branch | int | None) -> BusinessCalendar | None:
    """The calendar of a branch: its own, else its nearest ancestor's, else the default one (``None`` when there
    is no calendar at all: the built-in Mon–Fri 09:00–18:00)."""
    if branch is not None:
        if isinstance(branch, int):
            branch = Branch.objects.filter(pk=branch).only("pk", "path").first()
        if branch is not None:
            ids = [int(part) for part in (branch.path or "").strip("/").split("/") if part.isdigit()] or [branch.pk]
            found = {row.branch_id: row.calendar for row in
                     BranchCalendar.objects.filter(branch_id__in=ids).select_related("calendar")}
            for branch_id in reversed(ids):
                if branch_id in found:
                    return found[branch_id]
    return BusinessCalendar.objects.filter(is_default=True).first()


def compile_calendar(calendar: BusinessCalendar | None, *, days: list[CalendarDay] | None = None) -> CalendarSpec:
    """The calendar with its exception days (the public days when it observes them; its own override them)."""
    if calendar is None:
        rows = days if days is not None else list(CalendarDay.objects.filter(calendar__isnull=True))
        return CalendarSpec(weekly=list(DEFAULT_WEEKLY), exceptions=_exceptions(rows, DEFAULT_WEEKLY[0]))
    weekly = [parse_hours(text) for text in calendar.weekday_hours()]
    if days is None:
        condition = Q(calendar=calendar)
        if calendar.use_public_holidays:
            condition |= Q(calendar__isnull=True)
        days = list(CalendarDay.objects.filter(condition))
    else:
        days = [day for day in days if day.calendar_id == calendar.pk
                or (day.calendar_id is None and calendar.use_public_holidays)]
    working_hours = next((day for day in weekly if day), DEFAULT_WEEKLY[0])
    return CalendarSpec(weekly=weekly, exceptions=_exceptions(days, working_hours), time_zone=calendar.time_zone)


def _exceptions(days: list[CalendarDay], working_hours) -> dict[dt.date, list]:
    public = {day.date: day for day in days if day.calendar_id is None}
    own = {day.date: day for day in days if day.calendar_id is not None}
    merged = {**public, **own}
    result: dict[dt.date, list] = {}
    for date, day in merged.items():
        if day.kind == CalendarDay.Kind.HOLIDAY:
            result[date] = []
        else:
            result[date] = parse_hours(day.hours) if day.hours else list(working_hours)
    return result


class CalendarCache:
    """Compiled calendars by calendar id within one job or page (one query for all the exception days)."""

    def __init__(self) -> None:
        self._days = list(CalendarDay.objects.all())
        self._calendars = {calendar.pk: calendar for calendar in BusinessCalendar.objects.all()}
        self._specs: dict[int | None, CalendarSpec] = {}

    def spec(self, calendar_id: int | None) -> CalendarSpec:
        if calendar_id not in self._specs:
            calendar = self._calendars.get(calendar_id) if calendar_id is not None else None
            if calendar is None:
                calendar = next((c for c in self._calendars.values() if c.is_default), None)
            self._specs[calendar_id] = compile_calendar(calendar, days=self._days)
        return self._specs[calendar_id]
