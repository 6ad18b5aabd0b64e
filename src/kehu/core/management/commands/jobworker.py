"""``kehu jobworker`` (what ``kehu worker`` runs without KEHU_REDIS_URL): run the tasks queued in the database."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Run the background tasks (imports, scoring runs) queued in the database when no Celery broker is "
            "configured. `kehu serve` and `kehu demo` start one; run it yourself beside `kehu runserver`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the queued tasks, then exit")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks at an empty queue")

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.core.queue import run_worker

        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            # stop at once on SIGTERM/SIGINT: a task cut off rolls back its open transaction, and an import resumes
            # from its last checkpoint
            def request_stop(signum: int, frame: Any) -> None:
                stop.set()
                raise SystemExit(0)

            previous = {number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)}
        else:
            previous = {}
        try:
            ran = run_worker(poll=max(options["poll"], 0.1), once=options["once"], stop=stop)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        if options["verbosity"] > 1:
            self.stdout.write(f"{ran} tasks run")
