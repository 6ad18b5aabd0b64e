"""The ``kehu`` command.

``kehu demo``     create the embedded SQLite database under ``var/``, load demo data and serve on 127.0.0.1:8000
``kehu serve``    migrate, collect static files and serve with gunicorn (``--host``, ``--port``, ``--workers``)
``kehu worker``   run the background worker: a Celery worker with KEHU_REDIS_URL, else the database queue's worker
                 (``kehu serve`` and ``kehu demo`` start one themselves when there is no broker)
``kehu beat``     run the Celery beat scheduler
``kehu bench NAME`` run a benchmark script from bench/ (``kehu bench`` lists them)
``kehu clv fit``  fit BG/NBD and Gamma-Gamma on a transaction file (no database): ``kehu clv fit --help``
``kehu import customers|transactions|contacts FILE``  import a CSV or XLSX file (``kehu import --help``)
``kehu export customers OUT.xlsx|OUT.csv``            export customers (``kehu export --help``)
``kehu score``    a scoring run: tiers, RFM, lifetime value, alerts (``kehu score --help``)
``kehu cadence``  the due contact tasks of the cadence rules, and the overdue ones (``--as-of YYYY-MM-DD``)
anything else    a Django management command (``kehu migrate``, ``kehu createsuperuser``, ``kehu shell`` ...)
"""

from __future__ import annotations

import os
import subprocess
import sys

# commands that answer web requests: their database connections take KEHU_DB_STATEMENT_TIMEOUT_MS and
# KEHU_DB_LOCK_TIMEOUT_MS (the background worker `kehu serve` starts is a `kehu worker` process, without them)
WEB_COMMANDS = {"serve", "runserver", "demo"}


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")


def _asks_for_help(args: list[str]) -> bool:
    return not args or args[0] == "help" or any(arg in {"-h", "--help"} for arg in args)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if _asks_for_help(args) and not os.environ.get("KEHU_SECRET_KEY"):
        # help needs no configuration: the settings load with a throw-away key (nothing is signed or served)
        import secrets

        os.environ["KEHU_SECRET_KEY"] = secrets.token_urlsafe(50)
    if command == "clv":
        # pure numerics on a file: no settings, no database
        from kehu.scoring.cli import main as clv_main

        return clv_main(args[1:])
    if command not in WEB_COMMANDS:
        # background work and administration: no statement or lock timeout on their database connections (settings)
        os.environ.setdefault("KEHU_PROCESS_KIND", "job")
    if command in {"demo"}:
        # the embedded demo is a development set-up: debug on, default secret allowed
        os.environ.setdefault("KEHU_DEBUG", "1")
    _django_setup()
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if command == "bench":
        return _bench(args[1:])
    if command == "worker" and not os.environ.get("KEHU_REDIS_URL"):
        # no broker: the worker that runs the tasks queued in the database (kehu.core.queue)
        import django
        from django.core.management import call_command, execute_from_command_line

        if _asks_for_help(args):
            execute_from_command_line(["kehu", "jobworker", *args[1:]])
            return 0
        django.setup()
        call_command("jobworker", *args[1:])  # (not run_from_argv, which closes the connections it did not open)
        return 0
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading a setting loads them all: report a bad configuration plainly
    except ImproperlyConfigured as error:
        print(f"kehu: {error}", file=sys.stderr)
        return 2
    if command == "serve":
        return _serve(args[1:])
    if command == "worker":
        from kehu.celery import app

        app.worker_main(["worker", "--loglevel=INFO", *args[1:]])
        return 0
    if command == "beat":
        from kehu.celery import app

        app.start(["beat", "--loglevel=INFO", *args[1:]])  # click's arguments, without a program name
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kehu", *args])
    return 0


def _bench(args: list[str]) -> int:
    """``kehu bench NAME [args]`` runs ``bench/NAME_bench.py`` of the source checkout (benchmarks are not installed)."""
    import subprocess
    from pathlib import Path

    bench_dir = Path(__file__).resolve().parents[2] / "bench"
    available = sorted(p.name.removesuffix("_bench.py") for p in bench_dir.glob("*_bench.py"))
    if args and args[0] in {"-h", "--help"}:
        print("usage: kehu bench NAME [options]; NAME is one of: " + ", ".join(available or ["(none found)"]))
        return 0
    if not args or args[0] not in available:
        print("usage: kehu bench NAME [options]; NAME is one of: " + ", ".join(available or ["(none found)"]))
        return 2
    return subprocess.call([sys.executable, str(bench_dir / f"{args[0]}_bench.py"), *args[1:]])


def _serve(args: list[str]) -> int:
    """Migrate, collect static files and serve with gunicorn (2 workers per core by default)."""
    import argparse

    from django.core.management import call_command

    parser = argparse.ArgumentParser(prog="kehu serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--workers", default=str((os.cpu_count() or 1) * 2 + 1))
    parser.add_argument("--no-migrate", action="store_true")
    options = parser.parse_args(args)
    import django

    django.setup()
    from django.db import connection, connections

    if not options.no_migrate:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a migration may take longer than a web request's statement timeout
                cursor.execute("SET statement_timeout = 0; SET lock_timeout = 0")
        call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()  # gunicorn's workers open their own connections, never share this one
    worker = start_background_worker()
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "kehu.wsgi:application", "--bind", f"{options.host}:{options.port}",
                "--workers", options.workers, "--access-logfile", "-",
                # query strings (phones, ID numbers, names searched) are logged without their values
                "--logger-class", "kehu.access_log.RedactingLogger"]
    try:
        run()
    finally:
        stop_background_worker(worker)
    return 0


class BackgroundWorker:
    """``kehu worker`` (the database queue's worker) as a child process of the server, started again if it dies
    (a big import that ran out of memory must not leave every later job waiting)."""

    RESTART_SECONDS = 5.0

    def __init__(self) -> None:
        import threading

        self._stopped = threading.Event()
        self.process = self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="kehu-worker-watcher", daemon=True)
        self._watcher.start()

    @staticmethod
    def _spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "kehu.cli", "worker"])

    def _watch(self) -> None:
        while not self._stopped.wait(self.RESTART_SECONDS):
            if self.process.poll() is not None and not self._stopped.is_set():
                print(f"kehu: the background worker stopped (exit {self.process.returncode}); starting it again",
                      file=sys.stderr)
                self.process = self._spawn()

    def stop(self) -> None:
        self._stopped.set()
        if self.process.poll() is not None:
            return
        self.process.terminate()  # an import cut off resumes from its checkpoint
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_background_worker() -> BackgroundWorker | None:
    """Without a Celery broker, start ``kehu worker`` (the database queue's worker) beside the web server: the tasks
    views dispatch run there, never in a web request. None when a broker is configured (run ``kehu worker``)."""
    from django.conf import settings

    if settings.KEHU_TASK_QUEUE != "database":
        return None
    return BackgroundWorker()


def stop_background_worker(worker: BackgroundWorker | None) -> None:
    if worker is not None:
        worker.stop()


if __name__ == "__main__":
    sys.exit(main())
