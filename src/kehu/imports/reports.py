"""The error report of an import job (the rows that were not stored, in the file's own columns plus a row and an
error column, to be fixed and imported again) and the CSV/XLSX writers it shares with the customer export.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.core.messages import render as render_message
from kehu.core.spreadsheet import csv_safe

from .files import cell_from_json, open_job_file
from .models import ImportJob, ImportRowError
from .readers import UnreadableFile, cell_text


def import_error_report(*, job: ImportJob, out: IO[bytes] | str | os.PathLike[str], file_format: str = "csv",
                        language: str | None = None) -> int:
    """Write the rows that were not stored, in the file's own column layout plus a row and an error column.

    The report can be fixed and imported again as it is: the two extra columns are ignored by the mapping. Returns
    the number of rows written. ``file_format`` is ``csv`` (UTF-8 with BOM, for Excel) or ``xlsx``. Headers and
    reasons are in ``language`` (default: the language the import ran in).
    """
    reasons: dict[int, list[str]] = defaultdict(list)
    errors = ImportRowError.objects.filter(job=job, is_warning=False).order_by("row", "id")
    with translation.override(language or job.language or settings.LANGUAGE_CODE):
        for row, column, reason, message in errors.values_list("row", "column", "reason", "message"):
            text = render_message(message, reason)
            reasons[row].append(f"{column}: {text}" if column else text)
        kept = _report_columns(job)
        headers = [*(job.headers[index] for index in kept), _("row"), _("error")]
    rows = _failed_rows(job, reasons, kept) if reasons else iter(())
    if file_format == "xlsx":
        return write_xlsx(out, headers, rows)
    return write_csv(out, headers, rows)


def _report_columns(job: ImportJob) -> list[int]:
    """The file's columns repeated in its error report: all but the row and error columns of an earlier report.

    (A report that is fixed and imported again gets a report of its own with one row and one error column, the new
    ones, rather than the old ones followed by the new.)
    """
    from .aliases import REPORT_HEADERS
    from .fields import normalise_header

    ignored = {normalise_header(header) for header in REPORT_HEADERS}
    for language in ("zh-hans", "en", job.language or settings.LANGUAGE_CODE):
        with translation.override(language):
            ignored |= {normalise_header(_("row")), normalise_header(_("error"))}
    columns = list(job.column_map)
    return [index for index, header in enumerate(job.headers)
            if (columns[index] if index < len(columns) else "") or normalise_header(header) not in ignored]


def _failed_rows(job: ImportJob, reasons: dict[int, list[str]], kept: list[int]) -> Iterator[list[Any]]:
    if job.error_file_path:
        path = Path(job.error_file_path)
        if job.error_file_deleted_at is not None or not path.is_file():
            raise ValidationError(
                _("The rows with problems are no longer kept: they are deleted %(days)d days after the import ends.")
                % {"days": settings.KEHU_IMPORT_ERROR_FILE_DAYS})
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                row, values = json.loads(line)
                if row in reasons:
                    values = [cell_from_json(value) for value in values]
                    yield [*(values[index] if index < len(values) else "" for index in kept), row,
                           "；".join(reasons[row])]
        return
    if job.file_deleted_at is not None:
        raise ValidationError(_("The uploaded file was deleted when the import ended."))
    try:
        reader = open_job_file(job)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from None
    last = max(reasons)
    for row, values in reader.rows():
        if row in reasons:
            yield [*(values[index] if index < len(values) else "" for index in kept), row, "；".join(reasons[row])]
        if row >= last:
            break


def _open_binary(out: IO[bytes] | str | os.PathLike[str]) -> tuple[IO[bytes], bool]:
    if isinstance(out, (str, os.PathLike)):
        return open(out, "wb"), True  # noqa: SIM115 - closed by the caller below
    return out, False


def write_csv(out: IO[bytes] | str | os.PathLike[str], headers: list[str], rows: Iterator[list[Any]]) -> int:
    import io

    handle, owned = _open_binary(out)
    count = 0
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        # every cell neutralised against formula injection; the readers take the quote off again (core.spreadsheet)
        writer.writerow([csv_safe(header) for header in headers])
        for values in rows:
            writer.writerow([csv_safe(cell_text(value)) for value in values])
            count += 1
        text.flush()
        text.detach()
    finally:
        if owned:
            handle.close()
    return count


def write_xlsx(out: IO[bytes] | str | os.PathLike[str], headers: list[str], rows: Iterator[list[Any]]) -> int:
    import xlsxwriter

    handle, owned = _open_binary(out)
    count = 0
    try:
        workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "in_memory": False,
                                                "strings_to_numbers": False, "strings_to_formulas": False})
        sheet = workbook.add_worksheet()
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, headers)
        for index, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(index, column, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(index, column, value)
                elif isinstance(value, Decimal):
                    sheet.write_number(index, column, float(value))
                elif value is None:
                    continue
                else:
                    sheet.write(index, column, value)
            count += 1
        workbook.close()
    finally:
        if owned:
            handle.close()
    return count
