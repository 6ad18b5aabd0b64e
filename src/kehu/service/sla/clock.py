"""Business-time arithmetic in pure Python: ``add_business_time`` and ``business_minutes_between``.

A :class:`CalendarSpec` is a compiled calendar: a time zone, the working intervals of each weekday (minutes from
midnight, e.g. Mon–Fri 09:00–12:00 and 13:00–18:00) and the exceptions by date (a public holiday: no intervals; a
make-up working day (调休上班): its intervals). Whole weeks without an exception are skipped in one step and the
days between two instants are summed with a prefix over the week, so a call costs a few microseconds whatever the
span. Times are handled in integer microseconds of local time: adding then measuring gives back exactly the minutes.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # minutes from local midnight, start < end, 0..1440
US_PER_MINUTE = 60_000_000
US_PER_DAY = 1440 * US_PER_MINUTE
MAX_SCAN_DAYS = 366 * 20  # a calendar without working time for 20 years: give up


def parse_hours(text: str) -> list[Interval]:
    """``"09:00-12:00, 13:00-18:00"`` → ``[(540, 720), (780, 1080)]``. Empty text: no working time. Raises
    ``ValueError`` on a malformed, reversed or overlapping interval (``24:00`` is allowed as an end)."""
    intervals: list[Interval] = []
    for part in (text or "").replace("，", ",").replace("–", "-").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_text, end_text = (piece.strip() for piece in part.split("-"))
            start, end = _minutes(start_text), _minutes(end_text)
        except (ValueError, TypeError):
            raise ValueError(f"not an interval HH:MM-HH:MM: {part!r}") from None
        if not start < end:
            raise ValueError(f"the interval ends before it starts: {part!r}")
        intervals.append((start, end))
    intervals.sort()
    for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
        if s2 < e1:
            raise ValueError("the intervals overlap")
    return intervals


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 1440:
        raise ValueError(text)
    return value


def format_hours(intervals: list[Interval]) -> str:
    return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in intervals)


@dataclass
class CalendarSpec:
    """A compiled business calendar. ``weekly[0]`` is Monday's intervals; ``exceptions`` maps a local date to its
    intervals (``[]`` for a holiday)."""

    weekly: list[list[Interval]]
    exceptions: dict[dt.date, list[Interval]] = field(default_factory=dict)
    time_zone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("seven weekdays")
        self.tz = ZoneInfo(self.time_zone)
        self._weekly_us = [[(s * US_PER_MINUTE, e * US_PER_MINUTE) for s, e in day] for day in self.weekly]
        self._day_total = [sum(e - s for s, e in day) for day in self._weekly_us]
        self.week_total = sum(self._day_total)
        # prefix[i] = working time of weekdays 0..i-1
        self._prefix = [0]
        for total in self._day_total:
            self._prefix.append(self._prefix[-1] + total)
        self._exc = {day: [(s * US_PER_MINUTE, e * US_PER_MINUTE) for s, e in ivs]
                     for day, ivs in self.exceptions.items()}
        self._exc_dates = sorted(self._exc)
        # what each exception changes against the ordinary weekday
        self._exc_delta = [sum(e - s for s, e in self._exc[day]) - self._day_total[day.weekday()]
                           for day in self._exc_dates]
        self._exc_delta_prefix = [0]
        for delta in self._exc_delta:
            self._exc_delta_prefix.append(self._exc_delta_prefix[-1] + delta)

    def intervals(self, day: dt.date) -> list[Interval]:
        """The day's working intervals in microseconds from local midnight."""
        found = self._exc.get(day)
        return found if found is not None else self._weekly_us[day.weekday()]

    def day_total(self, day: dt.date) -> int:
        return sum(e - s for s, e in self.intervals(day))

    def full_days_total(self, first: dt.date, stop: dt.date) -> int:
        """Working microseconds of the whole days ``first`` ≤ day < ``stop``."""
        days = stop.toordinal() - first.toordinal()
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        total = weeks * self.week_total
        start_wd = first.weekday()
        end_wd = start_wd + rest
        if end_wd <= 7:
            total += self._prefix[end_wd] - self._prefix[start_wd]
        else:
            total += self._prefix[7] - self._prefix[start_wd] + self._prefix[end_wd - 7]
        lo = bisect.bisect_left(self._exc_dates, first)
        hi = bisect.bisect_left(self._exc_dates, stop)
        return total + self._exc_delta_prefix[hi] - self._exc_delta_prefix[lo]

    def next_exception(self, day: dt.date) -> dt.date | None:
        index = bisect.bisect_left(self._exc_dates, day)
        return self._exc_dates[index] if index < len(self._exc_dates) else None

    # --- local time ------------------------------------------------------------------------------------------------
    def to_local(self, moment: dt.datetime) -> tuple[dt.date, int]:
        if moment.tzinfo is None:
            raise ValueError("an aware datetime is needed")
        local = moment.astimezone(self.tz)
        offset = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
        return local.date(), offset

    def from_local(self, day: dt.date, offset: int) -> dt.datetime:
        naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(microseconds=offset)
        return naive.replace(tzinfo=self.tz).astimezone(dt.UTC)


