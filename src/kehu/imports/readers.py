"""Streaming readers for import files: CSV in UTF-8 (with or without BOM) or GB18030/GBK, and spreadsheets.

Rows are produced one at a time, numbered as the user sees them in the file (the header is row 1, a blank line still
takes its number) and blank rows are skipped. Nothing holds the whole file in memory: CSV is decoded as a stream;
spreadsheets are parsed by python-calamine (Rust), which keeps Excel's cell types (numbers, dates) and date formats.

Calamine parses a whole worksheet at once (1.5 GiB for a million rows of 18 columns), so an XLSX/XLSM sheet is handed
to it a slice at a time (:class:`XlsxSlices`): the sheet's XML is inflated as a stream and cut after a ``</row>``
every ``XLSX_SLICE_BYTES``; each slice becomes a small stored (uncompressed) workbook with the original workbook,
relationships, styles and shared strings, which calamine parses in worker threads, ``XLSX_PARSERS`` slices at once
(it releases the interpreter lock), while the rows of the slice before go to the import. Calamine does all the XML
parsing; the rows keep their numbers (the ``r`` attributes) and columns. XLS, XLSB, ODS, and XLSX files this cannot
slice (no row numbers in the XML, prefixed XML names, or shared strings so large that each slice would re-read too
much of them) are parsed whole.

Encoding detection for CSV: try UTF-8 (a BOM is dropped), then GB18030 (a superset of GBK and GB2312 that also has
characters such as 𠮷, on which ``gbk`` fails); charset-normalizer is asked only when neither decodes the file.
The user may force ``utf-8`` or ``gbk``/``gb2312``/``gb18030`` (all read as GB18030).
"""

from __future__ import annotations

import collections
import csv
import hashlib
import itertools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kehu.core import tables
from kehu.core.spreadsheet import csv_unsafe, csv_unsafe_row
from kehu.core.tables import SPREADSHEET_SUFFIXES as SPREADSHEET_SUFFIXES
from kehu.core.tables import cell_text as cell_text
from kehu.core.tables import count_lines
from kehu.core.tables import decodes_as as _decodes_as

ENCODING_CHOICES = ("auto", "utf-8", "gbk", "gb18030")
# a part of a spreadsheet that calamine reads whole (the shared strings, a sheet it cannot be given in slices, every
# part of an XLSB or ODS file) is bounded, whatever the limit on the whole inflated workbook
WHOLE_PART_MAX_BYTES = 256 << 20
_RATIO_MIN_BYTES = 1 << 20  # members smaller than this inflate to little whatever their ratio
_ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods"}


class UnreadableFile(Exception):
    """The file cannot be read as a table (missing, wrong encoding, not a spreadsheet, no header row, over a limit)."""


def max_field_chars() -> int:
    """The most characters a CSV field or a spreadsheet cell may hold (``KEHU_IMPORT_MAX_FIELD_CHARS``)."""
    return int(getattr(settings, "KEHU_IMPORT_MAX_FIELD_CHARS", 32767))


