"""Reading a transaction file (CSV, whitespace-separated text or a spreadsheet) and fitting both models on it, without
any database or Django settings: what ``kehu clv fit`` runs.

The file-format parts shared with the imports (spreadsheet suffixes, encodings, calamine, cell text) are in
:mod:`kehu.core.tables`; the vectorised date and amount parsing of whole columns is here.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kehu.core.tables import (
    AUTO_ENCODINGS,
    SPREADSHEET_SUFFIXES,
    cell_text,
    most_used_delimiter,
    normalise_encoding,
    open_workbook,
)

from .fits import fit_bgnbd, fit_gamma_gamma
from .summary import FloatArray, IntArray, Unit, day_number, summarise_transactions

_CHUNK_ROWS = 500_000
# Widths of the text columns; a value that fills its width may have been cut and is treated as malformed.
_ID_WIDTH = 96
_TEXT_WIDTH = 40
# "1234.5", "-12", "1,234.50", "¥88", "￥-3.5", "$ 1,000", "88元", "1.5e3"; a comma is only a thousands separator.
_AMOUNT_RE = re.compile(
    r"([+-]?)\s*(?:[¥￥$€£]|RMB|CNY|USD|EUR)?\s*([+-]?)"
    r"(\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*元?",
    re.IGNORECASE,
)
# Year first: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105 (a time after a space or "T" is ignored).
_DATE_RES = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True, eq=False)
class TransactionFile:
    """The usable rows of a transaction file, with what was left out.

    Attributes:
        customer: customer ids (int64 when the ids are plain numbers without ambiguous zero padding, else strings).
        day: purchase day, days since 1970-01-01 (a time of day is dropped: the local day as written).
        amount: the amount of each row.
        rows: data rows in the file (header and blank lines not counted).
        skipped: rows left out because the customer id, the date or the amount is missing or malformed.
        first_skipped: where and why the first skipped row was left out ("" when none was).
    """

    customer: NDArray[Any]
    day: IntArray
    amount: FloatArray
    rows: int
    skipped: int
    first_skipped: str


def _date_value(text: str, date_format: str | None = None) -> int | None:
    """One date string -> days since 1970-01-01, or ``None`` when it is not a valid date."""
    text = text.strip()
    if date_format is not None:
        try:
            return dt.datetime.strptime(text, date_format).date().toordinal() - _EPOCH_ORDINAL
        except ValueError:
            return None
    date_part = text.replace("T", " ", 1).split(" ", 1)[0] if text else ""
    for pattern in _DATE_RES:
        match = pattern.fullmatch(date_part)
        if match is not None:
            groups = [g for g in match.groups() if g and g.isdigit()]
            try:
                return dt.date(*(int(g) for g in groups)).toordinal() - _EPOCH_ORDINAL
            except ValueError:
                return None
    return None


def _amount_value(text: str) -> float | None:
    """One amount string -> float, or ``None`` when it is not a finite number."""
    match = _AMOUNT_RE.fullmatch(text.strip())
    if match is None:
        return None
    value = float(match.group(3).replace(",", ""))
    if not math.isfinite(value):
        return None
    return -value if "-" in match.group(1) + match.group(2) else value


def _parse_each_distinct(
    text: NDArray[np.str_], parse: Callable[[str], float | int | None]
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Apply a scalar parser once per distinct string; return the values (NaN where invalid) and the valid mask."""
    uniq, inverse = np.unique(text, return_inverse=True)
    parsed = [parse(str(s)) for s in uniq]
    values = np.array([math.nan if v is None else float(v) for v in parsed], dtype=np.float64)[inverse.reshape(-1)]
    return values, ~np.isnan(values)


