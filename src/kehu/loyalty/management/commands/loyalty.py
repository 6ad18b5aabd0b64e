"""``kehu loyalty accrue|levels|expire|reconcile|coupons-catch-up|daily|settle``: the loyalty batch jobs (also
run by beat)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 1, 1):
        raise CommandError(f"date out of range: {value}")
    return day


class Command(BaseCommand):
    help = "Loyalty batch jobs: accrue points of recorded purchases, evaluate member levels, reconcile the ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="job", required=True)
        accrue = sub.add_parser("accrue", help="earn the points of purchases without an entry (exactly once)")
        accrue.add_argument("--days", type=int, default=None,
                            help="only purchases recorded in the last N days (default: all)")
        levels = sub.add_parser("levels", help="move members to the level they qualify for")
        levels.add_argument("--as-of", type=_date, default=None, help="evaluate as of this date (default: today)")
        expire = sub.add_parser("expire", help="expire old points (first in first out) and tell owners ahead")
        expire.add_argument("--as-of", type=_date, default=None, help="as of this date (default: today)")
        expire.add_argument("--notice-days", type=int, default=30, help="tell owners this many days ahead")
        sub.add_parser("reconcile", help="check that every points and stored-value balance equals the sum of its "
                                         "entries (exit 1 if not)")
        catch_up = sub.add_parser("coupons-catch-up", help="issue the coupons purchases earned but did not get (the "
                                                           "purchases listener failed); safe to run twice")
        catch_up.add_argument("--days", type=int, default=7, help="purchases recorded in the last N days (default 7)")
        daily = sub.add_parser("daily", help="stored value topped up, spent and refunded per store on a day")
        daily.add_argument("--date", type=_date, default=None, help="the day (default: yesterday)")
        settle = sub.add_parser("settle", help="the month's settlement statements between stores (points earned in "
                                               "one, redeemed in another) and with each alliance partner")
        settle.add_argument("--period", default=None, help="the month, YYYY-MM (default: the last full month)")
        settle.add_argument("--csv", dest="csv_path", default=None,
                            help="also write the statements to this CSV file (cells neutralised against formulas)")

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.loyalty import services

        job = options["job"]
        if job == "accrue":
            days = options["days"]
            if days is not None and not 0 < days <= 100_000:
                raise CommandError("--days must be from 1 to 100000")
            since = timezone.now() - dt.timedelta(days=days) if days else None
            written = services.accrue(since=since)
            self.stdout.write(f"{written} points entries written")
        elif job == "levels":
            changed = services.levels_evaluate(as_of=options["as_of"])
            self.stdout.write(f"{changed} level changes")
        elif job == "expire":
            if not 0 <= options["notice_days"] <= 3650:
                raise CommandError("--notice-days must be from 0 to 3650")
            points, noticed = services.points_expire(as_of=options["as_of"], notice_days=options["notice_days"])
            self.stdout.write(f"{points} points expired; {noticed} accounts with points expiring soon")
        elif job == "daily":
            day = options["date"] or timezone.localdate() - dt.timedelta(days=1)
            for row in services.stored_value_daily(day=day):
                self.stdout.write(f"{day}\t{row['branch__name'] or '-'}\t{row['kind']}\t{Decimal(row['total']):.2f}")
        elif job == "coupons-catch-up":
            if not 0 < options["days"] <= 3650:
                raise CommandError("--days must be from 1 to 3650")
            from kehu.loyalty.coupons.services import coupons_catch_up

            self.stdout.write(f"{coupons_catch_up(days=options['days'])} coupons issued")
        elif job == "settle":
            self._settle(options["period"], options["csv_path"])
        else:
            count, printed = 0, 0
            for ledger, (differing, rows) in services.reconcile_summary(limit=50).items():
                count += differing  # counted in the database: only the first 50 come back
                for row in rows[:50 - printed]:
                    printed += 1
                    self.stdout.write(f"{ledger} account {row['id']} (customer {row['customer_id']}): balance "
                                      f"{row['balance']}, entries sum to {row['total']}")
            if count:
                self.stderr.write(f"{count} accounts differ from their entries")
                raise SystemExit(1)
            self.stdout.write("all points and stored-value accounts equal the sum of their entries")

    def _settle(self, period: str | None, csv_path: str | None) -> None:
        from django.core.exceptions import ValidationError

        from kehu.loyalty import settlement

        period = period or settlement.period_default()
        try:
            stores, partners, closing = settlement.statements(period=period)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if closing is not None:
            self.stderr.write(f"{period} is closed (kept since {closing.closed_at:%Y-%m-%d %H:%M}); the kept "
                              "statements follow")
        rows = settlement.statement_rows(stores, partners)
        if csv_path:
            import csv

            with open(csv_path, "w", newline="", encoding="utf-8-sig") as handle:
                csv.writer(handle).writerows(settlement.csv_cells(rows))
        for row in rows:
            self.stdout.write("\t".join(str(cell) for cell in row))
