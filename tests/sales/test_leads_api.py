"""The leads API: the exact duplicate contract (409 ``duplicate`` with ``matches``, ``attach_to``), creating from a
name and a mobile alone, scope, version conflicts, status transitions and hostile input."""

from __future__ import annotations

import pytest

from kehu.relations.models import ContactRecord
from kehu.sales.models import Lead, LeadEvent

CREDIT_CODE = "91110000600037341L"
pytestmark = pytest.mark.django_db


def _error(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def test_a_name_and_a_mobile_alone_create_a_person_lead(api_as, users):
    response = api_as("account_manager").post("/api/leads", {"name": "李雷", "mobile": "139 1234 5678"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["name"], body["mobile"], body["status"]) == ("person", "李雷", "+8613912345678", "new")
    assert body["owner"]["id"] == users["account_manager"].pk  # a seller's own lead
    lead = Lead.objects.get(pk=body["id"])
    assert list(LeadEvent.objects.filter(lead=lead).order_by("id").values_list("kind", flat=True)) == [
        "created", "assigned"]


def test_the_same_mobile_twice_answers_409_duplicate_naming_the_lead(api_as):
    api = api_as("account_manager")
    first = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"})
    assert first.status_code == 201
    again = api.post("/api/leads", {"name": "李雷雷", "mobile": "+86 139-1234-5678"})
    assert again.status_code == 409
    error = _error(again)
    assert error["code"] == "duplicate"
    assert error["matches"] == [{"kind": "lead", "id": first.json()["id"]}]
    assert Lead.objects.count() == 1


def test_a_customers_mobile_answers_409_naming_the_customer(api_as, make_customer, users):
    customer = make_customer("韩梅梅", owner=users["account_manager"], mobile="13800138000")
    response = api_as("account_manager").post("/api/leads", {"name": "韩梅梅", "mobile": "13800138000"})
    assert response.status_code == 409
    assert _error(response)["matches"] == [{"kind": "customer", "id": customer.pk}]
    assert not Lead.objects.exists()


def test_email_matches_case_insensitively_and_credit_code_matches(api_as, make_customer):
    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "王五", "mobile": "13700001111", "email": "Wang.Wu@Example.com"}).json()
    response = api.post("/api/leads", {"name": "王五", "mobile": "13700002222", "email": "wang.wu@EXAMPLE.com"})
    assert response.status_code == 409
    assert _error(response)["matches"] == [{"kind": "lead", "id": lead["id"]}]
    company = make_customer("京东方", kind="organisation", organisation={"credit_code": CREDIT_CODE})
    response = api.post("/api/leads", {"name": "京东方采购部", "kind": "organisation", "mobile": "13600001111",
                                       "credit_code": CREDIT_CODE.lower()})
    assert response.status_code == 409
    assert _error(response)["matches"] == [{"kind": "customer", "id": company.pk}]


def test_matches_outside_the_scope_are_reported_by_kind_and_id_only(api_as, make_customer, org, users):
    customer = make_customer("赵北", branch=org["bj1"], owner=users["bj_account_manager"], mobile="13800138000")
    theirs = api_as("bj_account_manager").post("/api/leads", {"name": "钱北", "mobile": "13511112222"}).json()
    api = api_as("account_manager")
    response = api.post("/api/leads", {"name": "赵北", "mobile": "13800138000"})
    assert response.status_code == 409
    error = _error(response)
    assert error["matches"] == [{"kind": "customer", "id": customer.pk}]
    assert "赵北" not in response.content.decode() or error["message"].find("赵北") < 0
    assert set(error["matches"][0]) == {"kind", "id"}
    response = api.post("/api/leads", {"name": "钱北", "mobile": "13511112222"})
    assert _error(response)["matches"] == [{"kind": "lead", "id": theirs["id"]}]
    # a lead owned by someone else cannot be taken by attaching to it
    taken = api.post("/api/leads", {"name": "钱北", "mobile": "13511112222",
                                    "attach_to": {"kind": "lead", "id": theirs["id"]}})
    assert taken.status_code == 403
    assert Lead.objects.get(pk=theirs["id"]).owner == users["bj_account_manager"]
    # their manager's manager (the administrator) may
    assert api_as("administrator").get(f"/api/leads/{theirs['id']}").status_code == 200


