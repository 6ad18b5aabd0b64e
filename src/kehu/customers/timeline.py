"""The customer timeline: writing activities (in the caller's transaction, one row or many in one statement) and
reading a customer's timeline, newest first.

Every app records its own kinds (registered with ``kehu.core.registry.register_timeline_kind``) from its services,
inside the transaction of the change: ``activity_record`` for one, ``activity_record_bulk`` for many (one INSERT).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kehu.org.models import User

from .models import Activity, Customer


def _subject_type(subject: Any) -> str:
    return subject._meta.label_lower if subject is not None else ""


def activity_record(*, customer: Customer | int, kind: str, occurred_at: dt.datetime | None = None,
                    actor: User | None = None, branch_id: int | None = None, subject: Any = None,
                    data: dict[str, Any] | None = None) -> Activity:
    """Append one activity to a customer's timeline (call it inside the service's transaction)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    if branch_id is None and not isinstance(customer, int):
        branch_id = customer.branch_id
    return Activity.objects.create(
        customer_id=customer_id, kind=kind, occurred_at=occurred_at or timezone.now(),
        actor=actor if actor is not None and actor.pk else None, branch_id=branch_id,
        subject_type=_subject_type(subject), subject_id=getattr(subject, "pk", None), data=data or {},
    )


def activity_record_bulk(rows: Iterable[dict[str, Any]], *, batch_size: int = 5000) -> int:
    """Append many activities in one INSERT per ``batch_size`` rows. Each row: ``customer_id``, ``kind``,
    ``occurred_at`` and optionally ``actor_id``, ``branch_id``, ``subject_type``, ``subject_id``, ``data``."""
    objects = [Activity(**row) for row in rows]
    Activity.objects.bulk_create(objects, batch_size=batch_size)
    return len(objects)


@dataclass
class TimelineItem:
    """One row of a timeline as pages and the API show it."""

    activity: Activity
    kind: str
    label: str
    title: str
    template: str

    @property
    def occurred_at(self) -> dt.datetime:
        return self.activity.occurred_at

    @property
    def actor(self) -> User | None:
        return self.activity.actor

    @property
    def data(self) -> dict[str, Any]:
        return self.activity.data or {}

    @property
    def subject(self) -> dict[str, Any] | None:
        if not self.activity.subject_type:
            return None
        return {"type": self.activity.subject_type, "id": self.activity.subject_id}


def hidden_timeline_kinds(user: Any) -> list[str]:
    """The registered timeline kinds whose permission the user lacks (their rows are left out of what the user
    reads); none for ``user`` None (a caller reading on the system's behalf)."""
    from kehu.core.registry import timeline_kinds

    if user is None:
        return []
    return sorted(kind.key for kind in timeline_kinds.values()
                  if kind.permission and not user.has_perm(kind.permission))


