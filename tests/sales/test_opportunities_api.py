"""The opportunities API: create, read, list, update with the version (409), stage, won, lost; scope (404 outside,
403 for auditors' writes); hostile input answers 4xx."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.sales.models import LossReason, Opportunity, StageChange

pytestmark = pytest.mark.django_db


def _body(customers, products, today, **extra):
    return {"name": "年度采购", "customer_id": customers["mine"].pk,
            "expected_close": str(today + dt.timedelta(days=20)),
            "lines": [{"product_id": products["sofa"].pk, "quantity": "2"}], **extra}


def test_create_read_update_and_version_conflict(api_as, customers, products, today, pipeline):
    api = api_as("account_manager")
    response = api.post("/api/opportunities", _body(customers, products, today, committed=True))
    assert response.status_code == 201, response.content
    created = response.json()
    assert Decimal(created["amount"]) == Decimal("6000.00") and created["stage"]["name"] == "初步接洽"
    assert Decimal(created["weighted"]) == Decimal("600.00") and created["version"] == 1
    pk = created["id"]
    assert api.get(f"/api/opportunities/{pk}").json()["lines"][0]["product"]["name"] == "沙发"
    patched = api.patch(f"/api/opportunities/{pk}", {"version": 1, "next_step": "发报价", "probability": 30,
                                                     "lines": [{"product_id": products["desk"].pk, "quantity": 1,
                                                                "unit_price": "999.99"}]})
    assert patched.status_code == 200, patched.content
    assert Decimal(patched.json()["amount"]) == Decimal("999.99") and patched.json()["probability"] == 30
    stale = api.patch(f"/api/opportunities/{pk}", {"version": 1, "next_step": "晚了"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    listed = api.get("/api/opportunities", status="open").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == pk


def test_stage_won_and_lost(api_as, customers, products, today, pipeline):
    api = api_as("account_manager")
    pk = api.post("/api/opportunities", _body(customers, products, today)).json()["id"]
    moved = api.post(f"/api/opportunities/{pk}/stage", {"stage_id": pipeline["谈判"].pk, "version": 1})
    assert moved.status_code == 200 and moved.json()["probability"] == 75
    assert StageChange.objects.filter(opportunity_id=pk).count() == 2
    no_reason = api.post(f"/api/opportunities/{pk}/stage", {"stage_id": pipeline["输单"].pk})
    assert no_reason.status_code == 422 and "reason_id" in no_reason.json()["error"]["fields"]
    won = api.post(f"/api/opportunities/{pk}/won", {})
    assert won.status_code == 200 and won.json()["status"] == "won" and won.json()["closed_at"]
    again = api.post(f"/api/opportunities/{pk}/lost", {"reason_id": LossReason.objects.first().pk})
    assert again.status_code == 422  # closed already
    other = api.post("/api/opportunities", _body(customers, products, today)).json()["id"]
    lost = api.post(f"/api/opportunities/{other}/lost", {"reason_id": LossReason.objects.first().pk,
                                                          "note": "预算砍了"})
    assert lost.status_code == 200 and lost.json()["loss_reason"]["name"] == LossReason.objects.first().name


def test_scope_and_roles(api_as, customers, products, today):
    pk = api_as("account_manager").post("/api/opportunities", _body(customers, products, today)).json()["id"]
    assert api_as("other_account_manager").get(f"/api/opportunities/{pk}").status_code == 404
    assert api_as("bj_account_manager").get(f"/api/opportunities/{pk}").status_code == 404
    assert api_as("branch_manager").get(f"/api/opportunities/{pk}").status_code == 200
    assert api_as("auditor").get(f"/api/opportunities/{pk}").status_code == 200
    assert api_as("auditor").post(f"/api/opportunities/{pk}/won", {}).status_code == 403
    assert api_as("auditor").post("/api/opportunities", _body(customers, products, today)).status_code == 403
    assert api_as("service_agent").get("/api/opportunities").json()["count"] == 0
    # another branch's customer, or one that does not exist, is a 422 on the field
    for customer_id in (customers["beijing"].pk, 2**40):
        response = api_as("account_manager").post("/api/opportunities", {
            **_body(customers, products, today), "customer_id": customer_id})
        assert response.status_code == 422 and "customer_id" in response.json()["error"]["fields"]


@pytest.mark.parametrize("change", [
    {"expected_close": "0001-01-01"}, {"expected_close": "9999-12-31"}, {"name": "a\u0000b"}, {"name": ""},
    {"lines": [{"product_id": 1, "quantity": "1e30"}]}, {"lines": [{"product_id": 1, "quantity": "-1"}]},
    {"lines": [{"product_id": 99999999, "quantity": "1"}]}, {"probability": 101}, {"customer_id": None},
    {"lead_id": 1}, {"owner_id": 99999999}, {"stage_id": 99999999}, {"pipeline_id": 99999999}, {"extra": 1},
])
def test_hostile_input_answers_4xx(api_as, customers, products, today, change):
    response = api_as("account_manager").post("/api/opportunities", {**_body(customers, products, today), **change})
    assert 400 <= response.status_code < 500, response.content
    assert not Opportunity.objects.exists()


def test_list_queries_do_not_grow(api_as, customers, products, today):
    api = api_as("administrator")
    api.post("/api/opportunities", _body(customers, products, today))
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/opportunities").status_code == 200
    for _index in range(5):
        api.post("/api/opportunities", _body(customers, products, today))
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/opportunities").json()["count"] == 6
    assert len(many) == len(few)