def test_attach_to_a_lead_adds_the_interest_to_it(api_as, users):
    from kehu.purchases.models import Product

    product = Product.objects.create(sku="CAR-1", name="轿车")
    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    response = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678", "email": "li@example.com",
                                       "source": "exhibition", "campaign": "车展", "product_ids": [product.pk],
                                       "attach_to": {"kind": "lead", "id": lead["id"]}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["attached_to"] == {"kind": "lead", "id": lead["id"]}
    assert body["lead"]["email"] == "li@example.com"
    assert [p["id"] for p in body["lead"]["products"]] == [product.pk]
    assert Lead.objects.count() == 1
    event = LeadEvent.objects.filter(lead_id=lead["id"], kind="attached").get()
    assert (event.data["source"], event.data["campaign"]) == ("exhibition", "车展")


def test_attach_to_a_customer_logs_the_interest_on_its_contact_log(api_as, make_customer, users):
    customer = make_customer("韩梅梅", owner=users["account_manager"], mobile="13800138000")
    response = api_as("account_manager").post("/api/leads", {
        "name": "韩梅梅", "mobile": "13800138000", "source": "store_visit", "notes": "想换新车",
        "attach_to": {"kind": "customer", "id": customer.pk}})
    assert response.status_code == 200, response.content
    assert response.json() == {"attached_to": {"kind": "customer", "id": customer.pk}, "lead": None}
    record = ContactRecord.objects.get(customer=customer)
    assert (record.channel, record.direction) == ("visit", "inbound") and "想换新车" in record.summary
    assert not Lead.objects.exists()


def test_attach_to_something_that_is_not_a_match_is_refused(api_as, make_customer, users):
    other = make_customer("别人", owner=users["account_manager"], mobile="13800138001")
    response = api_as("account_manager").post("/api/leads", {
        "name": "李雷", "mobile": "13912345678", "attach_to": {"kind": "customer", "id": other.pk}})
    assert response.status_code == 422
    assert "attach_to" in _error(response)["fields"]


def test_name_and_company_alone_do_not_stop_the_api(api_as):
    api = api_as("account_manager")
    assert api.post("/api/leads", {"name": "张三", "company": "某某公司", "mobile": "13911110000"}).status_code == 201
    assert api.post("/api/leads", {"name": "张三", "company": "某某公司", "mobile": "13911110001"}).status_code == 201


def test_a_converted_or_disqualified_lead_is_not_a_duplicate(api_as):
    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    done = api.post(f"/api/leads/{lead['id']}/status", {"status": "disqualified", "reason": "no_need"})
    assert done.status_code == 200, done.content
    assert api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "mobile": "12345"}, "mobile"),
    ({"name": "x", "mobile": "13912345678", "email": "not-mail"}, "email"),
    ({"name": "x", "mobile": "13912345678", "credit_code": "91110000600037341M"}, "credit_code"),
    ({"name": "x\u0000y", "mobile": "13912345678"}, "name"),
    ({"name": "", "mobile": "13912345678"}, "name"),
    ({"name": "x"}, "mobile"),
    ({"name": "x", "mobile": "13912345678", "source": "spam"}, "source"),
    ({"name": "x", "mobile": "13912345678", "product_ids": [2**63]}, "product_ids.0"),
    ({"name": "x", "mobile": "13912345678", "product_ids": [999]}, "product_ids"),
    ({"name": "x", "mobile": "13912345678", "owner_id": 2**62}, "owner_id"),
    ({"name": "x", "mobile": "13912345678", "attach_to": {"kind": "lead", "id": 0}}, "attach_to.id"),
    ({"name": "x", "mobile": "13912345678", "surprise": 1}, "surprise"),
])
def test_hostile_input_answers_422_naming_the_field(api_as, body, field):
    response = api_as("account_manager").post("/api/leads", body)
    assert response.status_code == 422, response.content
    assert field in _error(response)["fields"], _error(response)
    assert not Lead.objects.exists()


