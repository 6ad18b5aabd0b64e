"""``kehu cadence [--as-of YYYY-MM-DD]``: create the due cadence tasks and mark the overdue ones (set-based)."""

from __future__ import annotations

import datetime as dt
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = ("Create the tasks the cadence rules make due (one per customer and rule without a recent contact of the "
            "rule's channel) and mark the open cadence tasks past due as overdue. Running it again for the same day "
            "creates nothing new.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="as of this day, YYYY-MM-DD (default today)")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        from kehu.relations.cadences.services import cadence_run

        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"].strip())
            except ValueError:
                raise CommandError(_("--as-of must be a date like 2025-12-31.")) from None
        started = time.perf_counter()
        try:
            result = cadence_run(as_of=as_of)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(_("Cadence as of %(date)s: %(rules)d active rules, %(seconds).1f s.") % {
            "date": result.as_of.isoformat(), "rules": result.rules, "seconds": time.perf_counter() - started})
        # the last line is read by scripts: always in English
        self.stdout.write(f"due tasks created {result.created}, overdue {result.overdue}")
