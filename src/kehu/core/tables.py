"""Reading tables from files, shared by the imports (``kehu.imports.readers``) and ``kehu clv fit``.

The domain-free parts: which suffixes are spreadsheets, the encodings tried on a text file and how a user's choice is
read, a bounded read of the first line, the most used separator, opening a workbook with python-calamine and a cell
as the user reads it. Nothing here needs Django settings (``kehu clv fit`` runs without them): errors are
:class:`TableFileError` with a plain English message and the underlying ``reason``; the imports word them in the
user's language.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
from pathlib import Path
from typing import Any

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
# tried in this order when the encoding is "auto": UTF-8 (a BOM dropped), then GB18030, a superset of GBK and GB2312
# that also has characters such as 𠮷, on which ``gbk`` fails
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", "\t", ";", "|")
READ_BLOCK = 1 << 20


class TableFileError(ValueError):
    """A file that cannot be read as a table; ``reason`` is what the library or codec said."""

    def __init__(self, message: str, reason: object = None) -> None:
        super().__init__(message)
        self.reason = reason


def normalise_encoding(name: str | None) -> str:
    """The codec for a user's encoding choice: ``"auto"`` (also for none), utf-8 → utf-8-sig (drops a BOM),
    gbk/gb2312/cp936 → gb18030, anything else by its codec name. Raises :class:`TableFileError` for an unknown one."""
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
        raise TableFileError(f"unknown encoding {name!r}", reason=name) from None


def decodes_as(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes in ``encoding`` (read a block at a time)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while block := handle.read(READ_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def count_lines(path: Path) -> int:
    """The number of lines of a text file (a last line without its newline counts)."""
    count = 0
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (1 if last and last != b"\n" else 0)


def first_filled_line(path: Path, encoding: str) -> str:
    """The first line with more than separators and spaces, read at most a block at a time (a "line" may be the whole
    file); ``""`` when there is none."""
    with path.open("r", encoding=encoding, newline="") as handle:
        while line := handle.readline(READ_BLOCK):
            if line.strip().strip("".join(DELIMITERS)):
                return line
    return ""


def most_used_delimiter(line: str) -> str | None:
    """The separator (comma, tab, semicolon, pipe) used most in ``line``; ``None`` when it has none."""
    counts = {delimiter: line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else None


def open_workbook(path: str | os.PathLike[str]) -> Any:
    """The workbook opened by python-calamine (its sheet list, styles and shared strings; no sheet parsed yet)."""
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(os.fspath(path))
    except Exception as error:  # noqa: BLE001 - calamine raises several error types for unreadable files
        raise TableFileError(f"cannot read {os.fspath(path)} as a spreadsheet: {error}", reason=error) from None


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
