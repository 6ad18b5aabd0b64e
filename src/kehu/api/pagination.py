"""Limit/offset pagination shared by every list endpoint: ``?limit=25&offset=0`` → ``{"count": N, "items": [...]}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 25


class PageParams(Schema):
    """``limit`` rows from ``offset``; larger limits than the maximum are refused (422) rather than cut silently."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=settings.KEHU_API_PAGE_SIZE_MAX,
                       description=f"Rows per page (1–{settings.KEHU_API_PAGE_SIZE_MAX}).")
    offset: int = Field(0, ge=0, description="Rows to skip.")


def paginate(
    queryset: QuerySet, params: PageParams, *, wrap: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """One COUNT query and one query for the page (plus the queryset's prefetches): constant in the number of rows.

    ``wrap`` turns the page's rows into what is serialised (e.g. rows with their summaries loaded in bulk).
    """
    count = queryset.order_by().count()
    rows: Sequence[Any] = list(queryset[params.offset : params.offset + params.limit])
    return {"count": count, "items": wrap(rows) if wrap else rows}
