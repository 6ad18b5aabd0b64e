"""The SQL pieces of cadences shared by the run and the coverage report, on PostgreSQL and SQLite.

Every expression here is built from the code's literals and the rule's checked fields; values travel as parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from kehu.customers.models import Customer, CustomerTier

from ..models import CadenceRule, ContactRecord

CUSTOMERS = Customer._meta.db_table
TIERS = CustomerTier._meta.db_table
CONTACTS = ContactRecord._meta.db_table
# the customers cadences apply to: those not lost (prospects and current customers)
ACTIVE_CUSTOMER = "c.lifecycle_status <> 'lost'"


def day_start(day: dt.date) -> Any:
    """Local midnight at the start of ``day`` as a parameter compared with ``occurred_at``."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return connection.ops.adapt_datetimefield_value(moment)


def date_param(day: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def applies_sql(rule: CadenceRule, tier_alias: str = "t") -> tuple[str, list[Any]]:
    """A condition true for the customers (alias ``c``, their primary tier ``t`` LEFT JOINed) a rule applies to."""
    parts: list[str] = []
    params: list[Any] = []
    if rule.tier:
        parts.append(f"COALESCE({tier_alias}.tier, '') = %s")  # no tier: NULL would poison NOT (...)
        params.append(rule.tier)
    if rule.management_class:
        parts.append("c.management_class = %s")
        params.append(rule.management_class)
    return ("(" + " AND ".join(parts) + ")" if parts else "(1 = 1)"), params


def local_date_plus_sql(expression: str, days: int) -> tuple[str, list[Any]]:
    """The local calendar date of a stored time plus ``days`` (the day a rule fell due after the last contact).

    PostgreSQL converts with the time zone's name; SQLite stores naive UTC text and shifts by the zone's offset now
    (China has no daylight saving time; elsewhere a contact near midnight on a change day may count a day off)."""
    from django.conf import settings

    if connection.vendor == "postgresql":
        return f"(CAST(({expression}) AT TIME ZONE %s AS date) + %s)", [settings.TIME_ZONE, days]
    offset = timezone.localtime().utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    return f"date({expression}, %s, %s)", [f"{minutes:+d} minutes", f"{days:+d} days"]


def local_date_plus_column_sql(expression: str, days_expression: str) -> tuple[str, list[Any]]:
    """As ``local_date_plus_sql`` with the number of days an SQL expression (a column of the run's rules)."""
    from django.conf import settings

    if connection.vendor == "postgresql":
        return f"(CAST(({expression}) AT TIME ZONE %s AS date) + {days_expression})", [settings.TIME_ZONE]
    offset = timezone.localtime().utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    return f"date({expression}, %s, '+' || {days_expression} || ' days')", [f"{minutes:+d} minutes"]
