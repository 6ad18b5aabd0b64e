"""Counting lists exactly where counting is cheap, and only as far as anybody reads them where it is not.

:func:`list_count` is what every paginated list uses (through :class:`CappedPaginator`):

- it counts exactly up to a generous cap past the start of the page shown (``settings.KEHU_LIST_COUNT_CAP``,
  100,000): a list of 5,000 customers says "5,000 customers", filtered or not, on both databases;
- on PostgreSQL, when the table holds more rows than ``settings.KEHU_LIST_ESTIMATE_OVER`` (200,000, read from
  ``pg_class.reltuples``), counting a broad filter is the slow part of a search (``zs`` matches 1% of a million
  customers: p99 225 ms counted, 17 ms capped). There it counts only up to ``FAST_COUNT_CAP`` (1,000) past the page,
  which settles every selective filter exactly, and above that answers the planner's estimate of the whole list,
  shown as "about N";
- elsewhere, past the cap, the list says "more than N" and still pages on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

DEFAULT_COUNT_CAP = 100_000
# on a PostgreSQL table larger than KEHU_LIST_ESTIMATE_OVER rows, counts go this far before the planner's estimate
FAST_COUNT_CAP = 1000
DEFAULT_ESTIMATE_OVER = 200_000
# how long a table's row estimate (pg_class.reltuples) is kept in the process
TABLE_ROWS_TTL = 300.0
# pages past this one are not looked for: ``?page=99999999999999999999`` shows the last page counted, as Django's
# paginator shows the last page for a page number past the end, without asking the database to count (or skip) more
# rows than its integers hold
PAGE_HINT_MAX = 1_000_000


def count_cap() -> int:
    return int(getattr(settings, "KEHU_LIST_COUNT_CAP", DEFAULT_COUNT_CAP))


def estimate_over() -> int:
    return int(getattr(settings, "KEHU_LIST_ESTIMATE_OVER", DEFAULT_ESTIMATE_OVER))


_table_rows: dict[tuple[str, str], tuple[float, int]] = {}


def table_rows_estimate(rows: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows in the list's table (``pg_class.reltuples``, kept for five minutes in the
    process), or None on other databases or when the table was never analysed."""
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return None
    table = rows.model._meta.db_table
    key = (connection.alias, table)
    now = time.monotonic()
    cached = _table_rows.get(key)
    if cached is not None and now - cached[0] < TABLE_ROWS_TTL:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    estimate = int(row[0]) if row and row[0] is not None and row[0] >= 0 else None
    _table_rows[key] = (now, estimate or 0)
    return estimate


def planner_estimate(rows: QuerySet[Any]) -> int | None:
    """The PostgreSQL planner's estimate of the number of rows of ``rows`` (its ``EXPLAIN``), or None."""
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = rows.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ListCount:
    """How many rows a list has: ``count`` exactly (``exact``), or a lower bound ("more than N": neither flag), or
    the planner's estimate (``estimated``: "about N")."""

    count: int
    exact: bool
    estimated: bool = False


def list_count(rows: QuerySet[Any] | Sequence[Any], *, start: int = 0, per_page: int = 1,
               cap: int | None = None) -> ListCount:
    """The count of a list whose page starting at row ``start`` is shown (see the module)."""
    cap = count_cap() if cap is None else cap
    if isinstance(rows, QuerySet):
        table_rows = table_rows_estimate(rows)
        if table_rows is not None and table_rows > estimate_over():
            limit = start + max(min(cap, FAST_COUNT_CAP), per_page)
            counted, exact = count_up_to(rows, limit)
            if exact:
                return ListCount(counted, True)
            estimate = planner_estimate(rows)
            if estimate is not None:
                return ListCount(max(estimate, counted + 1), False, estimated=True)
            return ListCount(counted, False)
    counted, exact = count_up_to(rows, start + max(cap, per_page))
    return ListCount(counted, exact)


def few_rows_left(count: int, exact: bool, start: int) -> bool:
    """Whether an exact count leaves few rows (``FAST_COUNT_CAP`` at most) from ``start``: then a list may be read in
    the order :func:`order_few_rows` gives, sorting those few rather than walking an index."""
    return exact and count - start <= FAST_COUNT_CAP


