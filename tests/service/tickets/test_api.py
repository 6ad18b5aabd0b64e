"""The tickets API: create (201, 422, 404 outside scope), list with filters and pagination, read, messages (notes
never customer-facing), assign (hooks, version), merge, compensation through the shared approvals, hostile input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.service import hooks
from kehu.service.models import Compensation, Ticket, TicketCategory, TicketMessage

pytestmark = pytest.mark.django_db

BODY = {"type": "complaint", "channel": "phone", "subject": "收到的商品有破损", "description": "外包装完好，内部碎裂"}


def test_create_answers_201_with_id_and_number_and_derives_the_priority(api_as, customer, users):
    from kehu.customers.models import CustomerTier
    from kehu.scoring.selectors import primary_scheme

    category = TicketCategory.objects.create(name="食品安全", priority_raise=2)
    api = api_as("service_agent")
    response = api.post("/api/tickets", {**BODY, "customer_id": customer.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["number"] == ticket.number == f"T{ticket.pk:07d}" and ticket.status == "received"
    assert ticket.branch_id == customer.branch_id and ticket.created_by == users["service_agent"]
    assert body["priority"] == 2  # no tier: normal
    raised = api.post("/api/tickets", {**BODY, "customer_id": customer.pk, "category_id": category.pk}).json()
    assert raised["priority"] == 4  # normal + 2
    scheme = primary_scheme()
    if scheme is not None:
        best = scheme.tiers[0].code
        CustomerTier.objects.update_or_create(customer=customer, defaults={"tier": best})
        assert api.post("/api/tickets", {**BODY, "customer_id": customer.pk}).json()["priority"] == 3
        assert api.post("/api/tickets", {**BODY, "customer_id": customer.pk,
                                         "category_id": category.pk}).json()["priority"] == 4  # capped


def test_create_for_an_unknown_caller_and_the_422s(api_as, users, team):
    api = api_as("service_agent")
    response = api.post("/api/tickets", {**BODY, "caller_phone": "13800138000", "team_id": team.pk})
    assert response.status_code == 201 and Ticket.objects.get(pk=response.json()["id"]).branch == team.branch
    missing = api.post("/api/tickets", {**BODY})
    assert missing.status_code == 422 and "customer_id" in missing.json()["error"]["fields"]
    for bad in ({"type": "rant"}, {"channel": "fax"}, {"subject": ""}, {"subject": "x" * 201},
                {"subject": "a\x00b"}, {"customer_id": 0}, {"customer_id": 2**70}, {"extra": 1},
                {"team_id": 999999}):
        response = api.post("/api/tickets", {**BODY, "caller_name": "路人", **bad})
        assert response.status_code == 422, (bad, response.content)
    assert api.post("/api/tickets", [1, 2]).status_code in (400, 422)


def test_a_customer_outside_the_scope_answers_404(api_as, make_customer, org):
    beijing = make_customer("北京客户", branch=org["bj1"])
    response = api_as("service_agent").post("/api/tickets", {**BODY, "customer_id": beijing.pk})
    assert response.status_code == 404 and not Ticket.objects.exists()
    assert api_as("auditor").post("/api/tickets", {**BODY, "customer_id": beijing.pk}).status_code == 403


def test_scope_agents_their_teams_auditors_read_only(api_as, make_ticket, users, team, make_customer, org):
    mine = make_ticket("inquiry", actor=users["administrator"], team=team)
    other = make_ticket("inquiry", actor=users["administrator"])
    agent = api_as("service_agent")
    ids = {item["id"] for item in agent.get("/api/tickets").json()["items"]}
    assert mine.pk in ids and other.pk not in ids
    assert agent.get(f"/api/tickets/{other.pk}").status_code == 404
    auditor = api_as("auditor")
    assert auditor.get(f"/api/tickets/{other.pk}").status_code == 200
    assert auditor.post(f"/api/tickets/{other.pk}/transition", {"to": "accepted"}).status_code == 403
    assert api_as("bj_account_manager").get(f"/api/tickets/{mine.pk}").status_code == 404


def test_list_filters_search_and_constant_queries(api_as, make_ticket, users, team):
    for index in range(6):
        make_ticket("complaint" if index % 2 else "inquiry", subject=f"问题{index}", team=team,
                    assignee=users["service_agent"] if index < 2 else None)
    api = api_as("service_agent")
    assert api.get("/api/tickets", type="complaint").json()["count"] == 3
    assert api.get("/api/tickets", mine="true").json()["count"] == 2
    assert api.get("/api/tickets", q="问题3").json()["count"] == 1
    first = Ticket.objects.order_by("pk").first()
    assert [i["id"] for i in api.get("/api/tickets", q=first.number).json()["items"]] == [first.pk]
    page = api.get("/api/tickets", limit=2, offset=2).json()
    assert page["count"] == 6 and len(page["items"]) == 2
    assert api.get("/api/tickets", limit=100000).status_code == 422
    assert api.get("/api/tickets", status="bogus").status_code == 422
    with CaptureQueriesContext(connection) as few:
        api.get("/api/tickets", limit=2)
    with CaptureQueriesContext(connection) as many:
        api.get("/api/tickets", limit=6)
    assert len(few) == len(many)


def test_messages_notes_never_customer_facing(api_as, make_ticket):
    ticket = make_ticket("complaint")
    api = api_as("branch_manager")
    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "reply", "body": "已安排补发"}).status_code == 201
    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "note", "body": "仓库漏发"}).status_code == 201
    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "inbound", "body": "x"}).status_code == 422
    assert api.post(f"/api/tickets/{ticket.pk}/messages", {"kind": "note", "body": ""}).status_code == 422
    everything = api.get(f"/api/tickets/{ticket.pk}/messages").json()
    facing = api.get(f"/api/tickets/{ticket.pk}/messages", customer_facing="true").json()
    assert [m["kind"] for m in everything] == ["reply", "note"]
    assert [m["kind"] for m in facing] == ["reply"] and "仓库漏发" not in str(facing)
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is not None


def test_assign_calls_the_hooks_and_checks_the_version(api_as, make_ticket, users, team):
    ticket = make_ticket("inquiry", team=team)
    seen = []
    api = api_as("branch_manager")
    with hooks.ticket_listeners.temporarily("seen", lambda **kw: seen.append(kw["event"])):
        response = api.post(f"/api/tickets/{ticket.pk}/assign",
                            {"assignee_id": users["service_agent"].pk, "priority": 4, "version": 1})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == users["service_agent"].pk and response.json()["priority"] == 4
    assert sorted(seen) == ["assigned", "priority"]
    stale = api.post(f"/api/tickets/{ticket.pk}/assign", {"assignee_id": None, "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    assert api.post(f"/api/tickets/{ticket.pk}/assign", {"assignee_id": users["bj_account_manager"].pk}
                    ).status_code == 422


def test_merge_moves_messages_and_keeps_history(api_as, make_ticket, customer, make_customer):
    from kehu.customers.models import Activity

    keep, duplicate = make_ticket("complaint"), make_ticket("complaint", subject="送货延迟（重复）")
    api = api_as("branch_manager")
    api.post(f"/api/tickets/{duplicate.pk}/messages", {"kind": "reply", "body": "重复工单的回复"})
    response = api.post(f"/api/tickets/{keep.pk}/merge", {"duplicate_id": duplicate.pk})
    assert response.status_code == 200, response.content
    merged = Ticket.objects.get(pk=duplicate.pk)
    assert merged.status == "merged" and merged.merged_into_id == keep.pk
    assert TicketMessage.objects.filter(ticket=keep, body="重复工单的回复").exists()
    assert merged.status_changes.filter(to_status="merged").exists() and merged.status_changes.count() == 2
    assert Activity.objects.filter(kind="ticket", data__event="merged").count() == 1
    again = api.post(f"/api/tickets/{keep.pk}/merge", {"duplicate_id": duplicate.pk})
    assert again.status_code == 409
    assert api.post(f"/api/tickets/{keep.pk}/merge", {"duplicate_id": keep.pk}).status_code == 422
    other = make_ticket("complaint", cust=make_customer("李四"))
    assert api.post(f"/api/tickets/{keep.pk}/merge", {"duplicate_id": other.pk}).status_code == 422
    assert api.post(f"/api/tickets/{duplicate.pk}/transition", {"to": "accepted"}).status_code == 409
    assert api.post(f"/api/tickets/{duplicate.pk}/messages", {"kind": "note", "body": "x"}).status_code == 409
    assert api_as("auditor").post(f"/api/tickets/{keep.pk}/merge", {"duplicate_id": other.pk}).status_code == 403


def test_compensation_goes_through_the_shared_approvals(api_as, make_ticket, users):
    from kehu.work.models import Approval

    ticket = make_ticket("complaint")
    response = api_as("service_agent").post(f"/api/tickets/{ticket.pk}/compensation",
                                            {"kind": "coupon", "cost": "88.50", "description": "50元券"})
    # the agent created the ticket, so it is in scope
    assert response.status_code == 201, response.content
    compensation = Compensation.objects.get()
    approval = Approval.objects.get(kind="service_compensation")
    assert approval.amount == Decimal("88.50") == compensation.cost and approval.subject_id == compensation.pk
    assert approval.customer_id == ticket.customer_id and compensation.status == "pending"
    decided = api_as("branch_manager").post(f"/api/approvals/{approval.pk}/decision",
                                            {"approve": True, "comment": "同意"})
    assert decided.status_code == 200, decided.content
    assert Compensation.objects.get().status == "approved"
    for bad in ({"kind": "cash", "cost": "1"}, {"kind": "gift", "cost": "-1"}, {"kind": "gift", "cost": "1e30"},
                {"kind": "gift", "cost": "NaN"}, {"kind": "gift", "cost": "1.234"}):
        assert api_as("service_agent").post(f"/api/tickets/{ticket.pk}/compensation", bad).status_code == 422, bad
    assert api_as("auditor").post(f"/api/tickets/{ticket.pk}/compensation",
                                  {"kind": "gift", "cost": "1"}).status_code == 403


def test_hostile_paths_and_ids(api_as, make_ticket):
    api = api_as("branch_manager")
    assert api.get("/api/tickets/99999999999999999999").status_code in (400, 404)
    assert api.get("/api/tickets/0").status_code == 404
    assert api.post("/api/tickets/1/transition", {"to": "accepted", "comment": "x" * 6000}).status_code in (404, 422)
    ticket = make_ticket("complaint")
    assert api.post(f"/api/tickets/{ticket.pk}/transition", {"to": "accepted", "version": 2**40}).status_code == 422
    assert api.post(f"/api/tickets/{ticket.pk}/transition", {"to": "=1+1"}).status_code == 422
