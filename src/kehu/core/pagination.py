"""Counting long lists only as far as anybody reads them: a capped COUNT and a Django Paginator that uses it.

Counting every match of a broad search (``zs`` matches 1% of a million customers) costs more than reading the page
itself. Lists therefore count up to a cap past the start of the page shown (``settings.KEHU_LIST_COUNT_CAP``,
1,000): the count is exact below it, and above it the list says "more than N" and still pages on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import ceil
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

DEFAULT_COUNT_CAP = 1000
# pages past this one are not looked for: ``?page=99999999999999999999`` shows the last page counted, as Django's
# paginator shows the last page for a page number past the end, without asking the database to count (or skip) more
# rows than its integers hold
PAGE_HINT_MAX = 1_000_000


def count_cap() -> int:
    return int(getattr(settings, "KEHU_LIST_COUNT_CAP", DEFAULT_COUNT_CAP))


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
    """A ``Paginator`` whose count stops at ``cap`` rows (at least a page) past the start of the requested page.

    ``count_is_exact`` is False when there are more rows than counted; templates then say "more than N" rows and
    "page x of y or more", and the last page counted still links to the next one (whose own count reaches further).

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
        self.count_limit = (page - 1) * per_page + max(count_cap() if cap is None else cap, per_page)
        self.count_is_exact = True

    @cached_property
    def count(self) -> int:
        counted, self.count_is_exact = count_up_to(self.object_list, self.count_limit)  # type: ignore[arg-type]
        return counted

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)  # counts
        if self.count_is_exact and self.few_rows_order is not None:
            self.object_list = self.few_rows_order(self.object_list)
        return super().page(number)

    @cached_property
    def num_pages(self) -> int:
        """The pages known to exist: past a capped count there is at least one more row, so one more page to go to."""
        count = self.count  # first: it sets count_is_exact
        known = count if self.count_is_exact else count + 1
        if known == 0 and not self.allow_empty_first_page:
            return 0
        return ceil(max(1, known - self.orphans) / int(self.per_page))
