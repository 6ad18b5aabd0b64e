"""The per-customer calibration summary (frequency, recency, T, monetary) built from transaction rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Unit = Literal["week", "day"]
DateArrayLike = ArrayLike | Sequence[dt.date]  # datetime64 arrays, ISO strings, date/datetime objects

DAYS_PER_UNIT: dict[str, float] = {"week": 7.0, "day": 1.0}


@dataclass(frozen=True, eq=False)
class RFMSummary:
    """Per-customer calibration summary, one row per customer, sorted by customer id.

    Attributes:
        customer: the customer ids (same kind as the input ids).
        frequency: ``x``, the number of repeat purchase days (distinct purchase days - 1).
        recency: ``t_x``, last purchase day - first purchase day, in ``unit``.
        T: calibration end - first purchase day, in ``unit``.
        monetary: mean spend of the repeat purchase days (first purchase excluded); 0 when ``x == 0``.
        unit: ``"week"`` or ``"day"``.
    """

    customer: NDArray[Any]
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray
    unit: str = "week"

    def __len__(self) -> int:
        return int(self.frequency.shape[0])


def _days_since_epoch(dates: DateArrayLike) -> IntArray:
    """Convert dates (datetime64, ``datetime.date``/``datetime``, ISO strings) to int64 days since 1970-01-01."""
    arr = np.asarray(dates)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]").astype(np.int64)
    if arr.dtype.kind in "iufb":
        raise TypeError("dates must be datetime64, datetime.date or ISO date strings, not numbers")
    if arr.dtype.kind == "O":
        # datetime.datetime objects carry a time of day: go through microseconds, then floor to the day.
        return np.asarray(arr, dtype="datetime64[us]").astype("datetime64[D]").astype(np.int64)
    return arr.astype("datetime64[D]").astype(np.int64)


def day_number(value: Any) -> int:
    """A ``date``, ``datetime``, ``datetime64``, ``'YYYY-MM-DD'`` or ``'YYYYMMDD'`` value -> days since 1970-01-01."""
    if isinstance(value, str) and len(value.strip()) == 8 and value.strip().isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if isinstance(value, dt.datetime):
        value = value.date()
    return int(np.datetime64(value, "D").astype(np.int64))


def _empty_summary(ids: NDArray[Any], unit: str) -> RFMSummary:
    return RFMSummary(
        customer=ids[:0],
        frequency=np.zeros(0, np.int64),
        recency=np.zeros(0),
        T=np.zeros(0),
        monetary=np.zeros(0),
        unit=unit,
    )


def summarise_transactions(
    customer_ids: ArrayLike,
    dates: DateArrayLike,
    amounts: ArrayLike,
    calibration_end: Any,
    unit: Unit = "week",
) -> RFMSummary:
    """Build the per-customer (frequency, recency, T, monetary) summary from transaction rows.

    Definitions (those of Fader, Hardie & Lee, which reproduce the published CDNOW summaries):

    * only rows dated on or before ``calibration_end`` count; customers with no such row are left out;
    * all rows of one customer on the same day are one purchase, their amounts added;
    * ``frequency = distinct purchase days - 1`` (repeat purchases);
    * ``recency = last purchase day - first purchase day``;
    * ``T = calibration_end - first purchase day``;
    * ``monetary`` = mean amount of the repeat purchase days (the first day is excluded), 0 when frequency is 0;
    * times are in days divided by 7 (``unit="week"``) or in days (``unit="day"``).

    Implementation: each row gets the integer key ``customer_code * span + day``; one sort of the keys (skipped when
    the rows are already in customer/date order) groups the rows into purchase days, ``np.add.reduceat`` sums the
    amounts of each day, and a second ``reduceat`` over the (already sorted) purchase days gives the per-customer
    figures. Integer customer ids need no factorisation; other ids are factorised with ``np.unique``.
    """
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'week' or 'day', not {unit!r}")
    ids = np.asarray(customer_ids)
    days = _days_since_epoch(dates)
    amt = np.asarray(amounts, dtype=np.float64)
    if ids.ndim != 1 or days.ndim != 1 or amt.ndim != 1:
        raise ValueError("customer_ids, dates and amounts must be one-dimensional")
    if not (ids.shape[0] == days.shape[0] == amt.shape[0]):
        raise ValueError("customer_ids, dates and amounts must have the same length")
    end = day_number(calibration_end)

    keep = days <= end
    if not keep.all():
        ids, days, amt = ids[keep], days[keep], amt[keep]
    if ids.shape[0] == 0:
        return _empty_summary(ids, unit)

    d0 = int(days.min())
    span = int(days.max()) - d0 + 1
    uniq: NDArray[Any] | None = None
    id_offset = 0
    if ids.dtype.kind in "iu" and (int(ids.max()) - int(ids.min()) + 1) * span < 2**62:
        id_offset = int(ids.min())
        code = ids.astype(np.int64) - id_offset
    else:
        uniq, code = np.unique(ids, return_inverse=True)
        code = code.astype(np.int64).reshape(-1)
    key = code * span + (days - d0)

    n_rows = key.shape[0]
    if n_rows > 1 and not bool(np.all(key[1:] >= key[:-1])):
        bits = max(1, (n_rows - 1).bit_length())
        if int(key.max()) < 2 ** (62 - bits):
            # Pack (key, row number) into one int64 and sort values: a plain sort is much faster than argsort,
            # and the row number in the low bits gives the permutation (and a stable order) back.
            packed = np.left_shift(key, bits)
            packed |= np.arange(n_rows, dtype=np.int64)
            packed.sort()
            order = packed & ((1 << bits) - 1)
            key = np.right_shift(packed, bits)
        else:
            order = np.argsort(key, kind="stable")
            key = key[order]
        amt = amt[order]

    # Purchase days: runs of equal keys.
    new_day = np.empty(key.shape[0], dtype=bool)
    new_day[0] = True
    np.not_equal(key[1:], key[:-1], out=new_day[1:])
    day_start = np.flatnonzero(new_day)
    day_key = key[day_start]
    day_amount = np.add.reduceat(amt, day_start)
    day_cust = day_key // span
    day_num = day_key - day_cust * span  # days since d0

    # Customers: runs of equal customer codes among the (sorted) purchase days.
    new_cust = np.empty(day_cust.shape[0], dtype=bool)
    new_cust[0] = True
    np.not_equal(day_cust[1:], day_cust[:-1], out=new_cust[1:])
    cust_start = np.flatnonzero(new_cust)
    n_days = np.diff(np.append(cust_start, day_cust.shape[0]))
    first = day_num[cust_start]
    last = day_num[cust_start + n_days - 1]
    repeat_amount = day_amount.copy()
    repeat_amount[cust_start] = 0.0
    repeat_total = np.add.reduceat(repeat_amount, cust_start)

    frequency = (n_days - 1).astype(np.int64)
    monetary = np.zeros(frequency.shape[0])
    has_repeat = frequency > 0
    monetary[has_repeat] = repeat_total[has_repeat] / frequency[has_repeat]

    scale = DAYS_PER_UNIT[unit]
    codes = day_cust[cust_start]
    customer = uniq[codes] if uniq is not None else (codes + id_offset).astype(ids.dtype)
    return RFMSummary(
        customer=customer,
        frequency=frequency,
        recency=(last - first) / scale,
        T=(end - d0 - first) / scale,
        monetary=monetary,
        unit=unit,
    )