DEFAULT_WEEKLY: list[list[Interval]] = [[(540, 720), (780, 1080)]] * 5 + [[], []]


def add_business_time(start: dt.datetime, minutes: float, calendar: CalendarSpec) -> dt.datetime:
    """The instant ``minutes`` of business time after ``start`` (an aware datetime; returned in UTC). A target that
    ends exactly at the close of an interval is that close (18:00), not the next opening. ``minutes`` ≤ 0 gives
    ``start``."""
    remaining = round(minutes * US_PER_MINUTE)
    if remaining <= 0:
        return start.astimezone(dt.UTC)
    day, offset = calendar.to_local(start)
    # the rest of the first day
    for s, e in calendar.intervals(day):
        if e <= offset:
            continue
        begin = max(s, offset)
        if remaining <= e - begin:
            return calendar.from_local(day, begin + remaining)
        remaining -= e - begin
    day += dt.timedelta(days=1)
    scanned = 0
    while True:
        # whole weeks without an exception in one step (at least one more day is left to walk into)
        if calendar.week_total and remaining > calendar.week_total:
            weeks = (remaining - 1) // calendar.week_total
            upcoming = calendar.next_exception(day)
            if upcoming is not None:
                weeks = min(weeks, (upcoming.toordinal() - day.toordinal()) // 7)
            if weeks > 0:
                day += dt.timedelta(days=7 * weeks)
                remaining -= weeks * calendar.week_total
                scanned += 7 * weeks
                continue
        total = calendar.day_total(day)
        if remaining <= total:
            for s, e in calendar.intervals(day):
                if remaining <= e - s:
                    return calendar.from_local(day, s + remaining)
                remaining -= e - s
        remaining -= total
        day += dt.timedelta(days=1)
        scanned += 1
        if scanned > MAX_SCAN_DAYS and calendar.next_exception(day) is None and not calendar.week_total:
            raise ValueError("the calendar has no working time")
        if day >= dt.date.max - dt.timedelta(days=7):
            raise OverflowError("the target falls beyond the calendar")


def _elapsed_in_day(calendar: CalendarSpec, day: dt.date, offset: int) -> int:
    """Working microseconds of ``day`` before ``offset``."""
    total = 0
    for s, e in calendar.intervals(day):
        if offset <= s:
            break
        total += min(e, offset) - s
    return total


def business_minutes_between(a: dt.datetime, b: dt.datetime, calendar: CalendarSpec) -> float:
    """Business minutes from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    if b < a:
        return -business_minutes_between(b, a, calendar)
    day_a, off_a = calendar.to_local(a)
    day_b, off_b = calendar.to_local(b)
    # working time from day_a's midnight to b, minus that to a
    total = calendar.full_days_total(day_a, day_b) + _elapsed_in_day(calendar, day_b, off_b)
    total -= _elapsed_in_day(calendar, day_a, off_a)
    return total / US_PER_MINUTE
