"""Limit/offset pagination shared by every list endpoint: ``?limit=25&offset=0`` → ``{"count": N, "items": [...]}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Window
from ninja import Field, Schema

from kehu.core.pagination import few_rows_left, list_count

DEFAULT_LIMIT = 25
# the largest offset accepted (a billion rows): larger ones answer 422 instead of overflowing the database's integers
OFFSET_MAX = 1_000_000_000


class PageParams(Schema):
    """``limit`` rows from ``offset``; larger limits than the maximum are refused (422) rather than cut silently."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=settings.KEHU_API_PAGE_SIZE_MAX,
                       description=f"Rows per page (1–{settings.KEHU_API_PAGE_SIZE_MAX}).")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description=f"Rows to skip (0–{OFFSET_MAX:,}).")


def paginate(
    queryset: QuerySet, params: PageParams, *, wrap: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    count_in_page: bool = False, capped: bool = False, few_rows_order: Callable[[QuerySet], QuerySet] | None = None,
) -> dict[str, Any]:
    """One COUNT query and one query for the page (plus the queryset's prefetches): constant in the number of rows.

    ``wrap`` turns the page's rows into what is serialised (e.g. rows with their summaries loaded in bulk).
    ``count_in_page`` reads the count with the page as a window (``COUNT(*) OVER ()``): one query instead of two, for
    lists known to be short (the phone lookup); the window is computed over every match, so not for large lists.
    ``capped`` counts with :func:`kehu.core.pagination.list_count` (exact up to ``KEHU_LIST_COUNT_CAP`` rows past
    ``offset``; PostgreSQL's estimate for a broad filter over a very large table), for lists that can be long like
    the customer search: ``count_is_exact`` in the answer is False when there are more or the count is an estimate.
    With an exact count, ``few_rows_order`` (e.g. ``kehu.core.pagination.order_few_rows``) reorders the queryset
    for the page.
    """
    rows: Sequence[Any]
    if capped:
        counted = list_count(queryset, start=params.offset, per_page=params.limit)
        count, exact = counted.count, counted.exact
        if few_rows_order is not None and few_rows_left(count, exact, params.offset):
            queryset = few_rows_order(queryset)
        rows = list(queryset[params.offset : params.offset + params.limit])
        return {"count": count, "count_is_exact": exact, "items": wrap(rows) if wrap else rows}
    if count_in_page:
        rows = list(
            queryset.annotate(kehu_page_total=Window(Count("*")))[params.offset : params.offset + params.limit]
        )
        if rows:
            count = rows[0].kehu_page_total
        else:  # past the end (or nothing matches): the count needs its own query only when paging
            count = queryset.order_by().count() if params.offset else 0
    else:
        count = queryset.order_by().count()
        rows = list(queryset[params.offset : params.offset + params.limit])
    return {"count": count, "items": wrap(rows) if wrap else rows}