def _parse_amounts(text: NDArray[np.str_]) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Amount strings -> (values, valid mask). Plain numbers take a vectorised path; other forms go through
    ``_amount_value`` once per distinct string."""
    try:
        values = text.astype(np.float64)  # surrounding white space is allowed here
    except ValueError:
        return _parse_each_distinct(np.strings.strip(text), _amount_value)
    valid = np.isfinite(values)
    return np.where(valid, values, 0.0), valid


def _days_from_yyyymmdd(values: NDArray[np.int64]) -> tuple[IntArray, NDArray[np.bool_]]:
    """Vectorised YYYYMMDD integer -> (days since 1970-01-01, valid mask)."""
    year = values // 10000
    month = values // 100 % 100
    day = values % 100
    valid = (month >= 1) & (month <= 12) & (day >= 1)
    month = np.where(valid, month, 1)
    month_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1).astype("timedelta64[M]")
    month_len = (month_start + np.timedelta64(1, "M")).astype("datetime64[D]") - month_start.astype("datetime64[D]")
    valid &= day <= month_len.astype(np.int64)
    days = month_start.astype("datetime64[D]").astype(np.int64) + (day - 1)
    return np.where(valid, days, 0), valid


def _parse_dates(text: NDArray[np.str_], date_format: str | None) -> tuple[IntArray, NDArray[np.bool_]]:
    """Date strings -> (days since 1970-01-01, valid mask).

    Without ``date_format``: year-first dates (see ``_DATE_RES``), a time after a space or ``T`` ignored. All-digit
    YYYYMMDD columns and ISO YYYY-MM-DD columns take vectorised paths; anything else is parsed once per distinct
    date string. With ``date_format`` each distinct string is parsed with ``strptime``.
    """
    text = np.strings.strip(text)
    if text.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    if date_format is not None:
        fmt = date_format
        days, valid = _parse_each_distinct(text, lambda s: _date_value(s, fmt))
        return np.where(valid, days, 0).astype(np.int64), valid
    lengths = np.char.str_len(text)
    if bool(np.all(lengths == 8)) and bool(np.all(np.char.isdigit(text))):
        return _days_from_yyyymmdd(text.astype(np.int64))
    date_part = text
    if bool(np.any(lengths > 10)):
        date_part = np.char.partition(np.char.replace(text, "T", " ", count=1), " ")[:, 0]
    if bool(np.all(np.char.str_len(date_part) == 10)):
        try:
            parsed = np.asarray(date_part, dtype="datetime64[D]")
        except ValueError:
            pass
        else:
            valid = ~np.isnat(parsed)
            return np.where(valid, parsed.astype(np.int64), 0), valid
    days, valid = _parse_each_distinct(date_part, _date_value)
    return np.where(valid, days, 0).astype(np.int64), valid


def _calibration_day(value: Any) -> int:
    if isinstance(value, str):
        day = _date_value(value)
        if day is None:
            raise ValueError(f"calibration end {value!r} is not a date (use YYYY-MM-DD)")
        return day
    return day_number(value)


def _sniff_delimiter(sample: str) -> str | None:
    """``None`` means runs of whitespace; otherwise the single-character delimiter csv.Sniffer finds."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:20]
    if not lines:
        raise ValueError("the file is empty")
    probe = "\n".join(lines)
    if not any(c in probe for c in ",;\t|"):
        return None
    try:
        return csv.Sniffer().sniff(probe, delimiters=",;\t|").delimiter
    except csv.Error:
        # Rows of uneven width defeat the sniffer: take the separator used most in the first line.
        return most_used_delimiter(lines[0])


def _split_line(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter), [])


def _looks_like_data(fields: list[str], date_idx: int, amount_idx: int, date_format: str | None) -> bool:
    if max(date_idx, amount_idx) >= len(fields):
        return False
    _, amount_ok = _parse_amounts(np.array([fields[amount_idx]]))
    _, date_ok = _parse_dates(np.array([fields[date_idx]]), date_format)
    return bool(amount_ok[0] and date_ok[0])


def _resolve_column(spec: int | str, header: list[str] | None) -> int:
    if isinstance(spec, int):
        if spec < 0:
            raise ValueError(f"column {spec} must be 0 or more (columns are numbered from 0)")
        return spec
    if header is None:
        raise ValueError(f"column {spec!r} given by name but the file has no header line")
    names = [h.replace("\ufeff", "").strip() for h in header]
    if spec.strip() in names:
        return names.index(spec.strip())
    lowered = [n.lower() for n in names]
    if spec.strip().lower() in lowered:
        return lowered.index(spec.strip().lower())
    raise ValueError(f"column {spec!r} not found in the header {names}")


def _id_column(ids: NDArray[np.str_]) -> NDArray[Any]:
    """Turn decimal-string ids into int64 when that is one-to-one (no padding ambiguity), else keep strings."""
    if ids.size == 0 or not all(s.isdigit() for s in ids[:1]):
        return ids
    try:
        as_int = ids.astype(np.int64)
    except (ValueError, OverflowError):
        return ids
    lengths = np.char.str_len(ids)
    if lengths.min() == lengths.max() or not np.any(np.char.startswith(ids, "0") & (lengths > 1)):
        return as_int
    return ids


# A chunk of rows: line numbers, the three columns as text, and which rows lack one of the columns.
_Chunk = tuple[IntArray, NDArray[np.str_], NDArray[np.str_], NDArray[np.str_], NDArray[np.bool_]]


