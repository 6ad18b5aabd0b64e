"""Business-time arithmetic: due times across nights, lunch, weekends, a public holiday and a working Saturday;
adding then measuring round-trips (hypothesis)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.service.sla.clock import (
    DEFAULT_WEEKLY,
    CalendarSpec,
    add_business_time,
    business_minutes_between,
    format_hours,
    parse_hours,
)

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# 2026: 元旦 Jan 1–3 (Thu–Sat), Sunday Jan 4 a working day; 春节 Feb 15–23, Saturdays Feb 14 and 28 working
SPEC = CalendarSpec(
    weekly=list(DEFAULT_WEEKLY),
    exceptions={
        **{dt.date(2026, 1, d): [] for d in (1, 2, 3)},
        dt.date(2026, 1, 4): [(540, 720), (780, 1080)],
        **{dt.date(2026, 2, d): [] for d in range(15, 24)},
        dt.date(2026, 2, 14): [(540, 720), (780, 1080)],
        dt.date(2026, 2, 28): [(540, 720), (780, 1080)],
    },
)


def test_within_a_morning_and_across_lunch():
    assert add_business_time(at(2026, 3, 2, 9, 0), 60, SPEC) == at(2026, 3, 2, 10, 0)
    # 11:30 + 60 minutes: 30 before lunch, 30 after 13:00
    assert add_business_time(at(2026, 3, 2, 11, 30), 60, SPEC) == at(2026, 3, 2, 13, 30)
    # received at lunch: the clock starts at 13:00
    assert add_business_time(at(2026, 3, 2, 12, 15), 30, SPEC) == at(2026, 3, 2, 13, 30)


def test_across_a_night_and_ending_at_the_close():
    assert add_business_time(at(2026, 3, 2, 17, 0), 120, SPEC) == at(2026, 3, 3, 10, 0)
    assert add_business_time(at(2026, 3, 2, 17, 0), 60, SPEC) == at(2026, 3, 2, 18, 0)  # the close, not 09:00
    assert add_business_time(at(2026, 3, 2, 22, 0), 1, SPEC) == at(2026, 3, 3, 9, 1)


def test_across_a_weekend():
    # Friday 17:00 + 2 h → Monday 10:00
    assert add_business_time(at(2026, 3, 6, 17, 0), 120, SPEC) == at(2026, 3, 9, 10, 0)
    assert business_minutes_between(at(2026, 3, 6, 17, 0), at(2026, 3, 9, 10, 0), SPEC) == 120


def test_across_new_year_and_its_working_sunday():
    # Wednesday Dec 31 17:00 + 2 h: Jan 1–3 closed, Sunday Jan 4 a working day → Sunday 10:00
    assert add_business_time(at(2025, 12, 31, 17, 0), 120, SPEC) == at(2026, 1, 4, 10, 0)


def test_across_the_spring_festival_and_its_working_saturday():
    # Friday Feb 13 17:00 + 2 h → working Saturday Feb 14 10:00
    assert add_business_time(at(2026, 2, 13, 17, 0), 120, SPEC) == at(2026, 2, 14, 10, 0)
    # Saturday Feb 14 17:00 + 2 h: Feb 15–23 holiday → Tuesday Feb 24 10:00
    assert add_business_time(at(2026, 2, 14, 17, 0), 120, SPEC) == at(2026, 2, 24, 10, 0)
    # three working days (24 h of 8 h days) from Thursday Feb 26 09:00: Thu, Fri, Sat 28 (working) → Sat 18:00
    assert add_business_time(at(2026, 2, 26, 9, 0), 24 * 60, SPEC) == at(2026, 2, 28, 18, 0)


def test_long_spans_skip_weeks_and_count_the_exceptions():
    # 40 working weeks from Monday 2026-03-02 09:00 in a year with no exceptions after March: lands on a Friday close
    due = add_business_time(at(2026, 3, 2, 9, 0), 40 * 5 * 8 * 60, SPEC)
    assert due == at(2026, 12, 4, 18, 0)
    # a year measured: 2026 has 261 weekdays, minus the 8 weekday holidays above, plus 3 working weekend days
    year = business_minutes_between(at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0), SPEC)
    assert year == (261 - 2 - 6 + 3) * 8 * 60


def test_measuring_backwards_is_negative_and_utc_inputs_work():
    a, b = at(2026, 3, 2, 9, 0), at(2026, 3, 3, 9, 0)
    assert business_minutes_between(b, a, SPEC) == -480
    assert business_minutes_between(a.astimezone(dt.UTC), b.astimezone(dt.UTC), SPEC) == 480
    assert add_business_time(a, 0, SPEC) == a


def test_a_calendar_without_working_time_is_refused():
    closed = CalendarSpec(weekly=[[]] * 7)
    with pytest.raises(ValueError):
        add_business_time(at(2026, 3, 2, 9, 0), 10, closed)
    with pytest.raises(ValueError):
        add_business_time(dt.datetime(2026, 3, 2, 9, 0), 10, SPEC)  # naive


def test_hours_parse_and_validate():
    assert parse_hours("09:00-12:00, 13:00-18:00") == [(540, 720), (780, 1080)]
    assert parse_hours("") == []
    assert format_hours(parse_hours("13:00-18:00,09:00-12:00")) == "09:00-12:00, 13:00-18:00"
    for bad in ("9-12", "12:00-09:00", "09:00-12:00, 11:00-13:00", "25:00-26:00", "09:60-10:00", "x"):
        with pytest.raises(ValueError):
            parse_hours(bad)


moments = st.datetimes(min_value=dt.datetime(2025, 6, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda value: value.replace(tzinfo=SH))


@given(start=moments, minutes=st.integers(min_value=0, max_value=200_000))
def test_adding_then_measuring_round_trips(start, minutes):
    due = add_business_time(start, minutes, SPEC)
    assert due >= start
    assert business_minutes_between(start, due, SPEC) == minutes


@given(a=moments, b=moments)
def test_measuring_then_adding_lands_on_the_same_business_moment(a, b):
    a, b = min(a, b), max(a, b)
    minutes = business_minutes_between(a, b, SPEC)
    assert minutes >= 0
    again = add_business_time(a, minutes, SPEC)
    # b may be outside working hours: it lands on the last working moment before or at b
    assert again <= b
    assert business_minutes_between(again, b, SPEC) == 0


@given(a=moments, b=moments, c=moments)
def test_measuring_adds_up(a, b, c):
    a, b, c = sorted([a, b, c])
    assert business_minutes_between(a, c, SPEC) == pytest.approx(
        business_minutes_between(a, b, SPEC) + business_minutes_between(b, c, SPEC), abs=1e-9)
