"""``kehu demo``: migrate the database, load the demo data, score it as of today, print the logins and serve on
127.0.0.1:8000."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from kehu.demo import data
from kehu.demo.load import load_demo
from kehu.demo.plan import DEFAULT_CUSTOMERS, DEFAULT_SEED, DEFAULT_TRANSACTIONS
from kehu.org.roles import ROLE_LABELS


class Command(BaseCommand):
    help = "Create the database, load demo data (re-running adds nothing) and serve the application."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Load the data only; do not start the server.")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Address and port to serve on.")
        parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS, help="Number of customers.")
        parser.add_argument("--transactions", type=int, default=DEFAULT_TRANSACTIONS, help="Number of transactions.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")
        parser.add_argument("--no-score", action="store_true",
                            help="Do not end with a scoring run (tiers, RFM and lifetime value stay empty).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        verbosity = options["verbosity"]
        self._ensure_sqlite_directory()
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0), stdout=self.stdout)
        self.stdout.write(_("Loading demo data…"))
        result = load_demo(seed=options["seed"], customers=options["customers"],
                           transactions=options["transactions"],
                           progress=lambda message: self.stdout.write(f"  {message}"))
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                _("Demo data loaded: %(customers)d customers, %(transactions)d transactions in %(seconds).1f s.")
                % {"customers": result.customers, "transactions": result.transactions, "seconds": result.seconds}
            ))
        if not options["no_score"]:
            self._score()
        self.stdout.write(_("Ready in %(seconds).1f s.") % {"seconds": time.perf_counter() - started})
        self._print_logins(None if options["no_serve"] else options["addr"])
        if not options["no_serve"]:
            from kehu.cli import start_background_worker, stop_background_worker

            worker = start_background_worker()  # imports and scoring runs run there, not in the web request
            try:
                call_command("runserver", options["addr"], use_reloader=False)
            finally:
                stop_background_worker(worker)

    def _score(self) -> None:
        """End with a scoring run as of today, so the value pages, the tier column and the 360 page's value panel
        are filled on first sight; skipped when a run as of today (or later) has already succeeded."""
        from django.utils import timezone

        from kehu.scoring.models import ScoringRun
        from kehu.scoring.services import ScoringRunError, scoring_run_execute

        today = timezone.localdate()
        if ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED, as_of__gte=today).exists():
            return
        self.stdout.write(_("Scoring the customers as of %(date)s…") % {"date": today.isoformat()})
        try:
            run = scoring_run_execute(as_of=today, trigger=ScoringRun.Trigger.COMMAND)
        except (ScoringRunError, ValidationError) as error:
            self.stderr.write(_("The scoring run failed: %(error)s") % {"error": error})
            return
        self.stdout.write(_("Scoring run %(id)s: %(customers)s customers, %(alerts)s alerts, %(seconds).1f s.")
                          % {"id": run.pk, "customers": run.customers, "alerts": run.alerts,
                             "seconds": run.duration_seconds or 0})

    def _ensure_sqlite_directory(self) -> None:
        """SQLite creates the database file but not its directory (``var/`` by default)."""
        name = str(connection.settings_dict.get("NAME") or "")
        if connection.vendor == "sqlite" and name and ":memory:" not in name and "mode=memory" not in name:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)

    def _print_logins(self, addr: str | None) -> None:
        """The demo logins; the address only when this command serves it (``--no-serve`` serves nothing)."""
        self.stdout.write("")
        if addr is None:
            self.stdout.write(_("Start the server with “kehu serve” (or “kehu demo” without --no-serve) and sign in "
                                "as one of these (password: %(password)s):") % {"password": data.DEMO_PASSWORD})
        else:
            host = addr if ":" in addr else f"127.0.0.1:{addr}"
            self.stdout.write(_("Open http://%(host)s and sign in as one of these (password: %(password)s):")
                              % {"host": host, "password": data.DEMO_PASSWORD})
        for role, username in data.DEMO_LOGINS:
            self.stdout.write(f"  {username:<14} {ROLE_LABELS[role]}")
        self.stdout.write("")