def count_up_to(rows: QuerySet[Any] | Sequence[Any], limit: int) -> tuple[int, bool]:
    """``(count, exact)``: the number of rows when there are at most ``limit``, else ``(limit, False)``.

    On a queryset this is one ``SELECT COUNT(*) FROM (SELECT … LIMIT limit + 1)``: the database stops reading at the
    limit instead of visiting every match.
    """
    if isinstance(rows, QuerySet):
        counted = rows.order_by()[: limit + 1].count()
    else:
        counted = min(len(rows), limit + 1)
    return (counted, True) if counted <= limit else (limit, False)


def order_few_rows(rows: QuerySet[Any], *fields: str) -> QuerySet[Any]:
    """``rows`` ordered by ``fields`` ("-id") in a way no index can provide, for lists known to match few rows.

    A list ordered by its primary key, newest first, and filtered by a search tempts PostgreSQL to walk the primary
    key backwards and test each row until a page is full: quick when many rows match, a walk through most of the
    table when the planner overestimates a rare prefix ("dengkai": 45 matches estimated as 10,000, 180 ms at a million
    customers). Once the capped count has shown that no more rows match than it counted (1,000 past the page's start),
    ordering by an expression (``id + 0``) leaves the planner one choice: collect those few matches through the
    search indexes and sort them.
    """
    from django.db.models import F

    ordering = []
    for name in fields:
        descending = name.startswith("-")
        expression = F(name.lstrip("-")) + 0
        ordering.append(expression.desc() if descending else expression.asc())
    return rows.order_by(*ordering)


class CappedPaginator(Paginator):
    """A ``Paginator`` counting with :func:`list_count` from the start of the requested page.

    ``count_is_exact`` is False when there are more rows than counted; templates then say "more than N" rows and
    "page x of y or more", and the last page counted still links to the next one (whose own count reaches further).
    ``count_is_estimate`` is True when the count is PostgreSQL's estimate ("about N", "page x of about y").

    ``few_rows_order``, when given, is applied to the queryset before the page is read if the count came out exact
    (few rows match): see :func:`order_few_rows`.
    """

    def __init__(self, object_list: Any, per_page: int, *, page_hint: Any = 1, cap: int | None = None,
                 few_rows_order: Callable[[Any], Any] | None = None, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.few_rows_order = few_rows_order
        try:
            page = min(max(int(page_hint), 1), PAGE_HINT_MAX)
        except (TypeError, ValueError, OverflowError):
            page = 1
        # at least the whole requested page is counted, or Paginator.page() would cut it at the count
        per_page = int(self.per_page)
        self.count_start = (page - 1) * per_page
        self.count_limit = self.count_start + max(count_cap() if cap is None else cap, per_page)
        self.cap = cap
        self.count_is_exact = True
        self.count_is_estimate = False

    @cached_property
    def count(self) -> int:
        counted = list_count(self.object_list, start=self.count_start, per_page=int(self.per_page),  # type: ignore[arg-type]
                             cap=self.cap)
        self.count_is_exact, self.count_is_estimate = counted.exact, counted.estimated
        return counted.count

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)  # counts
        if self.few_rows_order is not None and few_rows_left(self.count, self.count_is_exact, self.count_start):
            self.object_list = self.few_rows_order(self.object_list)
        return super().page(number)

    @cached_property
    def num_pages(self) -> int:
        """The pages known to exist: past a capped count there is at least one more row, so one more page to go to."""
        count = self.count  # first: it sets count_is_exact
        known = count if self.count_is_exact or self.count_is_estimate else count + 1
        if known == 0 and not self.allow_empty_first_page:
            return 0
        return ceil(max(1, known - self.orphans) / int(self.per_page))


def capped_page(rows: Any, number: Any, per_page: int | None = None) -> Page:
    """The page ``number`` (as asked for: any text; out of range → the nearest page) of ``rows`` through a
    :class:`CappedPaginator` of ``per_page`` rows (``KEHU_PAGE_SIZE`` by default): what every list page uses."""
    size = int(settings.KEHU_PAGE_SIZE) if per_page is None else per_page
    return CappedPaginator(rows, size, page_hint=number).get_page(number)