def _chunk_from_fields(numbers: ArrayLike, rows: Sequence[Sequence[str]], cols: tuple[int, int, int]) -> _Chunk:
    need = max(cols) + 1
    missing = np.array([len(r) < need for r in rows], dtype=bool)
    c = [r[cols[0]] if len(r) >= need else "" for r in rows]
    d = [r[cols[1]] if len(r) >= need else "" for r in rows]
    m = [r[cols[2]] if len(r) >= need else "" for r in rows]
    return (
        np.asarray(numbers, dtype=np.int64),
        np.asarray(c, dtype=f"U{_ID_WIDTH}"),
        np.asarray(d, dtype=f"U{_TEXT_WIDTH}"),
        np.asarray(m, dtype=f"U{_TEXT_WIDTH}"),
        missing,
    )


def _text_chunks(
    path: str | os.PathLike[str],
    encoding: str,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None,
) -> Iterable[_Chunk]:
    """Read a delimited/whitespace text file in chunks of ``_CHUNK_ROWS`` lines with ``np.loadtxt``.

    A chunk that ``np.loadtxt`` cannot split (a row with too few fields) is split again line by line with the csv
    module, and the short rows are marked as missing a column.
    """
    with open(path, encoding=encoding, newline=None) as fh:
        sample = fh.read(65536)
        delimiter = _sniff_delimiter(sample)
        fh.seek(0)
        first_line, first_number = "", 0
        for first_number, line in enumerate(fh, start=1):  # noqa: B007 - the number is used after the loop
            if line.strip():
                first_line = line
                break
        first = _split_line(first_line, delimiter)
        named = any(isinstance(c, str) for c in (customer_col, date_col, amount_col))
        # Columns given by name need a header; by index, a first line whose date/amount do not parse is one.
        has_header = named or not _looks_like_data(first, int(date_col), int(amount_col), date_format)
        header = first if has_header else None
        cols = (
            _resolve_column(customer_col, header),
            _resolve_column(date_col, header),
            _resolve_column(amount_col, header),
        )
        if header is not None and max(cols) >= len(header):
            raise ValueError(f"column {max(cols)} is beyond the {len(header)} columns of the header line")
        dtype = np.dtype([("c", f"U{_ID_WIDTH}"), ("d", f"U{_TEXT_WIDTH}"), ("m", f"U{_TEXT_WIDTH}")])

        def parse(numbers: IntArray, lines: list[str]) -> _Chunk:
            try:
                table = np.loadtxt(
                    lines, dtype=dtype, delimiter=delimiter, usecols=cols, ndmin=1, quotechar='"', comments=None
                )
            except ValueError:
                return _chunk_from_fields(numbers, [_split_line(ln, delimiter) for ln in lines], cols)
            return numbers, table["c"], table["d"], table["m"], np.zeros(len(lines), bool)

        number = first_number
        if not has_header:
            yield parse(np.array([first_number], dtype=np.int64), [first_line])
        while True:
            chunk = list(islice(fh, _CHUNK_ROWS))
            if not chunk:
                break
            numbers = np.arange(number + 1, number + 1 + len(chunk), dtype=np.int64)
            number += len(chunk)
            blank = np.array([ln.isspace() for ln in chunk], dtype=bool)
            if blank.any():
                chunk = [ln for ln in chunk if not ln.isspace()]
                numbers = numbers[~blank]
            if chunk:
                yield parse(numbers, chunk)


def _spreadsheet_chunks(
    path: str | os.PathLike[str],
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None,
) -> Iterable[_Chunk]:
    """Read the first sheet of a spreadsheet with python-calamine; rows are numbered as in the spreadsheet."""
    workbook = open_workbook(path)
    try:
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # noqa: BLE001 - calamine raises several error types for unreadable sheets
        workbook.close()
        raise ValueError(f"cannot read {os.fspath(path)} as a spreadsheet: {error}") from None
    try:
        rows = enumerate(sheet.iter_rows(), start=1)
        header: list[str] | None = None
        cols: tuple[int, int, int] | None = None
        numbers: list[int] = []
        fields: list[list[str]] = []
        for number, values in rows:
            texts = [cell_text(v) for v in values]
            if not any(t.strip() for t in texts):
                continue
            if cols is None:
                named = any(isinstance(c, str) for c in (customer_col, date_col, amount_col))
                if named or not _looks_like_data(texts, int(date_col), int(amount_col), date_format):
                    header = texts
                cols = (
                    _resolve_column(customer_col, header),
                    _resolve_column(date_col, header),
                    _resolve_column(amount_col, header),
                )
                if header is not None:
                    continue
            numbers.append(number)
            fields.append(texts)
            if len(numbers) >= _CHUNK_ROWS:
                yield _chunk_from_fields(numbers, fields, cols)
                numbers, fields = [], []
        if numbers and cols is not None:
            yield _chunk_from_fields(numbers, fields, cols)
    finally:
        workbook.close()