def column_letter(index: int) -> str:
    """A column's spreadsheet letter from its index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def check_spreadsheet(path: Path, *, sheet_part: str | None = None) -> None:
    """Refuse a zipped spreadsheet (XLSX, XLSM, XLSB, ODS) that would inflate to too much, before calamine reads it.

    The declared sizes of its members are checked: the whole inflated size against ``KEHU_IMPORT_MAX_INFLATED_MB``,
    each member's compression ratio against ``KEHU_IMPORT_MAX_COMPRESSION_RATIO`` (a "zip bomb": 617 KB that unpack to
    600 MiB), and the parts calamine reads whole against :data:`WHOLE_PART_MAX_BYTES`. ``sheet_part`` names an XLSX
    sheet that is read in slices (so not whole). zipfile itself never inflates a member past its declared size.
    """
    if path.suffix.lower() not in _ZIP_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise UnreadableFile(_("The file is not a spreadsheet Kehu can read: %(error)s") % {"error": error}) from None
    limit = int(getattr(settings, "KEHU_IMPORT_MAX_INFLATED_MB", 1024)) << 20
    ratio_limit = int(getattr(settings, "KEHU_IMPORT_MAX_COMPRESSION_RATIO", 100))
    inflated = sum(member.file_size for member in members)
    if inflated > limit:
        raise UnreadableFile(
            _("The spreadsheet unpacks to %(size)s, more than the %(limit)s that can be imported. Save it as CSV or "
              "split it into smaller files.") % {"size": filesizeformat(inflated), "limit": filesizeformat(limit)})
    sliced = path.suffix.lower() in _XLSX_SUFFIXES
    for member in members:
        if member.file_size >= _RATIO_MIN_BYTES and member.file_size > ratio_limit * max(member.compress_size, 1):
            raise UnreadableFile(
                _("The spreadsheet is compressed %(ratio)d to 1 (%(packed)s unpack to %(size)s), more than the "
                  "%(limit)d to 1 a spreadsheet of real data has: it is refused as a possible “zip bomb”. Save it as "
                  "CSV and import that.")
                % {"ratio": member.file_size // max(member.compress_size, 1),
                   "packed": filesizeformat(member.compress_size), "size": filesizeformat(member.file_size),
                   "limit": ratio_limit})
        whole = not sliced or member.filename == _XLSX_PARTS[-1] or (
            sheet_part is not None and member.filename == sheet_part)
        if whole and member.file_size > WHOLE_PART_MAX_BYTES:
            raise UnreadableFile(
                _("A part of the spreadsheet (%(part)s) unpacks to %(size)s, more than the %(limit)s Kehu reads in one "
                  "piece. Save it as CSV and import that.")
                % {"part": member.filename, "size": filesizeformat(member.file_size),
                   "limit": filesizeformat(WHOLE_PART_MAX_BYTES)})


def normalise_encoding(name: str) -> str:
    """The codec used for a user's encoding choice: utf-8 → utf-8-sig (drops a BOM), gbk/gb2312 → gb18030."""
    try:
        return tables.normalise_encoding(name)
    except tables.TableFileError:
        raise UnreadableFile(_("Unknown encoding “%(encoding)s”.") % {"encoding": name}) from None


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file: utf-8-sig, gb18030, or what charset-normalizer finds as a last resort."""
    for candidate in tables.AUTO_ENCODINGS:
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
    _slices: XlsxSlices | None = field(default=None, repr=False)

    def rows(self, *, start_after: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """Data rows after the header, skipping blank ones and those numbered ``start_after`` or lower."""
        width = len(self.headers)
        all_text = self.kind == "csv"
        source = self._csv_records() if all_text else self._sheet_records()
        limit = max_field_chars() if not all_text else 0  # csv checks its fields itself
        for number, values in source:
            if number <= self.header_row or number <= start_after:
                continue
            if is_blank(values):
                continue
            if limit:
                for index, value in enumerate(values):
                    if value.__class__ is str and len(value) > limit:
                        raise UnreadableFile(
                            _("Row %(row)d, column %(column)s: the cell holds %(length)d characters, more than the "
                              "%(limit)d a cell may hold.")
                            % {"row": number, "column": column_letter(index), "length": len(value), "limit": limit})
            if len(values) < width:
                values = list(values) + [""] * (width - len(values))
            # cells Kehu neutralised against formula injection ('=…, '+86…, '-12.50) read as they were written
            yield number, csv_unsafe_row(values, all_text=all_text)

    def _csv_records(self) -> Iterator[tuple[int, list[Any]]]:
        limit = max_field_chars()
        csv.field_size_limit(limit)  # the module's limit is per process; every reader sets the configured one
        with self.path.open("r", encoding=self.encoding, errors="strict", newline="") as handle:
            records = csv.reader(handle, delimiter=self.delimiter)
            try:
                yield from enumerate(records, start=1)
            except UnicodeDecodeError:
                raise UnreadableFile(
                    _("The file is not in the %(encoding)s encoding.") % {"encoding": self.encoding}
                ) from None
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    raise UnreadableFile(
                        _("Line %(line)d: a field is longer than %(limit)d characters, the most a field may hold. "
                          "Check the file's quotes (a quote left open runs on to the end of the file) or shorten "
                          "the field.") % {"line": records.line_num, "limit": limit}
                    ) from None
                raise UnreadableFile(_("The CSV file is malformed at line %(line)d: %(error)s")
                                     % {"line": records.line_num, "error": error}) from None

    def _sheet_records(self) -> Iterator[tuple[int, list[Any]]]:
        if self._slices is not None:
            yield from self._slices.records()
            return
        # a sheet that cannot be sliced is parsed once (into calamine's own storage) and kept while the reader is used
        if self._sheet is None:
            self._workbook, self._sheet = _open_sheet(self.path, self.sheet)
        # calamine pads the rows above the used range, so the position is the spreadsheet's row number; cells are
        # placed in their spreadsheet columns (column A first) as in the sliced reading
        left = [""] * ((self._sheet.start or (0, 0))[1])
        if left:
            for number, values in enumerate(self._sheet.iter_rows(), start=1):
                yield number, left + values
        else:
            yield from enumerate(self._sheet.iter_rows(), start=1)

    def close(self) -> None:
        """Release a parsed spreadsheet (readers of CSV files hold nothing between reads)."""
        if self._workbook is not None:
            self._workbook.close()
        self._workbook = self._sheet = None


def _open_workbook(path: Path, sheet_name: str) -> tuple[Any, str]:
    """The workbook opened by calamine (its sheet list, styles and shared strings; no sheet parsed yet) and the name
    of the chosen sheet (the first one when none is asked for)."""
    try:
        workbook = tables.open_workbook(path)
    except tables.TableFileError as error:
        raise UnreadableFile(_("The file is not a spreadsheet Kehu can read: %(error)s")
                             % {"error": error.reason}) from None
    names = list(workbook.sheet_names)
    if (sheet_name and sheet_name not in names) or not names:
        workbook.close()
        raise UnreadableFile(
            _("The workbook has no sheet “%(sheet)s”; its sheets are: %(sheets)s.")
            % {"sheet": sheet_name, "sheets": "、".join(names)}
        )
    return workbook, sheet_name or names[0]


def _open_sheet(path: Path, sheet_name: str) -> tuple[Any, Any]:
    """The workbook and the chosen sheet, parsed whole by calamine."""
    workbook, name = _open_workbook(path, sheet_name)
    return workbook, _sheet_of(workbook, name)


def _sheet_of(workbook: Any, name: str) -> Any:
    try:
        return workbook.get_sheet_by_name(name)
    except Exception as error:  # noqa: BLE001 - calamine raises several error types for unreadable sheets
        workbook.close()
        raise UnreadableFile(_("The file is not a spreadsheet Kehu can read: %(error)s") % {"error": error}) from None


XLSX_PARSERS = 2  # slices parsed at once (worker threads)
XLSX_SLICE_BYTES = 16 << 20  # of sheet XML per slice: about 20,000 rows of 18 columns, 200 MiB peak for the process
_SHARED_STRINGS_SHARE = 8  # a slice is at least this many times the shared strings, which each slice re-reads
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# what calamine reads besides the sheet (fixed names in calamine's XLSX reader)
_XLSX_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
               "xl/styles.xml", "xl/sharedStrings.xml")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SHEET_DATA = b"<sheetData>"
_SHEET_END = b"</sheetData></worksheet>"
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_LAST_ROW = re.compile(rb'<dimension\b[^>]*\bref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')
_FIRST_ROW_TAG = re.compile(rb"<row\b[^>]*>")


def _xlsx_sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The name in the archive of a sheet's XML, found the way calamine finds it (workbook.xml and its rels)."""
    from xml.etree import ElementTree

    try:
        relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except (KeyError, ElementTree.ParseError):
        return None
    targets = {element.get("Id"): element.get("Target", "") for element in relationships
               if element.tag.endswith("}Relationship")}
    for element in workbook.iter():
        if element.tag.endswith("}sheet") and element.get("name") == sheet_name:
            target = targets.get(element.get(_REL_NS + "id"))
            if not target:
                return None
            if target.startswith("/xl/"):
                return target[1:]
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


