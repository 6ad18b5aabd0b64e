"""``kehu sla-check [--now ISO]``: record the SLA warnings and breaches due, notify (``kehu.service.sla``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Record the SLA warnings and breaches of open tickets not recorded yet and notify the assignees (warnings) "
            "and team leads (breaches). Run every 5 minutes by celery beat; safe to run twice.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="Check as of this time (ISO 8601, local time when naive); default: now.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        from kehu.service.sla.services import sla_check, summary_line

        now = None
        if options.get("now"):
            text = options["now"]
            try:
                now = dt.datetime.fromisoformat(text)
            except ValueError:
                raise CommandError(f"--now: not a date or time: {text!r}") from None
            if not 1990 <= now.year <= 2200:
                raise CommandError(f"--now: out of range: {text!r}")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        result = sla_check(now=now)
        self.stdout.write(summary_line(result))