def _decoded_chunks(
    path: str | os.PathLike[str],
    encoding: str,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None,
) -> list[_Chunk]:
    """All chunks of a text file; ``encoding="auto"`` tries UTF-8 (BOM dropped), then GB18030 (a superset of GBK)."""
    name = normalise_encoding(encoding)
    candidates = list(AUTO_ENCODINGS) if name == "auto" else [name]
    for codec in candidates:
        try:
            return list(_text_chunks(path, codec, customer_col, date_col, amount_col, date_format))
        except UnicodeDecodeError:
            continue
    raise ValueError(
        f"{os.fspath(path)} is not in the {' or '.join(candidates)} encoding"
        + ("; pass the file's encoding (e.g. --encoding latin-1)" if name == "auto" else "")
    )


def _narrow(text: NDArray[np.str_], lengths: NDArray[Any] | None = None) -> NDArray[np.str_]:
    """The same strings in the narrowest ``U`` dtype that holds them."""
    if text.size == 0:
        return text
    if lengths is None:
        lengths = np.strings.str_len(text)
    return text.astype(f"U{max(1, int(lengths.max()))}")


def read_transaction_file(
    path: str | os.PathLike[str],
    *,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    date_format: str | None = None,
    encoding: str = "auto",
) -> TransactionFile:
    """Read the customer, date and amount columns of a transaction file; malformed rows are skipped and counted.

    Text files are comma/semicolon/tab/pipe-separated (sniffed) or whitespace-separated (like ``CDNOW_master.txt``),
    with or without a header line, in UTF-8 (with or without BOM) or GBK/GB18030 (``encoding="auto"``). Spreadsheets
    (``.xlsx``, ``.xls``, ``.ods`` ...) are read from their first sheet. Columns are given by 0-based index or by
    header name. Dates are year first (``2024-01-05``, ``2024/1/5``, ``20240105``, ``2024年1月5日``), a time of day
    after them is ignored, or follow ``date_format`` (a ``strptime`` format). Amounts may carry a currency sign
    (``¥88``) and thousands separators (``1,234.50``). A row whose customer id is empty, whose date is not a valid
    date or whose amount is not a finite number is skipped; ``skipped`` counts them.
    """
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if os.path.splitext(os.fspath(path))[1].lower() in SPREADSHEET_SUFFIXES:
        chunks = list(_spreadsheet_chunks(path, customer_col, date_col, amount_col, date_format))
    else:
        chunks = _decoded_chunks(path, encoding, customer_col, date_col, amount_col, date_format)

    id_parts: list[NDArray[np.str_]] = []
    day_parts: list[IntArray] = []
    amount_parts: list[FloatArray] = []
    rows = skipped = 0
    first_skipped = ""
    for numbers, c, d, m, missing in chunks:
        c_len = np.strings.str_len(c)
        id_ok = c_len < _ID_WIDTH  # an id filling the whole width may have been cut short
        # Narrow the text columns to their longest value first: string operations cost in proportion to the width.
        ids = np.strings.strip(_narrow(c, c_len))
        d = _narrow(d)
        m = _narrow(m)
        days, date_ok = _parse_dates(d, date_format)
        amounts, amount_ok = _parse_amounts(m)
        id_ok &= ids != ""
        ok = ~missing & id_ok & date_ok & amount_ok
        rows += int(ok.shape[0])
        if not bool(ok.all()):
            skipped += int((~ok).sum())
            if not first_skipped:
                i = int(np.flatnonzero(~ok)[0])
                if missing[i]:
                    why = "it has too few columns"
                elif not id_ok[i]:
                    why = "no customer id" if not ids[i] else "customer id too long"
                elif not date_ok[i]:
                    why = f"date {str(d[i]).strip()!r} is not a date"
                else:
                    why = f"amount {str(m[i]).strip()!r} is not a number"
                first_skipped = f"line {int(numbers[i])}: {why}"
            ids, days, amounts = ids[ok], days[ok], amounts[ok]
        id_parts.append(ids)
        day_parts.append(days)
        amount_parts.append(amounts)

    if rows == 0:
        raise ValueError(f"no transaction rows in {os.fspath(path)!r}")
    if rows == skipped:
        raise ValueError(f"no usable transaction rows in {os.fspath(path)!r} (first problem: {first_skipped})")
    return TransactionFile(
        customer=_id_column(np.concatenate(id_parts)),
        day=np.concatenate(day_parts),
        amount=np.concatenate(amount_parts),
        rows=rows,
        skipped=skipped,
        first_skipped=first_skipped,
    )


