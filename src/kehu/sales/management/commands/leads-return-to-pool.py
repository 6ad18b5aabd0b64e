"""``kehu leads-return-to-pool [--as-of TIME]``: return idle leads to their branch's shared pool."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Return open leads nobody worked for their branch's number of days (assignment rule, default "
            "KEHU_LEADS_POOL_DAYS) to the branch's shared pool. Run daily by celery beat; safe to run twice.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="Count the idle days up to this date or time (ISO 8601); default: now.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        from kehu.core.validators import validate_business_date
        from kehu.sales.services import leads_return_to_pool

        as_of = None
        if options.get("as_of"):
            text = options["as_of"]
            try:
                as_of = dt.datetime.fromisoformat(text)
            except ValueError:
                raise CommandError(f"--as-of: not a date or time: {text!r}") from None
            if len(text) <= 10:
                as_of = as_of.replace(hour=23, minute=59, second=59)
            if timezone.is_naive(as_of):
                try:
                    validate_business_date(as_of.date())
                except Exception as error:
                    raise CommandError(f"--as-of: {' '.join(getattr(error, 'messages', [str(error)]))}") from None
                as_of = timezone.make_aware(as_of)
        returned = leads_return_to_pool(as_of=as_of)
        self.stdout.write(f"leads returned to the pool: {returned}")
