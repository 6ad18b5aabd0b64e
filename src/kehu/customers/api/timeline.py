"""A customer's timeline, newest first (``/api/customers/{id}/timeline``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams
from kehu.api.schemas import StaffRef

from ..models import Activity
from ..timeline import (
    customer_activities,
    parse_timeline_cursor,
    timeline_cursor,
    timeline_items,
    visible_activities,
)
from .common import request_actor, router, visible_customer


class TimelineSubjectOut(Schema):
    type: str = Field(description='The recorded row\'s model, "app_label.model" (e.g. "purchases.transaction").')
    id: int | None = Field(description="Its id; null for rows written in bulk by an import (see data).")


class TimelineItemOut(Schema):
    kind: str = Field(description="A registered timeline kind: transaction, lifecycle, transfer, tier_change, alert, "
                                  "merge, and those later modules add.")
    occurred_at: dt.datetime
    actor: StaffRef | None
    title: str = Field(description="One line in the request's language.")
    data: dict[str, Any]
    subject: TimelineSubjectOut | None


class TimelinePage(Schema):
    count: int = Field(description="Rows of the whole timeline (not only those before the cursor).")
    items: list[TimelineItemOut]
    next_before: str | None = Field(None, description="Give it as `before` for the next (older) page; null on the "
                                                      "last page.")


class TimelineParams(PageParams):
    before: str | None = Field(None, max_length=40, description="A page's `next_before`: the rows after it, read along "
                                                                "the index (deep pages stay as fast as the first).")


@router.get("/{customer_id}/timeline", response={200: TimelinePage, **COMMON_ERRORS}, url_name="customer_timeline",
            summary="A customer's timeline, newest first (paginated with limit and offset)")
def customer_timeline(request: HttpRequest, customer_id: int, params: Query[TimelineParams]) -> dict[str, Any]:
    """Purchases, lifecycle changes, transfers, tier changes, alerts, merges, contacts, tasks and whatever later
    modules record (each item's `kind`). Pages by `limit`/`offset`, or by the keyset cursor `before` (a page's
    `next_before`). 404 for a customer the user may not see."""
    user = request_actor(request)
    customer = visible_customer(user, customer_id)
    before = None
    if params.before:
        try:
            before = parse_timeline_cursor(params.before)
        except ValueError:
            raise ValidationError({"before": [_("Not a cursor this timeline gave.")]}) from None
    activities = customer_activities(customer=customer, before=before, user=user)
    rows = list(activities[params.offset : params.offset + params.limit + 1])
    more, rows = len(rows) > params.limit, rows[: params.limit]
    count = visible_activities(user, Activity.objects.filter(customer=customer)).count()
    return {"count": count, "items": timeline_items(rows),
            "next_before": timeline_cursor(rows[-1]) if more and rows else None}