def fit_file(
    path: str | os.PathLike[str],
    *,
    customer_col: int | str,
    date_col: int | str,
    amount_col: int | str,
    calibration_end: Any,
    unit: Unit = "week",
    date_format: str | None = None,
    encoding: str = "auto",
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Summarise a transaction file and fit BG/NBD and Gamma-Gamma, without any database.

    The file is read by ``read_transaction_file`` (formats, encodings and malformed rows are described there). Rows
    dated after ``calibration_end`` are ignored, so a customer whose first purchase is after it is not in the fit.
    Repeat customers whose mean repeat spend is not positive are left out of the Gamma-Gamma fit (that model
    needs positive values).

    ``notify`` receives one-line messages about what was left out (skipped malformed rows, rows after the
    calibration end, customers left out of Gamma-Gamma). Without it, skipped rows and customers left out of
    Gamma-Gamma are issued as ``UserWarning`` and the (expected) rows after the calibration end are not mentioned.

    Returns ``{"customers": N, "bgnbd": {r, alpha, a, b}, "gamma_gamma": {p, q, gamma}, "log_likelihood": ll}``
    where ``log_likelihood`` is the BG/NBD one.
    """
    def warn(message: str) -> None:
        if notify is None:
            warnings.warn(message, UserWarning, stacklevel=3)
        else:
            notify(message)

    end = _calibration_day(calibration_end)
    tx = read_transaction_file(
        path, customer_col=customer_col, date_col=date_col, amount_col=amount_col, date_format=date_format,
        encoding=encoding,
    )
    if tx.skipped:
        warn(
            f"skipped {tx.skipped:,} of {tx.rows:,} rows with a missing or malformed customer id, date or amount "
            f"(first at {tx.first_skipped})"
        )
    later = tx.day > end
    n_later = int(later.sum())
    if n_later == later.shape[0]:
        first = _iso_day(int(tx.day.min()))
        raise ValueError(f"no transactions on or before the calibration end {_iso_day(end)} (the first is on {first})")
    if n_later and notify is not None:
        late_customers = np.setdiff1d(np.unique(tx.customer[later]), tx.customer[~later]).shape[0]
        notify(
            f"ignored {n_later:,} rows dated after the calibration end {_iso_day(end)}"
            + (f" ({late_customers:,} customers bought only after it and are not in the fit)" if late_customers else "")
        )
    summary = summarise_transactions(
        tx.customer, tx.day.astype("datetime64[D]"), tx.amount, np.datetime64(end, "D"), unit=unit
    )
    bg = fit_bgnbd(summary.frequency, summary.recency, summary.T)
    if _ran_off_parameters(bg.as_dict()):
        warn(f"the data ({len(summary):,} customers) does not identify BG/NBD: parameters ran off to "
             f"{_ran_off_parameters(bg.as_dict())}; they are not reliable")
    repeat = summary.frequency > 0
    usable = repeat & (summary.monetary > 0)
    if not usable.any():
        raise ValueError("Gamma-Gamma needs customers with a repeat purchase of positive value; there are none")
    left_out = int(repeat.sum() - usable.sum())
    if left_out:
        warn(f"left {left_out:,} repeat customers whose mean repeat spend is not positive out of Gamma-Gamma")
    gg = fit_gamma_gamma(summary.frequency[usable], summary.monetary[usable])
    if _ran_off_parameters(gg.as_dict()):
        warn(f"the data ({int(usable.sum()):,} repeat customers) does not identify Gamma-Gamma: parameters ran off "
             f"to {_ran_off_parameters(gg.as_dict())}; they are not reliable")
    return {
        "customers": len(summary),
        "bgnbd": bg.as_dict(),
        "gamma_gamma": gg.as_dict(),
        "log_likelihood": bg.log_likelihood,
    }


def _ran_off_parameters(params: dict[str, float]) -> str:
    """The parameters that ran towards 0 or infinity (a likelihood without a finite maximum), as ``"r=3.2e+06"``."""
    return ", ".join(f"{k}={v:.3g}" for k, v in params.items() if not 1e-6 < v < 1e6)


def _iso_day(day: int) -> str:
    return str(np.datetime64(day, "D"))
