"""SLA reads: a ticket's clock, the figures per team, tier and month, the calendar days of a year."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kehu.service.models import CalendarDay, ServiceTeam, SlaEvent, Ticket, TicketSla

from .calendars import CalendarCache, branch_calendar, compile_calendar
from .clock import business_minutes_between

MAX_MONTHS = 24


def ticket_clock(*, ticket: Ticket, user: Any = None, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The SLA clock of the ticket page: due times, business minutes left (negative: overdue), breaches."""
    if ticket.first_response_due is None and ticket.resolution_due is None:
        return None
    now = now or timezone.now()
    sla = TicketSla.objects.filter(ticket=ticket).select_related("policy", "calendar").first()
    calendar = sla.calendar if sla is not None and sla.calendar_id else branch_calendar(ticket.branch_id)
    spec = compile_calendar(calendar)
    rows = []
    for label, due, done in (("response", ticket.first_response_due, ticket.first_response_at),
                             ("resolution", ticket.resolution_due, ticket.resolved_at)):
        if due is None:
            continue
        moment = done or now
        left = business_minutes_between(moment, due, spec)
        rows.append({"key": label, "due": due, "done": done, "minutes_left": round(left),
                     "hours_left": _hours_text(left), "breached": moment > due,
                     "met": done is not None and done <= due})
    events = list(SlaEvent.objects.filter(ticket=ticket).order_by("at").values_list("kind", "at"))
    return {"rows": rows, "policy": sla.policy if sla else None, "calendar": calendar,
            "events": [(dict(SlaEvent.Kind.choices)[kind], at) for kind, at in events]}


def _hours_text(minutes: float) -> str:
    sign = "-" if minutes < 0 else ""
    minutes = abs(round(minutes))
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


@dataclass
class FigureRow:
    month: str
    team_id: int | None
    team: str
    tier: str
    tickets: int = 0
    response_counted: int = 0
    response_on_time: int = 0
    resolution_counted: int = 0
    resolution_on_time: int = 0
    response_minutes: list[float] = field(default_factory=list, repr=False)
    resolution_minutes: list[float] = field(default_factory=list, repr=False)

    @property
    def response_on_time_percent(self) -> float | None:
        return round(100 * self.response_on_time / self.response_counted, 1) if self.response_counted else None

    @property
    def resolution_on_time_percent(self) -> float | None:
        return round(100 * self.resolution_on_time / self.resolution_counted, 1) if self.resolution_counted else None

    @property
    def median_response_minutes(self) -> float | None:
        return round(statistics.median(self.response_minutes), 1) if self.response_minutes else None

    @property
    def median_resolution_minutes(self) -> float | None:
        return round(statistics.median(self.resolution_minutes), 1) if self.resolution_minutes else None

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month, "team_id": self.team_id, "team": self.team, "tier": self.tier,
                "tickets": self.tickets, "response_on_time_percent": self.response_on_time_percent,
                "resolution_on_time_percent": self.resolution_on_time_percent,
                "median_response_minutes": self.median_response_minutes,
                "median_resolution_minutes": self.median_resolution_minutes}


def month_range(month: dt.date | None, *, today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The local month (first day given), else the last 12 months up to this one; as aware datetimes."""
    today = today or timezone.localdate()
    if month is not None:
        first = month.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1)
    else:
        last = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        first = last
        for _n in range(12):
            first = (first - dt.timedelta(days=1)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time(), tzinfo=tz), dt.datetime.combine(last, dt.time(), tzinfo=tz))


def sla_figures(*, user: Any, month: dt.date | None = None, team_id: int | None = None,
                now: dt.datetime | None = None) -> list[FigureRow]:
    """Per month, team and tier of the tickets the user may see: tickets, first responses and resolutions on time
    (%), median business minutes to them. A target counts once it is met or its due time has passed."""
    now = now or timezone.now()
    start, stop = month_range(month)
    tickets = Ticket.objects.visible_to(user).filter(created_at__gte=start, created_at__lt=stop)
    if team_id is not None:
        tickets = tickets.filter(team_id=team_id)
    fields = ["created_at", "team_id", "sla__tier", "sla__calendar_id", "first_response_at", "first_response_due",
              "resolved_at", "resolution_due"]
    teams = dict(ServiceTeam.objects.values_list("pk", "name"))
    cache = CalendarCache()
    rows: dict[tuple[str, int | None, str], FigureRow] = {}
    tz = timezone.get_current_timezone()
    for created, team, tier, calendar_id, responded, response_due, resolved, resolution_due in (
            tickets.values_list(*fields).iterator(chunk_size=5000)):
        key = (created.astimezone(tz).strftime("%Y-%m"), team, tier or "")
        row = rows.get(key)
        if row is None:
            row = rows[key] = FigureRow(month=key[0], team_id=team, team=teams.get(team, "") if team else "",
                                        tier=key[2])
        row.tickets += 1
        spec = cache.spec(calendar_id)
        if responded is not None:
            row.response_minutes.append(business_minutes_between(created, responded, spec))
        if resolved is not None:
            row.resolution_minutes.append(business_minutes_between(created, resolved, spec))
        if response_due is not None and (responded is not None or response_due <= now):
            row.response_counted += 1
            row.response_on_time += responded is not None and responded <= response_due
        if resolution_due is not None and (resolved is not None or resolution_due <= now):
            row.resolution_counted += 1
            row.resolution_on_time += resolved is not None and resolved <= resolution_due
    return sorted(rows.values(), key=lambda row: (row.month, row.team, row.tier))


def calendar_days_by_year(*, year: int) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(date__year=year).select_related("calendar").order_by("date", "calendar"))


def calendar_years() -> list[int]:
    return sorted({day.year for day in CalendarDay.objects.dates("date", "year")})


def figures_by_team(rows: list[FigureRow]) -> list[dict[str, Any]]:
    """The chart's bars: per team, the on-time shares over every tier and month shown."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in rows:
        total = totals[row.team]
        total[0] += row.tickets
        total[1] += row.response_on_time
        total[2] += row.response_counted
        total[3] += row.resolution_on_time
        total[4] += row.resolution_counted
    bars = []
    for team, (count, r_on, r_all, s_on, s_all) in sorted(totals.items()):
        bars.append({"team": team, "tickets": count,
                     "response": round(100 * r_on / r_all, 1) if r_all else None,
                     "resolution": round(100 * s_on / s_all, 1) if s_all else None})
    return bars
