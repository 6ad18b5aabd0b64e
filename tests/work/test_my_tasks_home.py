"""The "My tasks" section of the home page (registered by work): today's and overdue tasks of the user, counts, the
first few, a link to "my work", an empty state; only the user's own tasks."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from kehu.core.registry import home_sections


def _section(response):
    return next(item["data"] for item in response.context["sections"] if item["section"].key == "my_tasks")


def test_my_tasks_lists_todays_and_overdue_tasks_of_the_user(client, users, make_task, customers):
    overdue = make_task(days=-3, title="逾期回访", customer=customers["mine"])
    today = make_task(days=0, title="今日拜访")
    make_task(days=2, title="下周任务")  # later: not in the section
    make_task("other_account_manager", days=0, title="同事的任务")  # someone else's
    client.force_login(users["account_manager"])
    response = client.get(reverse("home"))
    assert response.status_code == 200
    data = _section(response)
    assert [task.pk for task in data["tasks"]] == [overdue.pk, today.pk]
    assert (data["overdue"], data["today"], data["total"]) == (1, 1, 2)
    text = response.content.decode()
    assert "逾期回访" in text and "今日拜访" in text and "同事的任务" not in text and "下周任务" not in text
    assert reverse("work:my_work") in text
    assert home_sections.get("my_tasks").queries == 2


def test_my_tasks_empty_state(client, users):
    client.force_login(users["account_manager"])
    response = client.get(reverse("home"))
    data = _section(response)
    assert data["tasks"] == [] and data["total"] == 0
    assert "Nothing due today and nothing overdue." in response.content.decode() or \
        "今天没有到期的任务" in response.content.decode()


def test_done_tasks_are_not_listed(client, users, make_task):
    from kehu.work.services import task_cancel

    task = make_task(days=-1)
    task_cancel(actor=users["account_manager"], task=task)
    client.force_login(users["account_manager"])
    assert _section(client.get(reverse("home")))["total"] == 0
    assert dt.date.today()  # (the section reads the local date)
