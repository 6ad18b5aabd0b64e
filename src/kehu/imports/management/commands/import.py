"""``kehu import customers|contacts|transactions FILE …``, ``kehu import resume JOB`` and ``kehu import jobs``.

Exit status: 0 when the import ran (bad rows in skip-bad mode included), 1 when all-or-nothing rejected the file
(nothing stored), 2 for unusable arguments or an unreadable file. The last line printed is always
``created N, updated N, unchanged N, failed N`` when the import ran.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.core.registry import import_targets
from kehu.imports.models import ImportJob, ImportMapping, ImportMode
from kehu.imports.readers import ENCODING_CHOICES

USAGE = 2


class Command(BaseCommand):
    help = (
        "Import customers, contacts or transactions from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or Excel file. "
        "Examples: kehu import customers 客户.xlsx --key mobile --mode skip-bad --errors errors.csv; "
        "kehu import transactions orders.csv --key code; kehu import resume 12; kehu import jobs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=[*import_targets.keys(), "resume", "jobs"],
                            help="customers, contacts or transactions; resume JOB_ID; jobs (recent imports)")
        parser.add_argument("file", nargs="?", help="the CSV or Excel file (for resume: the job number)")
        parser.add_argument("--mapping", default="", help="name of a saved column mapping")
        parser.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD",
                            help="map a column explicitly (repeatable); FIELD empty to ignore the column")
        parser.add_argument("--save-mapping", default="", metavar="NAME", help="save the mapping used under NAME")
        parser.add_argument("--key", default="",
                            help="natural key: customers code|mobile|id_number|credit_code; transactions and "
                                 "contacts: how rows name their customer (code|mobile|credit_code)")
        parser.add_argument("--mode", default=ImportMode.ALL_OR_NOTHING, choices=ImportMode.values)
        parser.add_argument("--errors", default="", metavar="OUT", help="write the rejected rows to OUT (.csv/.xlsx)")
        parser.add_argument("--encoding", default="auto", choices=[*ENCODING_CHOICES, "gb2312", "utf8"])
        parser.add_argument("--sheet", default="", help="sheet name of an Excel file (default: the first)")
        parser.add_argument("--user", default="", help="import as this staff member (their permissions apply)")
        parser.add_argument("--branch", default="", help="home branch (code) of new customers without one "
                                 "(default: the importing user's only branch, else the head office)")
        parser.add_argument("--clear-empty", action="store_true",
                            help="empty cells clear the stored values of the records the file updates (default: an "
                                 "empty cell leaves the stored value as it is)")
        parser.add_argument("--accept-name-changes", action="store_true",
                            help="customers: rename matched customers whose name in the file differs (default: such "
                                 "rows are reported as problems and not stored)")
        parser.add_argument("--kind", default="auto", choices=["auto", "person", "organisation"],
                            help="customers without a kind column: auto (an organisation when the name or a credit "
                                 "code says so, else a person), or every row a person or an organisation")
        parser.add_argument("--value", action="append", default=[], metavar="FIELD:TEXT=VALUE",
                            help="map a cell value onto Kehu's value (repeatable), e.g. "
                                 "'management_class:A类=key', 'lifecycle_status:已成交=current', "
                                 "'owner:王经理=wang' (a user name)")
        parser.add_argument("--chunk-size", type=int, default=5000, help="rows per transaction (skip-bad mode)")
        parser.add_argument("--language", default="", help="language of messages (zh-hans or en)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._import_or_list(options)

    def _import_or_list(self, options: dict[str, Any]) -> None:
        from kehu.imports.services import import_job_create, import_mapping_save, import_run

        what = options["what"]
        if what == "jobs":
            self._list_jobs()
            return
        if not options["file"]:
            raise CommandError(_("Name the file to import (or the job number to resume)."), returncode=USAGE)
        user = self._user(options["user"])
        if what == "resume":
            try:
                job = ImportJob.objects.select_related("user").get(pk=int(options["file"]))
            except (ValueError, ImportJob.DoesNotExist):
                raise CommandError(_("There is no import job %(job)s.") % {"job": options["file"]},
                                   returncode=USAGE) from None
            if job.is_finished:
                self.stdout.write(_("Import job #%(job)s has already finished.") % {"job": job.pk})
                self._report(job, options)
                return
        else:
            job = self._create(import_job_create, what, user, options)
            if options["save_mapping"]:
                mapping = import_mapping_save(name=options["save_mapping"], target=what, headers=list(job.headers),
                                              columns=list(job.column_map), key=job.key, user=user,
                                              values=(job.options or {}).get("values") or {})
                self.stderr.write(_("Mapping “%(name)s” saved.") % {"name": mapping.name})
        self.stderr.write(_("Import job #%(job)s (if interrupted: kehu import resume %(job)s)") % {"job": job.pk})
        bar = None
        if not options["no_progress"]:
            from tqdm import tqdm

            bar = tqdm(total=job.rows_total, initial=job.rows_done if job.mode == ImportMode.SKIP_BAD else 0,
                       unit=_("rows"), file=sys.stderr, dynamic_ncols=True, mininterval=0.5)

        def progress(current: ImportJob, rows: int) -> None:
            if bar is not None:
                if current.status == ImportJob.Status.RUNNING and bar.n >= (current.rows_total or 0) \
                        and current.mode == ImportMode.ALL_OR_NOTHING:
                    bar.reset(total=current.rows_total)
                    bar.set_description(_("writing"))
                bar.update(rows)

        if bar is not None and job.mode == ImportMode.ALL_OR_NOTHING:
            bar.set_description(_("checking"))
        try:
            job = import_run(job=job, progress=progress, chunk_size=max(options["chunk_size"], 1))
            if bar is not None:
                bar.total = bar.n  # the total was estimated from the file's lines
                bar.refresh()
        finally:
            if bar is not None:
                bar.close()
        self._report(job, options)

    def _user(self, username: str) -> Any:
        if not username:
            return None
        from kehu.org.models import User

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active staff member “%(user)s”.") % {"user": username},
                               returncode=USAGE)
        return user

    def _create(self, create: Any, what: str, user: Any, options: dict[str, Any]) -> ImportJob:
        mapping = None
        if options["mapping"]:
            mapping = ImportMapping.objects.filter(target=what, name=options["mapping"]).first()
            if mapping is None:
                raise CommandError(_("There is no saved mapping “%(name)s” for %(target)s.")
                                   % {"name": options["mapping"], "target": what}, returncode=USAGE)
        columns = {}
        for item in options["map"]:
            header, separator, field = item.partition("=")
            if not separator:
                raise CommandError(_("Write --map as HEADER=FIELD."), returncode=USAGE)
            columns[header.strip()] = field.strip()
        job_options: dict[str, Any] = {}
        if options["clear_empty"]:
            job_options["clear_empty"] = True
        if options["accept_name_changes"]:
            job_options["accept_name_changes"] = True
        if options["kind"] != "auto":
            job_options["kind"] = options["kind"]
        values = self._values(options["value"])
        if values:
            job_options["values"] = values
        if options["branch"]:
            from kehu.org.models import Branch

            branch = Branch.objects.filter(code=options["branch"]).first()
            if branch is None:
                raise CommandError(_("There is no branch with the code %(code)s.") % {"code": options["branch"]},
                                   returncode=USAGE)
            job_options["default_branch"] = branch.pk
        elif what == "customers":
            from kehu.org.services import default_branch_for

            # without --branch: the importing user's only branch, else the head office (made on a fresh installation)
            default = default_branch_for(user)
            if default is not None:
                job_options["default_branch"] = default.pk
        try:
            return create(
                target=what, file_path=options["file"], user=user, key=options["key"], mode=options["mode"],
                encoding=options["encoding"], sheet=options["sheet"], mapping=mapping, columns=columns,
                options=job_options, language=translation.get_language(),
            )
        except ValidationError as error:
            messages = []
            for field, field_messages in error.message_dict.items():
                messages.extend(field_messages if field in {"file", "columns", "__all__"} else
                                [f"{field}: {message}" for message in field_messages])
            raise CommandError(" ".join(messages), returncode=USAGE) from None

    def _values(self, items: list[str]) -> dict[str, dict[str, str]]:
        """``--value FIELD:TEXT=VALUE`` options as a value mapping; an account manager is named by user name."""
        from kehu.org.models import User

        values: dict[str, dict[str, str]] = {}
        for item in items:
            field, colon, rest = item.partition(":")
            text, equals, value = rest.rpartition("=")
            if not colon or not equals or not field.strip() or not text.strip():
                raise CommandError(_("Write --value as FIELD:TEXT=VALUE."), returncode=USAGE)
            value = value.strip()
            if field.strip() == "owner" and value:
                user = User.objects.filter(username=value, is_active=True).first()
                if user is None:
                    raise CommandError(_("There is no active staff member “%(user)s”.") % {"user": value},
                                       returncode=USAGE)
                value = str(user.pk)
            values.setdefault(field.strip(), {})[text.strip()] = value
        return values

    def _report(self, job: ImportJob, options: dict[str, Any]) -> None:
        from kehu.imports.selectors import import_unmatched_values
        from kehu.imports.services import import_error_report, import_unused_columns

        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error_message or _("The import failed."), returncode=USAGE)
        if options.get("errors"):
            path = options["errors"]
            file_format = "xlsx" if str(path).lower().endswith(".xlsx") else "csv"
            written = import_error_report(job=job, out=path, file_format=file_format)
            if written:
                self.stdout.write(_("%(count)d rejected rows written to %(path)s") % {"count": written, "path": path})
        if job.status == ImportJob.Status.REJECTED:
            self.stdout.write(_("The file was rejected: %(count)d rows have problems, so nothing was stored "
                                "(all-or-nothing mode).") % {"count": job.failed})
        elif job.failed:
            self.stdout.write(_("%(count)d rows have problems and were not stored.") % {"count": job.failed})
        unused = import_unused_columns(job=job)
        if unused:
            self.stdout.write(_("Columns not used: %(columns)s") % {"columns": ", ".join(unused)})
        unmatched = import_unmatched_values(job=job)
        for field, found in unmatched.items():
            listed = ", ".join(f"{text} ({count})" for text, count in found)
            if field == "owner":
                self.stdout.write(_("Account managers not found (the customers were stored without them): "
                                    "%(values)s") % {"values": listed})
            else:
                self.stdout.write(_("Industries not recognised (kept in the notes): %(values)s") % {"values": listed})
        columns = [job.headers[job.column_map.index(field)] for field in unmatched]
        others = job.row_errors.filter(is_warning=True).exclude(column__in=columns).values("row").distinct().count()
        if others:
            self.stdout.write(_("%(count)d new rows look like customers already stored (same mobile, ID number or "
                                "credit code): see the import's page to merge them.") % {"count": others})
        if job.status == ImportJob.Status.DONE and not job.rows_done:
            self.stdout.write(_("The file has no data rows: only the header row."))
        if job.status == ImportJob.Status.DONE and not job.created and not job.updated and job.unchanged:
            if job.failed:
                self.stdout.write(_("Nothing changed: the rows without problems are already stored as they are in "
                                    "the file."))
            else:
                self.stdout.write(_("Nothing changed: every row is already stored as it is in the file."))
        self.stdout.write(job.summary_line())
        self.stdout.flush()
        if job.status == ImportJob.Status.REJECTED:
            raise SystemExit(1)

    def _list_jobs(self) -> None:
        for job in ImportJob.objects.select_related("user").order_by("-id")[:20]:
            self.stdout.write(
                f"#{job.pk}\t{job.created_at:%Y-%m-%d %H:%M}\t{job.target}\t{job.get_status_display()}\t"
                f"{job.original_name}\t{job.summary_line()}"
            )
