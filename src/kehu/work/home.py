"""The work machinery's section of the home dashboard (registered in ``WorkConfig.ready``): "My tasks", the user's
open tasks due today or overdue — two counts and the first few, linking to "my work"."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import HomeSection

HOME_TASKS = 6


def my_tasks_section_load(user: Any) -> dict[str, Any]:
    """The user's open tasks due by today: counts of overdue and today's (one query) and the first few by due date
    and priority (one query)."""
    from .models import Task

    day = timezone.localdate()
    due = Task.objects.filter(owner=user, status=Task.Status.OPEN, due_date__lte=day)
    counts = due.aggregate(overdue=Count("pk", filter=Q(due_date__lt=day)), today=Count("pk", filter=Q(due_date=day)))
    tasks = list(due.select_related("customer").order_by("due_date", "-priority", "id")[:HOME_TASKS])
    return {"tasks": tasks, "overdue": counts["overdue"], "today": counts["today"], "day": day,
            "total": counts["overdue"] + counts["today"]}


MY_TASKS_SECTION = HomeSection(key="my_tasks", title=_("My tasks"), order=5, loader=my_tasks_section_load,
                               template="work/_home_tasks.html", permission="work.view_task", queries=2)
