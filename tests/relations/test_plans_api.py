"""The plans, events and gifts API: the whole plan workflow, 409 on a stale version, hostile input answering 4xx,
another branch's ids 404, and lists with a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.relations.models import ContactRecord, Event, Gift, MaintenancePlan


def _plan_body(customers, today, **changes):
    body = {"title": "王一年度维护方案", "objective": "提升满意度", "measures": "每月拜访",
            "customer_ids": [customers["mine"].pk], "budget": "9000.00", "period_start": today.isoformat(),
            "period_end": (today + dt.timedelta(days=90)).isoformat(),
            "actions": [{"title": "上门拜访", "due_date": (today + dt.timedelta(days=7)).isoformat(), "cost": "800"}]}
    body.update(changes)
    return body


@pytest.mark.django_db
def test_plan_workflow_through_the_api(api_as, users, customers, today):
    am = api_as("account_manager")
    created = am.post("/api/plans", _plan_body(customers, today))
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["status"] == "draft" and len(plan["actions"]) == 1
    assert plan["budget_figures"]["committed"] == "800.00" and plan["customers"][0]["id"] == customers["mine"].pk
    url = f"/api/plans/{plan['id']}"
    changed = am.patch(url, {"version": plan["version"], "budget": "7000"})
    assert changed.status_code == 200 and changed.json()["budget"] == "7000.00"
    stale = am.patch(url, {"version": plan["version"], "title": "覆盖"})
    assert stale.status_code == 409
    assert MaintenancePlan.objects.get().title == "王一年度维护方案"
    submitted = am.post(url + "/submit", {"version": changed.json()["version"]})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    approval_id = submitted.json()["approval_id"]
    mine = am.post(f"/api/approvals/{approval_id}/decision", {"approve": True, "comment": ""})
    assert mine.status_code == 403
    decided = api_as("branch_manager").post(f"/api/approvals/{approval_id}/decision",
                                            {"approve": True, "comment": "同意"})
    assert decided.status_code == 200, decided.content
    body = am.get(url).json()
    assert body["status"] == "approved" and body["actions"][0]["task_id"] is not None
    action_id = body["actions"][0]["id"]
    assert am.patch(f"{url}/actions/{action_id}", {"recorded_cost": "650"}).status_code == 200
    summary = am.post(url + "/summary", {"results": "续签合同", "next_plan": "继续维护"})
    assert summary.status_code == 200
    assert summary.json()["status"] == "summarised" and summary.json()["cost_spent"] == "650.00"
    assert api_as("auditor").get(url).status_code == 200
    assert api_as("auditor").post(url + "/summary", {"results": "x"}).status_code in (403, 422)
    assert api_as("bj_account_manager").get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("changes, status", [
    ({"period_start": "9999-01-01"}, 422),
    ({"period_end": "0001-01-01"}, 422),
    ({"budget": "1e20"}, 422),
    ({"budget": "-5"}, 422),
    ({"budget": "NaN"}, 422),
    ({"title": "年度\u0000方案"}, 422),
    ({"customer_ids": [2**63]}, 422),
    ({"customer_ids": []}, 422),
    ({"actions": [{"title": "拜访", "due_date": "9999-12-31"}]}, 422),
    ("beijing", 404),
    ("colleague", 403),
])
def test_hostile_plan_input_answers_4xx(api_as, customers, today, changes, status):
    if isinstance(changes, str):
        changes = {"customer_ids": [customers[changes].pk]}
    response = api_as("account_manager").post("/api/plans", _plan_body(customers, today, **changes))
    assert response.status_code == status, response.content
    assert MaintenancePlan.objects.count() == 0


@pytest.mark.django_db
def test_a_formula_as_a_title_is_stored_as_text(api_as, customers, today):
    response = api_as("account_manager").post("/api/plans", _plan_body(customers, today, title="=1+1"))
    assert response.status_code == 201 and response.json()["title"] == "=1+1"


@pytest.mark.django_db
def test_events_and_gifts_through_the_api(api_as, users, customers, today):
    am = api_as("account_manager")
    created = am.post("/api/events", {"name": "客户联谊会", "kind": "gathering",
                                      "date": (today - dt.timedelta(days=1)).isoformat(), "cost": "3000"})
    assert created.status_code == 201, created.content
    event = created.json()
    url = f"/api/events/{event['id']}"
    assert am.post(url + "/invitees", {"customer_ids": [customers["beijing"].pk]}).status_code == 404
    invited = am.post(url + "/invitees", {"filter": {"owner_id": users["account_manager"].pk}})
    assert invited.status_code == 200 and invited.json()["count"] == 1
    assert am.post(url + "/invitees", {"customer_ids": [customers["colleague"].pk]}).json()["count"] == 1
    assert am.post(url + "/answers", {"customer_ids": [customers["colleague"].pk],
                                      "status": "declined"}).json()["count"] == 1
    marked = am.post(url + "/attendance", {"customer_ids": [customers["mine"].pk]})
    assert marked.status_code == 200 and marked.json()["count"] == 1
    invitees = am.get(url + "/invitees").json()
    assert [(item["customer"]["id"], item["status"], item["attended"]) for item in invitees["items"]] == sorted(
        [(customers["colleague"].pk, "declined", False), (customers["mine"].pk, "accepted", True)],
        key=lambda row: row[0] != customers["mine"].pk)
    assert am.get(url).json()["attended"] == 1
    assert am.patch(url, {"version": event["version"], "cost": "3500"}).status_code == 200
    assert am.patch(url, {"version": event["version"], "cost": "1"}).status_code == 409
    assert Event.objects.get().cost == 3500
    assert api_as("bj_account_manager").get(url).status_code == 404
    assert am.post("/api/events", {"name": "x", "date": "9999-01-01"}).status_code == 422
    assert am.post("/api/events", {"name": "x", "date": today.isoformat(), "cost": "1e30"}).status_code == 422

    gift = am.post("/api/gifts", {"customer_id": customers["mine"].pk, "description": "中秋礼盒", "cost": "300",
                                  "given_on": today.isoformat(), "occasion": "festival"})
    assert gift.status_code == 201, gift.content
    assert gift.json()["contact_id"] == ContactRecord.objects.get(channel="gift").pk
    assert am.post("/api/gifts", {"customer_id": customers["beijing"].pk, "description": "x", "cost": "1",
                                  "given_on": today.isoformat()}).status_code == 404
    assert am.post("/api/gifts", {"customer_id": customers["mine"].pk, "description": "x", "cost": "1",
                                  "given_on": "9999-01-01"}).status_code == 422
    assert am.get("/api/gifts", customer_id=customers["mine"].pk).json()["count"] == 1
    assert am.get("/api/gifts", customer_id=customers["beijing"].pk).status_code == 404
    assert Gift.objects.count() == 1


@pytest.mark.django_db
def test_plan_and_event_lists_take_a_fixed_number_of_queries(api_as, users, customers, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = api_as("branch_manager")

    def add(count):
        for index in range(count):
            assert manager.post("/api/plans", _plan_body(customers, today, title=f"方案{index}",
                                                         customer_ids=[customers["colleague"].pk])).status_code == 201
            assert manager.post("/api/events", {"name": f"活动{index}", "date": today.isoformat()}).status_code == 201

    add(1)
    manager.get("/api/plans")
    manager.get("/api/events")
    with CaptureQueriesContext(connection) as plans_few:
        assert manager.get("/api/plans").json()["count"] == 1
    with CaptureQueriesContext(connection) as events_few:
        manager.get("/api/events")
    add(4)
    with CaptureQueriesContext(connection) as plans_many:
        assert manager.get("/api/plans").json()["count"] == 5
    with CaptureQueriesContext(connection) as events_many:
        assert manager.get("/api/events").json()["count"] == 5
    assert len(plans_few) == len(plans_many) and len(events_few) == len(events_many)
    assert manager.get("/api/plans", q="方案3").json()["count"] == 1
    assert manager.get("/api/plans", status="approved").json()["count"] == 0
