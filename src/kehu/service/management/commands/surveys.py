"""``kehu surveys nps [--as-of DATE] [--share S] [--quiet-days N]``: the NPS wave of the month (also run by Celery
beat); ``kehu surveys send``: send the invitations still queued (after a provider outage)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 1, 1):
        raise CommandError(f"date out of range: {value}")
    return day


class Command(BaseCommand):
    help = "Satisfaction surveys: the monthly NPS wave; sending queued invitations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="job", required=True)
        nps = sub.add_parser("nps", help="invite a sample of customers to the NPS survey of the month (idempotent)")
        nps.add_argument("--as-of", type=_date, default=None, help="the wave's day (default: today)")
        nps.add_argument("--share", type=float, default=None, help="share of reachable customers (0-1]")
        nps.add_argument("--quiet-days", type=int, default=None, help="skip customers surveyed in these days")
        sub.add_parser("send", help="send the invitations still queued")

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.service.models import SurveyInvitation, SurveyStatus
        from kehu.service.surveys import services

        if options["job"] == "nps":
            try:
                result = services.nps_wave(as_of=options["as_of"], share=options["share"],
                                           quiet_days=options["quiet_days"])
            except ValueError as error:
                raise CommandError(str(error)) from None
            if result.already:
                self.stdout.write(f"NPS wave {result.period} already made ({result.already} invitations)")
            else:
                self.stdout.write(f"NPS wave {result.period}: {result.created} invitations")
        else:
            ids = list(SurveyInvitation.objects.filter(status=SurveyStatus.QUEUED).values_list("pk", flat=True))
            self.stdout.write(f"{services.invitations_send(ids=ids)} invitations sent")