class XlsxSlices:
    """The rows of one XLSX worksheet, parsed by calamine a slice of rows at a time (see the module's notes)."""

    def __init__(self, path: Path, sheet_name: str, part: str, slice_bytes: int, prefix: bytes) -> None:
        self.path = path
        self.sheet_name = sheet_name
        self.part = part
        self.slice_bytes = slice_bytes
        match = _LAST_ROW.search(prefix)
        self.last_row = int(match.group(1)) if match else None
        self._prefix = _DIMENSION.sub(b"", prefix)  # a slice has its own extent

    @classmethod
    def open(cls, path: Path, sheet_name: str) -> XlsxSlices | None:
        """Slices of the sheet, or None when it is better parsed whole."""
        if path.suffix.lower() not in _XLSX_SUFFIXES:
            return None
        try:
            with zipfile.ZipFile(path) as archive:
                part = _xlsx_sheet_part(archive, sheet_name)
                if part is None:
                    return None
                size = archive.getinfo(part).file_size
                shared = max((info.file_size for info in archive.infolist() if info.filename == _XLSX_PARTS[-1]),
                             default=0)
                slice_bytes = max(XLSX_SLICE_BYTES, _SHARED_STRINGS_SHARE * shared)
                if size <= slice_bytes:
                    return None  # one slice: parsed whole
                with archive.open(part) as handle:
                    head = handle.read(1 << 20)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError):
            return None
        start = head.find(_SHEET_DATA)
        if start < 0:
            return None  # no rows, or prefixed names (<x:sheetData>) that the cut after "</row>" would not find
        first_row = _FIRST_ROW_TAG.search(head, start)
        if first_row is not None and b' r="' not in first_row.group(0):
            return None  # rows without their numbers: a slice could not tell where it starts
        return cls(path, sheet_name, part, slice_bytes, head[:start + len(_SHEET_DATA)])

    def _pieces(self) -> Generator[bytes, None, None]:
        """The sheet's rows as complete worksheets of about ``slice_bytes`` of XML each (cut after a ``</row>``)."""
        limit = self.slice_bytes
        with zipfile.ZipFile(self.path) as archive, archive.open(self.part) as handle:
            data = handle.read(1 << 20)
            data = data[data.index(_SHEET_DATA) + len(_SHEET_DATA):]
            wanted = limit
            finished = False
            while True:
                while not finished and len(data) < wanted:
                    block = handle.read(limit)
                    finished = not block
                    data += block
                end = data.find(b"</sheetData>")
                last = finished or end >= 0
                body = memoryview(data)[:end] if end >= 0 else memoryview(data)
                if last and len(body) <= limit:
                    yield b"".join((self._prefix, body, _SHEET_END))
                    return
                cut = data.rfind(b"</row>", 0, min(limit, len(body)))
                if cut < 0:  # a row longer than a slice
                    cut = data.find(b"</row>", 0, len(body))
                if cut < 0:
                    if last:
                        yield b"".join((self._prefix, body, _SHEET_END))
                        return
                    wanted = len(data) + limit  # no row ends yet: read on
                    continue
                cut += len(b"</row>")
                yield b"".join((self._prefix, body[:cut], _SHEET_END))
                del body
                data = data[cut:]
                wanted = limit

    def _parse(self, piece: bytes, number: int, parts: list[tuple[str, bytes]], folder: str
               ) -> tuple[int, int, list[list[Any]]]:
        """One slice parsed by calamine: (first row index, first column index, rows)."""
        import python_calamine

        workbook_path = os.path.join(folder, f"slice-{number}.xlsx")
        with zipfile.ZipFile(workbook_path, "w", zipfile.ZIP_STORED) as out:
            for name, content in parts:
                out.writestr(name, content)
            out.writestr(self.part, piece)
        del piece
        try:
            with python_calamine.CalamineWorkbook.from_path(workbook_path) as workbook:
                sheet = workbook.get_sheet_by_name(self.sheet_name)
                start = sheet.start
                if start is None:
                    return 0, 0, []
                return start[0], start[1], sheet.to_python(skip_empty_area=True)
        finally:
            os.remove(workbook_path)

    def records(self) -> Iterator[tuple[int, list[Any]]]:
        """``(row number, values)`` for every row from the first, as calamine reads them (blank ones too).

        ``XLSX_PARSERS`` slices are parsed at once in worker threads (calamine releases the interpreter lock while it
        parses), in the order of the sheet; the slices are cut here, as the rows before them are handed out."""
        folder = tempfile.mkdtemp(prefix="kehu-xlsx-")
        pool = ThreadPoolExecutor(max_workers=XLSX_PARSERS, thread_name_prefix="kehu-xlsx")
        pieces = self._pieces()
        pending: collections.deque[Future[tuple[int, int, list[list[Any]]]]] = collections.deque()
        submitted = 0

        def unreadable(error: BaseException) -> UnreadableFile:
            return UnreadableFile(_("The file is not a spreadsheet Kehu can read: %(error)s") % {"error": error})

        def submit_next() -> bool:
            nonlocal submitted
            try:
                piece = next(pieces, None)
            except Exception as error:  # noqa: BLE001 - zipfile's and zlib's errors alike
                raise unreadable(error) from None
            if piece is None:
                return False
            pending.append(pool.submit(self._parse, piece, submitted, parts, folder))
            submitted += 1
            return True

        try:
            try:
                with zipfile.ZipFile(self.path) as archive:
                    names = set(archive.namelist())
                    parts = [(name, archive.read(name)) for name in _XLSX_PARTS if name in names]
            except (zipfile.BadZipFile, OSError) as error:
                raise unreadable(error) from None
            submit_next()
            number = 0  # the last row number given
            while pending:
                try:
                    first, left, rows = pending.popleft().result()
                except UnreadableFile:
                    raise
                except Exception as error:  # noqa: BLE001 - calamine's, zipfile's and zlib's errors alike
                    raise unreadable(error) from None
                # the rows before this slice's first one (after the last given) are empty in the sheet
                while number < first:
                    number += 1
                    yield number, []
                if left:  # the slice starts right of column A: its cells go back to their columns
                    padding = [""] * left
                    rows = [padding + values for values in rows]
                numbered = zip(range(first + 1, first + 1 + len(rows)), rows, strict=True)
                number = first + len(rows)
                # the next slices are parsed while these rows are used, but not for a peek at the first few
                yield from itertools.islice(numbered, 64)
                while len(pending) < XLSX_PARSERS and submit_next():
                    pass
                yield from numbered
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            pieces.close()
            shutil.rmtree(folder, ignore_errors=True)


