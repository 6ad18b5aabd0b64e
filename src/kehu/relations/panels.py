"""The contacts panel of the customer 360 page (registered in ``RelationsConfig.ready``): the newest contacts, the
open tasks and the "log a contact" button (the form is one click away, saving it the second)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import CustomerPanel

RECENT = 5


def _newest(rows: Any, ids: list[int], order: list[Any]) -> Any:
    """The first ``RECENT`` rows of each customer in ``order``: for one customer (the 360 page) a plain ``LIMIT`` along
    its index; for many (the screen pop's list) a row-number window per customer, which numbers every row of each
    customer first (bench/timeline_bench.py: a customer with 2,000 contacts and tasks)."""
    if len(ids) == 1:
        return rows.order_by(*order)[:RECENT]
    return (rows.annotate(kehu_rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=order))
            .filter(kehu_rank__lte=RECENT).order_by("customer_id", "kehu_rank"))


def contacts_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: the 5 newest contacts (one windowed query) and the open tasks due first (one more), whether the
    user may log contacts for it being decided by the template from ``may_log`` (one more query for the roles that
    may log for some of the customers they see only; none for those who may log for all of them, the customers given
    being scoped to the user already)."""
    from kehu.work.models import Task

    from .models import ContactRecord
    from .selectors import customers_for_logging, logging_scope

    ids = list(customer_ids)
    data: dict[int, dict[str, Any]] = {pk: {"contacts": [], "tasks": [], "may_log": False} for pk in ids}
    if not ids:
        return data
    contacts = _newest(ContactRecord.objects.filter(customer_id__in=ids).select_related("staff"), ids,
                       [F("occurred_at").desc(), F("id").desc()])
    for record in contacts:
        data[record.customer_id]["contacts"].append(record)
    tasks = _newest(Task.objects.visible_to(user).filter(customer_id__in=ids, status=Task.Status.OPEN)
                    .select_related("owner"), ids, [F("due_date").asc(), F("id").asc()])
    for task in tasks:
        if task.customer_id is not None:
            data[task.customer_id]["tasks"].append(task)
    scope = logging_scope(user=user)
    if scope == "view":  # every customer the user may see, and those given are (the panels' contract): no query
        for pk in ids:
            data[pk]["may_log"] = True
    elif scope is not None:
        for pk in customers_for_logging(user=user).filter(pk__in=ids).values_list("pk", flat=True):
            data[pk]["may_log"] = True
    return data


CONTACTS_PANEL = CustomerPanel(
    key="contacts_log", title=_("Contacts and tasks"), order=15, loader=contacts_panel_load,
    template="relations/_panel.html", permission="relations.view_contactrecord", queries=3,
)