def visible_activities(user: Any, activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """``activities`` without the kinds the user may not see (:func:`hidden_timeline_kinds`)."""
    hidden = hidden_timeline_kinds(user)
    return activities.exclude(kind__in=hidden) if hidden else activities


def customer_activities(*, customer: Customer, before: tuple[dt.datetime, int] | None = None,
                        user: Any = None) -> QuerySet[Activity]:
    """A customer's activities, newest first (the caller has scoped the customer), with the actor loaded, without the
    kinds ``user`` may not see; with ``before`` (a :func:`timeline_cursor` read by :func:`parse_timeline_cursor`),
    those older than that row: a deep page read along the (customer, time) index instead of skipping ``offset``
    rows."""
    from django.db.models import Q

    activities = visible_activities(user, Activity.objects.filter(customer=customer))
    if before is not None:
        moment, pk = before
        # a range on the index's time column (an OR of the two conditions is not one on SQLite), then the ties
        activities = activities.filter(occurred_at__lte=moment).exclude(Q(occurred_at=moment, id__gte=pk))
    return activities.select_related("actor").order_by("-occurred_at", "-id")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def timeline_cursor(activity: Activity) -> str:
    """The keyset cursor of a row, ``<microseconds since 1970 UTC>.<id>``, given back as ``before`` for the next
    page."""
    delta = activity.occurred_at - _EPOCH
    return f"{(delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds}.{activity.pk}"


def parse_timeline_cursor(value: str) -> tuple[dt.datetime, int]:
    """A cursor from :func:`timeline_cursor`; ``ValueError`` for anything else (a time outside the business dates, an
    id that is not a row id)."""
    import re

    match = re.fullmatch(r"(-?[0-9]{1,17})\.([0-9]{1,18})", value)
    if match is None:
        raise ValueError(value)
    try:
        moment = _EPOCH + dt.timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        raise ValueError(value) from None
    pk = int(match.group(2))
    from kehu.core.validators import EARLIEST_BUSINESS_DATE, latest_business_date

    if pk > 2**63 - 1 or not EARLIEST_BUSINESS_DATE <= moment.date() <= latest_business_date():
        raise ValueError(value)
    return moment, pk


def timeline_items(activities: Iterable[Activity]) -> list[TimelineItem]:
    """Activities with their registered kind's label, title and template (an unknown kind shows its name)."""
    from kehu.core.registry import timeline_kinds

    items = []
    for activity in activities:
        kind = timeline_kinds.get(activity.kind)
        if kind is None:
            items.append(TimelineItem(activity, activity.kind, activity.kind, activity.kind, ""))
            continue
        try:
            title = str(kind.title(activity))
        except (KeyError, TypeError, ValueError):  # data written by an older version
            title = str(kind.label)
        items.append(TimelineItem(activity, activity.kind, str(kind.label), title, kind.template))
    return items


# --- the customers app's kinds (registered in CustomersConfig.ready) ------------------------------------------------


def _lifecycle_title(activity: Activity) -> str:
    from django.utils.translation import gettext

    from .models import LifecycleChange

    data = activity.data
    change = LifecycleChange(field=data["field"])
    field = change.get_field_display()
    new = change.label(data["new"])
    if data.get("old"):
        return gettext("%(field)s: %(old)s → %(new)s") % {"field": field, "old": change.label(data["old"]),
                                                           "new": new}
    return gettext("%(field)s: %(new)s") % {"field": field, "new": new}


def _transfer_title(activity: Activity) -> str:
    from django.utils.translation import gettext

    data = activity.data
    return gettext("Transferred from %(old)s to %(new)s") % {"old": data.get("from_owner") or "—",
                                                             "new": data.get("to_owner") or "—"}


def _merge_title(activity: Activity) -> str:
    from django.utils.translation import gettext

    data = activity.data
    return gettext("Merged with %(code)s %(name)s") % {"code": data["merged_code"], "name": data["merged_name"]}


def register_kinds() -> None:
    """The customers app's timeline kinds and the 360 page's timeline panel."""
    from django.utils.translation import gettext_lazy as _

    from kehu.core.registry import TimelineKind, register_panel, register_timeline_kind

    register_panel(timeline_panel())
    register_timeline_kind(TimelineKind("lifecycle", _("Lifecycle change"), _lifecycle_title))
    register_timeline_kind(TimelineKind("transfer", _("Ownership transfer"), _transfer_title))
    register_timeline_kind(TimelineKind("merge", _("Merge"), _merge_title))


def sql_json_object(pairs: list[tuple[str, str]]) -> str:
    """SQL building a JSON object for the ``data`` column from (key, SQL expression) pairs, for set-based writes of
    activities (``INSERT INTO customers_activity ... SELECT``) on PostgreSQL (jsonb) and SQLite (JSON text). The keys
    are literals of the caller's code, never user input."""
    from kehu.core.bulkio.rows import json_object_sql

    return json_object_sql(pairs)


def sql_activity_time(value: dt.datetime) -> Any:
    """A datetime as a parameter of raw SQL writing ``occurred_at`` (SQLite stores naive UTC text)."""
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)


# --- the 360 page's timeline panel (registered in CustomersConfig.ready) ---------------------------------------------

PANEL_ITEMS = 20


def timeline_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """The newest 20 activities of each customer (one query: a row-number window), and whether there are more. For
    one customer (the 360 page) a plain newest-first LIMIT along the (customer, time) index: the window numbers every
    row of the customer first (105 ms instead of under 5 for a customer with 10,000 rows on SQLite,
    ``bench/timeline_bench.py``)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    if len(customer_ids) == 1:
        newest = list(visible_activities(user, Activity.objects.filter(customer_id=customer_ids[0]))
                      .select_related("actor")
                      .order_by("-occurred_at", "-id")[: PANEL_ITEMS + 1])
        return {customer_ids[0]: {"items": timeline_items(newest[:PANEL_ITEMS]), "more": len(newest) > PANEL_ITEMS}}
    rows = (visible_activities(user, Activity.objects.filter(customer_id__in=customer_ids)).select_related("actor")
            .annotate(kehu_rank=Window(RowNumber(), partition_by=[F("customer_id")],
                                       order_by=[F("occurred_at").desc(), F("id").desc()]))
            .filter(kehu_rank__lte=PANEL_ITEMS + 1).order_by("customer_id", "kehu_rank"))
    by_customer: dict[int, list[Activity]] = {pk: [] for pk in customer_ids}
    for row in rows:
        by_customer[row.customer_id].append(row)
    return {pk: {"items": timeline_items(found[:PANEL_ITEMS]), "more": len(found) > PANEL_ITEMS}
            for pk, found in by_customer.items()}


def timeline_panel() -> Any:
    from django.utils.translation import gettext_lazy as _

    from kehu.core.registry import CustomerPanel

    return CustomerPanel(key="timeline", title=_("Timeline"), order=90, loader=timeline_panel_load,
                         template="customers/_timeline_panel.html", queries=1)