def test_a_formula_as_a_name_is_stored_as_text(api_as):
    response = api_as("account_manager").post("/api/leads", {"name": "=1+1", "mobile": "13912345678"})
    assert response.status_code == 201 and response.json()["name"] == "=1+1"


def test_scope_another_branchs_lead_answers_404(api_as):
    theirs = api_as("bj_account_manager").post("/api/leads", {"name": "钱北", "mobile": "13511112222"}).json()
    api = api_as("account_manager")
    assert api.get(f"/api/leads/{theirs['id']}").status_code == 404
    assert api.patch(f"/api/leads/{theirs['id']}", {"version": 1, "name": "x"}).status_code == 404
    assert api.post(f"/api/leads/{theirs['id']}/status", {"status": "contacted"}).status_code == 404
    assert api.post(f"/api/leads/{theirs['id']}/claim").status_code == 404
    assert api.get("/api/leads").json()["count"] == 0
    assert api_as("branch_manager").get(f"/api/leads/{theirs['id']}").status_code == 404  # East's manager
    assert api_as("auditor").get(f"/api/leads/{theirs['id']}").status_code == 200


def test_a_colleagues_lead_is_not_visible_to_a_seller_but_to_their_manager(api_as):
    mine = api_as("other_account_manager").post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    assert api_as("account_manager").get(f"/api/leads/{mine['id']}").status_code == 404
    manager = api_as("branch_manager")
    assert manager.get(f"/api/leads/{mine['id']}").status_code == 200
    changed = manager.patch(f"/api/leads/{mine['id']}", {"version": mine["version"], "campaign": "秋季"})
    assert changed.status_code == 200


def test_auditors_read_and_change_nothing(api_as):
    lead = api_as("account_manager").post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    auditor = api_as("auditor")
    assert auditor.get(f"/api/leads/{lead['id']}").status_code == 200
    assert auditor.post("/api/leads", {"name": "x", "mobile": "13912345670"}).status_code == 403
    assert auditor.patch(f"/api/leads/{lead['id']}", {"version": 1, "name": "y"}).status_code == 403


def test_a_stale_version_answers_409_and_writes_nothing(api_as):
    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    first = api.patch(f"/api/leads/{lead['id']}", {"version": lead["version"], "need": "yes", "timing": "month"})
    assert first.status_code == 200 and first.json()["version"] == lead["version"] + 1
    stale = api.patch(f"/api/leads/{lead['id']}", {"version": lead["version"], "need": "no"})
    assert stale.status_code == 409
    assert _error(stale)["code"] == "version_conflict"
    assert _error(stale)["current_version"] == lead["version"] + 1
    assert Lead.objects.get(pk=lead["id"]).need == "yes"


def test_status_transitions_forbidden_ones_are_refused_with_a_message(api_as):
    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    url = f"/api/leads/{lead['id']}/status"
    jump = api.post(url, {"status": "converted"})
    assert jump.status_code == 422
    assert "cannot become Converted" in _error(jump)["fields"]["status"][0]
    no_reason = api.post(url, {"status": "disqualified"})
    assert no_reason.status_code == 422 and "reason" in _error(no_reason)["fields"]
    for status in ("contacted", "qualified", "converted"):
        response = api.post(url, {"status": status})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    final = api.post(url, {"status": "new"})
    assert final.status_code == 422 and "allowed: none" in _error(final)["fields"]["status"][0]
    assert list(LeadEvent.objects.filter(lead_id=lead["id"], kind="status").values_list("data__status", flat=True)
                ) == ["contacted", "qualified", "converted"]


