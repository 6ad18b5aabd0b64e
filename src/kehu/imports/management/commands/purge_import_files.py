"""``kehu purge_import_files``: delete import error files kept longer than KEHU_IMPORT_ERROR_FILE_DAYS days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Delete the import error files kept longer than KEHU_IMPORT_ERROR_FILE_DAYS days, the uploaded files of "
            "imports that ended (if any are left), and uploads left at the mapping step for as long. Run hourly by "
            "celery beat, or by the background worker when no broker is configured.")

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.imports.services import import_files_purge

        counts = import_files_purge()
        self.stdout.write(f"error files deleted {counts['error_files']}, uploads deleted {counts['uploads']}, "
                          f"abandoned uploads deleted {counts['abandoned']}")
