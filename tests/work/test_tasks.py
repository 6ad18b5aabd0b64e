"""Tasks through the pages and the API: scope, "my work", reassign, complete (writes a contact), concurrency."""

from __future__ import annotations

import pytest

from kehu.work.models import Task


@pytest.mark.django_db
def test_tasks_are_scoped_by_owner_and_branch(api_as, users, customers, make_task):
    own = make_task("account_manager", customer=customers["mine"])
    beijing = make_task("bj_account_manager", customer=customers["beijing"])

    assert api_as("account_manager").get(f"/api/tasks/{own.pk}").status_code == 200
    assert api_as("other_account_manager").get(f"/api/tasks/{own.pk}").status_code == 404
    assert api_as("account_manager").get(f"/api/tasks/{beijing.pk}").status_code == 404
    # the East region's manager sees the SH1 task among the branch's, not the Beijing one
    team = api_as("branch_manager").get("/api/tasks", scope="team").json()
    assert [item["id"] for item in team["items"]] == [own.pk]
    assert api_as("branch_manager").get("/api/tasks").json()["count"] == 0  # "mine": none of their own
    # auditors read every task, change none
    auditor = api_as("auditor")
    assert {item["id"] for item in auditor.get("/api/tasks", scope="team").json()["items"]} == {own.pk, beijing.pk}
    response = auditor.patch(f"/api/tasks/{own.pk}", {"version": own.version, "title": "x"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.title == "回访"


@pytest.mark.django_db
def test_my_work_sorts_open_tasks_into_overdue_today_and_this_week(client, users, make_task, customers, today):
    overdue = make_task(days=-3, title="逾期回访", customer=customers["mine"])
    due_today = make_task(days=0, title="今日拜访")
    days_left = 6 - today.weekday()
    later_this_week = make_task(days=days_left, title="本周短信") if days_left else None
    next_week = make_task(days=days_left + 1, title="下周电话")
    done = make_task(days=0, title="已完成")
    Task.objects.filter(pk=done.pk).update(status=Task.Status.DONE)

    client.force_login(users["account_manager"])
    response = client.get("/work/")
    assert response.status_code == 200
    sections = {section.key: [task.pk for task in section.tasks] for section in response.context["work"].sections}
    assert sections["overdue"] == [overdue.pk]
    assert sections["today"] == [due_today.pk]
    assert sections["week"] == ([later_this_week.pk] if later_this_week else [])
    assert next_week.pk not in sum(sections.values(), [])
    assert "逾期回访" in response.content.decode()


@pytest.mark.django_db
def test_my_work_filters_by_customer_tier(client, users, make_task, customers):
    from kehu.customers.models import CustomerTier

    CustomerTier.objects.create(customer=customers["mine"], tier="A", label="Key")
    key_task = make_task(customer=customers["mine"])
    untiered = make_task(title="无等级")
    client.force_login(users["account_manager"])
    work = client.get("/work/", {"tier": "A"}).context["work"]
    assert [task.pk for section in work.sections for task in section.tasks] == [key_task.pk]
    assert ("A", "Key", 1) in work.tiers and ("-", "-", 1) in work.tiers
    work = client.get("/work/", {"tier": "-"}).context["work"]
    assert [task.pk for section in work.sections for task in section.tasks] == [untiered.pk]


@pytest.mark.django_db
def test_branch_managers_switch_to_their_branches_tasks(client, users, make_task, customers):
    sh1 = make_task("account_manager", customer=customers["mine"])
    beijing = make_task("bj_account_manager", customer=customers["beijing"])
    client.force_login(users["branch_manager"])
    work = client.get("/work/", {"scope": "team"}).context["work"]
    shown = [task.pk for section in work.sections for task in section.tasks]
    assert sh1.pk in shown and beijing.pk not in shown
    # an account manager asking for the team view gets their own tasks
    client.force_login(users["other_account_manager"])
    assert client.get("/work/", {"scope": "team"}).context["scope"] == "mine"


@pytest.mark.django_db
def test_my_work_query_count_does_not_grow_with_tasks(client, users, make_task, customers,
                                                       django_assert_max_num_queries):
    client.force_login(users["account_manager"])
    make_task(customer=customers["mine"])
    client.get("/work/")
    for days in range(-3, 4):
        make_task(days=days, customer=customers["mine"])
    with django_assert_max_num_queries(12):
        assert client.get("/work/").status_code == 200


@pytest.mark.django_db
def test_reassign_only_to_staff_in_scope_and_the_new_owner_is_notified(client, users, make_task):
    from kehu.work.models import Notification

    task = make_task("account_manager")
    client.force_login(users["account_manager"])
    refused = client.post(f"/work/tasks/{task.pk}/reassign/", {"owner": users["bj_account_manager"].pk,
                                                                "version": task.version})
    assert refused.status_code == 422
    task.refresh_from_db()
    assert task.owner == users["account_manager"]

    response = client.post(f"/work/tasks/{task.pk}/reassign/", {"owner": users["other_account_manager"].pk,
                                                                 "version": task.version})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == users["other_account_manager"]
    assert Notification.objects.filter(recipient=users["other_account_manager"], kind="task_assigned").exists()
    # the former owner, who created it, still sees it but may no longer change it
    assert client.get(f"/work/tasks/{task.pk}/").status_code == 200
    assert client.post(f"/work/tasks/{task.pk}/reassign/", {"owner": users["account_manager"].pk}).status_code == 403
    client.force_login(users["bj_account_manager"])
    assert client.get(f"/work/tasks/{task.pk}/").status_code == 404


@pytest.mark.django_db
def test_completing_a_task_writes_a_contact_record_in_the_same_transaction(client, users, make_task, customers):
    from kehu.customers.models import Activity
    from kehu.relations.models import ContactRecord

    task = make_task(customer=customers["mine"], kind="visit")
    client.force_login(users["account_manager"])
    response = client.post(f"/work/tasks/{task.pk}/complete/", {"outcome": "客户同意续约", "satisfaction": "5",
                                                                 "version": task.version, "channel": ""})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.outcome == "客户同意续约"
    record = ContactRecord.objects.get(task=task)
    assert (record.customer, record.channel, record.summary, record.satisfaction, record.staff) == (
        customers["mine"], "visit", "客户同意续约", 5, users["account_manager"])
    kinds = list(Activity.objects.filter(customer=customers["mine"]).order_by("id").values_list("kind", "data__action"))
    assert kinds[-2:] == [("contact", None), ("task", "completed")]
    # a second completion is refused and writes nothing
    again = client.post(f"/work/tasks/{task.pk}/complete/", {"outcome": "再来一次"})
    assert again.status_code == 422
    assert ContactRecord.objects.filter(task=task).count() == 1


@pytest.mark.django_db
def test_a_failing_completion_leaves_the_task_open(api_as, make_task, customers):
    from kehu.relations.models import ContactRecord

    task = make_task(customer=customers["mine"])
    response = api_as("account_manager").post(f"/api/tasks/{task.pk}/complete",
                                              {"outcome": "done", "channel": "pigeon"})
    assert response.status_code == 422
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
    assert not ContactRecord.objects.exists()


@pytest.mark.django_db
def test_api_creates_updates_and_refuses_stale_versions(api_as, users, customers, today):
    api = api_as("account_manager")
    created = api.post("/api/tasks", {"title": "电话回访", "kind": "call", "due_date": str(today),
                                      "customer_id": customers["mine"].pk, "priority": 3})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["owner"]["username"], body["priority"], body["version"]) == ("am1", 3, 1)
    updated = api.patch(f"/api/tasks/{body['id']}", {"version": 1, "title": "电话回访（改）"})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = api.patch(f"/api/tasks/{body['id']}", {"version": 1, "title": "旧版本"})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert Task.objects.get(pk=body["id"]).title == "电话回访（改）"
    handed = api.patch(f"/api/tasks/{body['id']}", {"version": 2, "owner_id": users["other_account_manager"].pk})
    assert handed.status_code == 200 and handed.json()["owner"]["username"] == "am2"


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"title": "x", "due_date": "9999-12-31"}, "due_date"),
    ({"title": "x", "due_date": "0001-01-01"}, "due_date"),
    ({"title": "\u0000", "due_date": "2026-01-01"}, "title"),
    ({"title": "x", "due_date": "2026-01-01", "kind": "teleport"}, "kind"),
    ({"title": "x", "due_date": "2026-01-01", "priority": 99}, "priority"),
    ({"title": "x", "due_date": "2026-01-01", "customer_id": 2**70}, "customer_id"),
])
def test_hostile_task_input_answers_422(api_as, body, field):
    response = api_as("account_manager").post("/api/tasks", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_tasks_of_another_branch_customer_cannot_be_created(api_as, customers, today):
    response = api_as("account_manager").post("/api/tasks", {"title": "x", "due_date": str(today),
                                                             "customer_id": customers["beijing"].pk})
    assert response.status_code == 404
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_task_timeline_rows_and_the_customer_timeline_api(api_as, make_task, customers):
    task = make_task(customer=customers["mine"], title="季度拜访", kind="visit")
    items = api_as("account_manager").get(f"/api/customers/{customers['mine'].pk}/timeline").json()["items"]
    assert items[0]["kind"] == "task"
    assert "季度拜访" in items[0]["title"]
    assert items[0]["subject"] == {"type": "work.task", "id": task.pk}
