"""``kehu evaluate [--as-of YYYY-MM-DD] [--template NAME]``: evaluate every key customer with the periodic templates
(or the one named) as of a day. Running it again for the same day creates nothing new."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Evaluate key customers' relationships with the periodic evaluation templates (idempotent per day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="the evaluation date, YYYY-MM-DD (default today)")
        parser.add_argument("--template", dest="template", metavar="NAME",
                            help="only this template (by name, periodic or not); default: every periodic template")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        from kehu.relations.evaluations.services import evaluation_run
        from kehu.relations.models import EvaluationTemplate

        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(_("--as-of must be a date like 2025-12-31.")) from None
        template = None
        if options["template"]:
            template = EvaluationTemplate.objects.filter(name=options["template"], is_active=True).first()
            if template is None:
                raise CommandError(_("No active evaluation template is named “%(name)s”.") % {
                    "name": options["template"]})
        try:
            created, skipped = evaluation_run(as_of=as_of, template=template)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        # the last line is fixed, untranslated text (scripts read it), like the import's summary line
        self.stdout.write(f"evaluations created {created}, already evaluated {skipped}")
