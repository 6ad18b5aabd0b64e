"""The ``kehu`` command.

``kehu demo``     create the embedded SQLite database under ``var/``, load demo data and serve on 127.0.0.1:8000
``kehu serve``    serve the application (``--host``, ``--port``; development server when KEHU_DEBUG is set)
``kehu worker``   run a Celery worker (needs KEHU_REDIS_URL)
``kehu beat``     run the Celery beat scheduler
anything else    a Django management command (``kehu migrate``, ``kehu createsuperuser``, ``kehu shell`` ...)
"""

from __future__ import annotations

import os
import sys


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if command in {"demo"}:
        # the embedded demo is a development set-up: debug on, default secret allowed
        os.environ.setdefault("KEHU_DEBUG", "1")
    _django_setup()
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if command == "worker":
        from kehu.celery import app

        app.worker_main(["worker", "--loglevel=INFO", *args[1:]])
        return 0
    if command == "beat":
        from kehu.celery import app

        app.start(["celery", "beat", "--loglevel=INFO", *args[1:]])
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kehu", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
