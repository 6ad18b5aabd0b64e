"""Streaming readers for import files: CSV in UTF-8 (with or without BOM) or GB18030/GBK, and spreadsheets.

Rows are produced one at a time, numbered as the user sees them in the file (the header is row 1, a blank line still
takes its number) and blank rows are skipped. Nothing holds the whole file as Python objects: CSV is decoded as a
stream; spreadsheets are read with python-calamine, which keeps cells in its own compact (Rust) storage and hands rows
to Python one by one (``iter_rows``).

Encoding detection for CSV: try UTF-8 (a BOM is dropped), then GB18030 (a superset of GBK and GB2312 that also has
characters such as 𠮷, on which ``gbk`` fails); charset-normalizer is asked only when neither decodes the file.
The user may force ``utf-8`` or ``gbk``/``gb2312``/``gb18030`` (all read as GB18030).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
ENCODING_CHOICES = ("auto", "utf-8", "gbk", "gb18030")
_BLOCK = 1 << 20
csv.field_size_limit(16 * 1024 * 1024)


class UnreadableFile(Exception):
    """The file cannot be read as a table (missing, wrong encoding, not a spreadsheet, no header row)."""


def normalise_encoding(name: str) -> str:
    """The codec used for a user's encoding choice: utf-8 → utf-8-sig (drops a BOM), gbk/gb2312 → gb18030."""
    text = (name or "auto").strip().lower().replace("_", "-")
    if text in {"", "auto"}:
        return "auto"
    if text in {"utf-8", "utf8", "utf-8-sig"}:
        return "utf-8-sig"
    if text in {"gbk", "gb2312", "gb18030", "cp936"}:
        return "gb18030"
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise UnreadableFile(_("Unknown encoding “%(encoding)s”.") % {"encoding": name}) from None


def _decodes_as(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file: utf-8-sig, gb18030, or what charset-normalizer finds as a last resort."""
    for candidate in ("utf-8-sig", "gb18030"):
        if _decodes_as(path, candidate):
            return candidate
    from charset_normalizer import from_path

    best = from_path(str(path)).best()
    if best is None or not best.encoding:
        raise UnreadableFile(_("The file's character encoding could not be recognised; save it as UTF-8 and try "
                               "again."))
    return best.encoding


def file_fingerprint(path: Path) -> str:
    """A cheap identity of a file's contents (size and the first and last 64 KiB), checked before resuming."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(65536))
        if size > 65536:
            handle.seek(max(size - 65536, 65536))
            digest.update(handle.read(65536))
    return digest.hexdigest()


def is_blank(values: list[Any]) -> bool:
    if values:
        first = values[0]
        if first.__class__ is str:
            if first and not first.isspace():
                return False
        elif first is not None:
            return False
    for value in values:
        if value is None:
            continue
        if isinstance(value, str):
            if value.strip():
                return False
        else:
            return False
    return True


@dataclass
class TableReader:
    """A file opened for import: its header row and a stream of ``(row number, values)`` for the data rows."""

    path: Path
    kind: str  # "csv" or "spreadsheet"
    encoding: str = ""
    sheet: str = ""
    sheet_names: list[str] = field(default_factory=list)
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)
    header_row: int = 1
    estimated_rows: int | None = None
    _workbook: Any = field(default=None, repr=False)
    _sheet: Any = field(default=None, repr=False)

    def rows(self, *, start_after: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """Data rows after the header, skipping blank ones and those numbered ``start_after`` or lower."""
        width = len(self.headers)
        source = self._csv_records() if self.kind == "csv" else self._sheet_records()
        for number, values in source:
            if number <= self.header_row or number <= start_after:
                continue
            if is_blank(values):
                continue
            if len(values) < width:
                values = list(values) + [""] * (width - len(values))
            yield number, values

    def _csv_records(self) -> Iterator[tuple[int, list[Any]]]:
        with self.path.open("r", encoding=self.encoding, errors="strict", newline="") as handle:
            try:
                yield from enumerate(csv.reader(handle, delimiter=self.delimiter), start=1)
            except UnicodeDecodeError:
                raise UnreadableFile(
                    _("The file is not in the %(encoding)s encoding.") % {"encoding": self.encoding}
                ) from None
            except csv.Error as error:
                raise UnreadableFile(_("The CSV file is malformed: %(error)s") % {"error": error}) from None

    def _sheet_records(self) -> Iterator[tuple[int, list[Any]]]:
        # the sheet is parsed once (into calamine's own storage) and kept while the reader is in use
        if self._sheet is None:
            self._workbook, self._sheet = _open_sheet(self.path, self.sheet)
        # calamine pads the rows above the used range, so the position is the spreadsheet's row number
        yield from enumerate(self._sheet.iter_rows(), start=1)

    def close(self) -> None:
        """Release a parsed spreadsheet (readers of CSV files hold nothing between reads)."""
        if self._workbook is not None:
            self._workbook.close()
        self._workbook = self._sheet = None


def _open_sheet(path: Path, sheet_name: str) -> tuple[Any, Any]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as error:  # noqa: BLE001 - calamine raises several error types for unreadable files
        raise UnreadableFile(_("The file is not a spreadsheet Kehu can read: %(error)s") % {"error": error}) from None
    try:
        sheet = workbook.get_sheet_by_name(sheet_name) if sheet_name else workbook.get_sheet_by_index(0)
    except Exception:  # noqa: BLE001
        workbook.close()
        raise UnreadableFile(
            _("The workbook has no sheet “%(sheet)s”; its sheets are: %(sheets)s.")
            % {"sheet": sheet_name, "sheets": "、".join(workbook.sheet_names)}
        ) from None
    return workbook, sheet


def _count_lines(path: Path) -> int:
    count = 0
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (1 if last and last != b"\n" else 0)


def _sniff_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";", "|")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def open_table(path: str | os.PathLike[str], *, encoding: str = "auto", sheet: str = "") -> TableReader:
    """Open an import file, find its encoding (CSV) or sheet (spreadsheet) and read its header row."""
    file_path = Path(path)
    if not file_path.is_file():
        raise UnreadableFile(_("The file %(path)s does not exist.") % {"path": str(path)})
    try:
        return _open_table(file_path, encoding=encoding, sheet=sheet)
    except OSError as error:  # no permission to read it, an I/O error
        raise UnreadableFile(_("The file %(path)s cannot be read: %(error)s")
                             % {"path": str(path), "error": error.strerror or error}) from None


