"""Cadence rules through the API: administrators add, replace (``version``: a stale one answers 409) and delete
rules; others are refused; hostile input answers 4xx."""

from __future__ import annotations

import pytest

from kehu.relations.models import CadenceRule
from kehu.work.models import Task

RULE = {"tier": "A", "channel": "phone", "every": 2, "unit": "week", "title": "双周电话"}


@pytest.mark.django_db
def test_an_administrator_adds_replaces_and_deletes_a_rule(api_as):
    api = api_as("administrator")
    created = api.post("/api/cadence/rules", RULE)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["every"], rule["unit"], rule["interval_days"], rule["version"]) == (2, "week", 14, 1)
    replaced = api._send("put", f"/api/cadence/rules/{rule['id']}", {**RULE, "every": 1, "unit": "month", "version": 1})
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["unit"], replaced.json()["version"]) == ("month", 2)
    stale = api._send("put", f"/api/cadence/rules/{rule['id']}", {**RULE, "every": 3, "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 2
    assert CadenceRule.objects.get().every == 1
    assert api.delete(f"/api/cadence/rules/{rule['id']}?version=1").status_code == 409
    assert api.get("/api/cadence/rules").json()["count"] == 1
    assert api.delete(f"/api/cadence/rules/{rule['id']}?version=2").status_code == 204
    assert not CadenceRule.objects.exists()
    assert api.delete(f"/api/cadence/rules/{rule['id']}").status_code == 404


@pytest.mark.django_db
def test_deleting_a_rule_cancels_its_open_tasks(api_as, users, make_customer):
    from kehu.customers.models import CustomerTier
    from kehu.relations.cadences.services import cadence_run

    api = api_as("administrator")
    customer = make_customer("甲", owner=users["account_manager"])
    CustomerTier.objects.create(customer=customer, tier="A")
    rule = api.post("/api/cadence/rules", RULE).json()
    assert cadence_run().created == 1
    assert api.delete(f"/api/cadence/rules/{rule['id']}").status_code == 204
    assert list(Task.objects.filter(kind="cadence").values_list("status", flat=True)) == [Task.Status.CANCELLED]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["account_manager", "branch_manager"])
def test_others_may_read_but_not_change_rules(api_as, role):
    rule = CadenceRule.objects.create(channel="phone", every=1, unit="month")
    api = api_as(role)
    assert api.post("/api/cadence/rules", RULE).status_code == 403
    assert api._send("put", f"/api/cadence/rules/{rule.pk}", {**RULE, "version": 1}).status_code == 403
    assert api.delete(f"/api/cadence/rules/{rule.pk}").status_code == 403
    assert CadenceRule.objects.get().version == 1


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"channel": "telepathy"}, {"unit": "fortnight"}, {"every": 0},
                                    {"every": 10**12}, {"every": 99999}, {"title": "x\x00y"}, {"tier": "A" * 300},
                                    {"channel": None}])
def test_hostile_input_answers_4xx(api_as, change):
    response = api_as("administrator").post("/api/cadence/rules", {**RULE, **change})
    assert response.status_code in (400, 422), response.content
    assert not CadenceRule.objects.exists()
