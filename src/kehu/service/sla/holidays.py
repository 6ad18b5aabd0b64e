"""The mainland public holidays and the make-up working days (调休上班) seeded by migration ``0002_sla``.

Sources: 2025 — 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号), official.
2026 — 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号), official as published in November 2025.
2027 — NOT announced when this was written: a best-known estimate from the lunar dates and the 2025 rules (春节 and
劳动节 lengths), names marked 预估; the administrator corrects it in the admin (Service › Calendar days) when the
State Council publishes it.

The rows carry no calendar: they are the public days of every calendar that observes the public holidays; editing
them is editing data, no code changes.
"""

from __future__ import annotations

import datetime as dt

H, W = "holiday", "working"


def _span(first: str, last: str, name: str) -> list[tuple[str, str, str]]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [((start + dt.timedelta(days=n)).isoformat(), H, name) for n in range((end - start).days + 1)]


PUBLIC_DAYS: list[tuple[str, str, str]] = [
    # 2025 (official)
    *_span("2025-01-01", "2025-01-01", "元旦"),
    *_span("2025-01-28", "2025-02-04", "春节"),
    ("2025-01-26", W, "春节调休上班"),
    ("2025-02-08", W, "春节调休上班"),
    *_span("2025-04-04", "2025-04-06", "清明节"),
    *_span("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-04-27", W, "劳动节调休上班"),
    *_span("2025-05-31", "2025-06-02", "端午节"),
    *_span("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    ("2025-09-28", W, "国庆节调休上班"),
    ("2025-10-11", W, "国庆节调休上班"),
    # 2026 (official)
    *_span("2026-01-01", "2026-01-03", "元旦"),
    ("2026-01-04", W, "元旦调休上班"),
    *_span("2026-02-15", "2026-02-23", "春节"),
    ("2026-02-14", W, "春节调休上班"),
    ("2026-02-28", W, "春节调休上班"),
    *_span("2026-04-04", "2026-04-06", "清明节"),
    *_span("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-05-09", W, "劳动节调休上班"),
    *_span("2026-06-19", "2026-06-21", "端午节"),
    *_span("2026-09-25", "2026-09-27", "中秋节"),
    *_span("2026-10-01", "2026-10-07", "国庆节"),
    ("2026-09-20", W, "国庆节调休上班"),
    ("2026-10-10", W, "国庆节调休上班"),
    # 2027 (estimate, not yet announced)
    *_span("2027-01-01", "2027-01-03", "元旦（预估）"),
    *_span("2027-02-05", "2027-02-13", "春节（预估）"),
    ("2027-02-14", W, "春节调休上班（预估）"),
    *_span("2027-04-03", "2027-04-05", "清明节（预估）"),
    *_span("2027-05-01", "2027-05-05", "劳动节（预估）"),
    ("2027-04-25", W, "劳动节调休上班（预估）"),
    *_span("2027-06-09", "2027-06-09", "端午节（预估）"),
    *_span("2027-09-15", "2027-09-15", "中秋节（预估）"),
    *_span("2027-10-01", "2027-10-07", "国庆节（预估）"),
    ("2027-09-26", W, "国庆节调休上班（预估）"),
    ("2027-10-09", W, "国庆节调休上班（预估）"),
]


def seed_public_days(apps, schema_editor=None) -> int:
    """Insert the public days not there yet, and a default calendar when there is none (idempotent)."""
    CalendarDay = apps.get_model("service", "CalendarDay")
    BusinessCalendar = apps.get_model("service", "BusinessCalendar")
    if not BusinessCalendar.objects.filter(is_default=True).exists():
        BusinessCalendar.objects.get_or_create(name="标准工作时间", defaults={"is_default": True})
    have = set(CalendarDay.objects.filter(calendar__isnull=True).values_list("date", flat=True))
    rows = [CalendarDay(calendar=None, date=dt.date.fromisoformat(day), kind=kind, name=name)
            for day, kind, name in PUBLIC_DAYS if dt.date.fromisoformat(day) not in have]
    CalendarDay.objects.bulk_create(rows)
    return len(rows)