def _open_table(file_path: Path, *, encoding: str, sheet: str) -> TableReader:
    suffix = file_path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        reader = TableReader(path=file_path, kind="spreadsheet", sheet=sheet)
        reader._workbook, reader._sheet = _open_sheet(file_path, sheet)
        reader.sheet = reader._sheet.name
        reader.sheet_names = list(reader._workbook.sheet_names)
        reader.estimated_rows = reader._sheet.total_height
    else:
        codec = normalise_encoding(encoding)
        if codec == "auto":
            codec = detect_encoding(file_path)
        elif not _decodes_as(file_path, codec):
            raise UnreadableFile(_("The file is not in the %(encoding)s encoding.") % {"encoding": encoding})
        reader = TableReader(path=file_path, kind="csv", encoding=codec)
        with file_path.open("r", encoding=codec, newline="") as handle:
            first = ""
            for line in handle:
                if line.strip().strip(",;\t|"):
                    first = line
                    break
        reader.delimiter = _sniff_delimiter(first)
        reader.estimated_rows = _count_lines(file_path)
    found = _header_record(reader._csv_records() if reader.kind == "csv" else reader._sheet_records())
    if found is None:
        raise UnreadableFile(_("The file is empty: it has no header row."))
    reader.header_row, header_values = found
    reader.headers = [header_text(value) for value in header_values]
    while reader.headers and not reader.headers[-1]:
        reader.headers.pop()
    return reader


TITLE_LOOKAHEAD = 5


def _header_record(records: Iterator[tuple[int, list[Any]]]) -> tuple[int, list[Any]] | None:
    """The header row: the first row that is not blank, unless it is a title line.

    Exports from banks' and retailers' systems often start with a title (客户清单（2024年6月）, one cell or merged
    cells) and perhaps a date line above the real header. A first row with fewer than two filled cells followed,
    within the next few rows, by one with two or more, is taken as such a title: that later row is the header.
    """
    first: tuple[int, list[Any]] | None = None
    looked = 0
    for number, values in records:
        if is_blank(values):
            continue
        filled = sum(1 for value in values if header_text(value))
        if first is None:
            first = (number, values)
            if filled >= 2:
                return first
            continue
        if filled >= 2:
            return number, values
        looked += 1
        if looked >= TITLE_LOOKAHEAD:
            break
    return first


def header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\ufeff", "").strip()


def cell_text(value: Any) -> str:
    """A cell as the user would read it: spreadsheet numbers without a trailing .0, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")  # as a spreadsheet shows it: 2024-04-01 09:30:00
        return text[:10] if text.endswith(" 00:00:00") else text
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
