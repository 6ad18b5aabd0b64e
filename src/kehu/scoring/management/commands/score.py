"""``kehu score [--scheme NAME ...] [--as-of YYYY-MM-DD]``: run a scoring run now, with a progress bar."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from kehu.scoring.models import ScoringRun, tier_label
from kehu.scoring.services import ScoringRunError, scoring_run_execute


class Command(BaseCommand):
    help = "Score every customer: RFM, tiers of the active schemes, lifetime value, tier changes and alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scheme", action="append", dest="schemes", metavar="NAME",
                            help="only this tier scheme (repeatable); default: every active scheme")
        parser.add_argument("--as-of", dest="as_of", help="score as of the end of this day, YYYY-MM-DD (default today)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(_("--as-of must be a date like 2025-12-31.")) from None
        from kehu.scoring.selectors import stale_data
        from kehu.scoring.services import default_as_of

        stale = stale_data(as_of=as_of or default_as_of())
        if stale is not None:
            self.stderr.write(self.style.WARNING(_(
                "Warning: the newest purchase is from %(newest)s, %(days)d days before %(date)s. Customers who bought "
                "regularly until then will read as having stopped buying and fill the alerts. To score as of the "
                "data's end, run: kehu score --as-of %(newest)s") % {
                    "newest": stale.newest.isoformat(), "days": stale.days,
                    "date": (as_of or default_as_of()).isoformat()}))
        bar = None if options["no_progress"] else tqdm(total=100, unit="%", file=self.stderr._out,
                                                       bar_format="{l_bar}{bar}| {elapsed}")

        def progress(step: str, fraction: float) -> None:
            if bar is not None:
                bar.set_description(step)
                bar.update(max(0, round(fraction * 100) - bar.n))

        try:
            run = scoring_run_execute(as_of=as_of, scheme_names=options["schemes"], progress=progress,
                                      trigger=ScoringRun.Trigger.COMMAND)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except ScoringRunError as error:
            raise CommandError(_("The scoring run failed (run %(id)s): %(error)s") % {"id": error.run.pk,
                                                                                     "error": error}) from None
        finally:
            if bar is not None:
                bar.close()
        self._print(run)

    def _print(self, run: ScoringRun) -> None:
        write = self.stdout.write
        write(_("Scoring run %(id)s as of %(date)s: %(customers)s customers, %(changes)s tier changes, "
                "%(alerts)s alerts.") % {"id": run.pk, "date": run.as_of.isoformat(), "customers": run.customers,
                                         "changes": run.changes, "alerts": run.alerts})
        for scheme in run.schemes.all().order_by("position", "id"):
            counts = run.counts.get(str(scheme.pk), {})
            write("")
            write(f"{tier_label(scheme.label)} ({scheme.name})")
            for tier in counts.get("tiers", []):
                write(f"  {tier['code']:<10} {_pad(tier_label(tier['label']), 40)} {tier['customers']:>10,}  "
                      f"{tier['customer_share']:>7.1%}  " + _("spend %(share)s") % {
                          "share": f"{tier['amount_share']:.1%}"})
        clv_status = run.figures.get("clv", {}).get("status")
        if clv_status and clv_status != "fitted":
            write("")
            write(str(run.figures["clv"].get("message", "")))
        write("")
        write(_("Duration: %(seconds).1f s") % {"seconds": run.duration_seconds or 0})


def _pad(text: str, width: int) -> str:
    """Pad to a display width: Chinese characters take two columns in a terminal."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(width - columns, 0)