def test_logging_a_contact_moves_a_new_lead_to_contacted_and_makes_a_follow_up_task(api_as, users, today):
    import datetime as dt

    from kehu.work.models import Task

    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678"}).json()
    response = api.post(f"/api/leads/{lead['id']}/contacts", {
        "channel": "phone", "summary": "首次电话，约下周到店", "next_step": "到店试驾",
        "next_step_due": str(today + dt.timedelta(days=7))})
    assert response.status_code == 201, response.content
    stored = Lead.objects.get(pk=lead["id"])
    assert stored.status == "contacted" and stored.last_contact_at is not None
    task = Task.objects.get()
    assert (task.kind, task.title, task.owner, task.source) == ("lead_follow_up", "到店试驾", users["account_manager"],
                                                                 stored)
    bad = api.post(f"/api/leads/{lead['id']}/contacts", {"channel": "phone", "summary": "x",
                                                          "occurred_at": "0001-01-01T00:00:00"})
    assert bad.status_code == 422
    bad = api.post(f"/api/leads/{lead['id']}/contacts", {"channel": "phone", "summary": "x", "next_step": "y",
                                                          "next_step_due": "9999-12-31"})
    assert bad.status_code == 422


def test_the_list_is_paginated_searchable_and_filtered(api_as):
    api = api_as("account_manager")
    for index in range(7):
        assert api.post("/api/leads", {"name": f"客户{index}", "mobile": f"1391234560{index}",
                                       "source": "event" if index % 2 else "phone"}).status_code == 201
    page = api.get("/api/leads", limit=3, offset=0).json()
    assert page["count"] == 7 and len(page["items"]) == 3
    assert api.get("/api/leads", q="客户3").json()["count"] == 1
    assert api.get("/api/leads", q="139 1234 5603").json()["count"] == 1  # mobile (its end)
    assert api.get("/api/leads", source="event").json()["count"] == 3
    assert api.get("/api/leads", status="qualified").json()["count"] == 0
    assert api.get("/api/leads", limit=10_000).status_code == 422


def test_the_list_runs_a_fixed_number_of_queries(api_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as("account_manager")
    api.post("/api/leads", {"name": "客户", "mobile": "13912345600"})
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/leads").status_code == 200
    for index in range(1, 9):
        api.post("/api/leads", {"name": f"客户{index}", "mobile": f"1391234560{index}"})
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/leads").json()["count"] == 9
    assert len(many) == len(few)


def test_mobile_and_email_are_masked_for_those_who_do_not_work_the_lead(api_as, users):
    api = api_as("account_manager")
    lead = api.post("/api/leads", {"name": "李雷", "mobile": "13912345678", "email": "li.lei@example.com"}).json()
    assert (lead["mobile"], lead["email"]) == ("+8613912345678", "li.lei@example.com")
    seen = api_as("auditor").get(f"/api/leads/{lead['id']}").json()
    assert "12345678" not in seen["mobile"] and seen["email"] != "li.lei@example.com"
    assert api_as("branch_manager").get(f"/api/leads/{lead['id']}").json()["mobile"] == "+8613912345678"


def test_attaching_to_a_pooled_lead_claims_it_within_the_cap(api_as, users, org):
    from kehu.sales import services
    from kehu.sales.models import AssignmentRule

    AssignmentRule.objects.create(branch=org["sh1"], claim_cap=1)
    pooled = services.lead_create(actor=users["other_account_manager"], name="李雷", mobile="13912345678")
    services.lead_assign(actor=users["branch_manager"], lead=pooled, owner=None)
    api = api_as("account_manager")
    body = {"name": "李雷", "mobile": "13912345678", "attach_to": {"kind": "lead", "id": pooled.pk}}
    assert api.post("/api/leads", {"name": "王五", "mobile": "13700001111"}).status_code == 201  # holds 1: the cap
    capped = api.post("/api/leads", body)
    assert capped.status_code == 409 and _error(capped)["code"] == "claim_cap"
    AssignmentRule.objects.filter(branch=org["sh1"]).update(claim_cap=5)
    attached = api.post("/api/leads", body)
    assert attached.status_code == 200 and attached.json()["lead"]["owner"]["id"] == users["account_manager"].pk