def _check_whole_sheet(path: Path, sheet_name: str) -> None:
    """An XLSX sheet that cannot be sliced is parsed whole: its XML is bounded like the other whole parts."""
    if path.suffix.lower() not in _XLSX_SUFFIXES:
        return  # XLSB and ODS were checked whole already; XLS is not zipped (bounded by the upload size)
    try:
        with zipfile.ZipFile(path) as archive:
            part = _xlsx_sheet_part(archive, sheet_name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    if part is not None:
        check_spreadsheet(path, sheet_part=part)


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
        check_spreadsheet(file_path)  # before calamine reads anything (it loads the shared strings on opening)
        reader = TableReader(path=file_path, kind="spreadsheet", sheet=sheet)
        workbook, reader.sheet = _open_workbook(file_path, sheet)
        reader.sheet_names = list(workbook.sheet_names)
        reader._slices = XlsxSlices.open(file_path, reader.sheet)
        if reader._slices is None:
            try:
                _check_whole_sheet(file_path, reader.sheet)
            except UnreadableFile:
                workbook.close()
                raise
            reader._workbook, reader._sheet = workbook, _sheet_of(workbook, reader.sheet)
            end = reader._sheet.end  # (row, column) from 0: the last row's number is one more
            reader.estimated_rows = end[0] + 1 if end else 0
        else:
            workbook.close()  # frees its shared strings: each slice reads them again
            reader.estimated_rows = reader._slices.last_row
    else:
        codec = normalise_encoding(encoding)
        if codec == "auto":
            codec = detect_encoding(file_path)
        elif not _decodes_as(file_path, codec):
            raise UnreadableFile(_("The file is not in the %(encoding)s encoding.") % {"encoding": encoding})
        reader = TableReader(path=file_path, kind="csv", encoding=codec)
        reader.delimiter = tables.most_used_delimiter(tables.first_filled_line(file_path, codec)) or ","
        reader.estimated_rows = count_lines(file_path)
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
    return csv_unsafe(str(value).replace("\ufeff", "").strip())
