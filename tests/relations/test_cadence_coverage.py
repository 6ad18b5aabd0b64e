"""Cadence coverage: the figures on a small known data set, the selector other areas use for staff KPIs (a fixed
number of queries), the scoped page and API, and the rules' settings pages (administrators only, confirmation,
stale edits)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import CustomerTier
from kehu.relations.cadences.selectors import cadence_coverage, cadence_coverage_by_owner
from kehu.relations.cadences.services import cadence_rule_create, cadence_run
from kehu.relations.models import CadenceRule, ContactRecord
from kehu.work.models import Task

DAY = dt.date(2026, 6, 15)


def contact(customer, days_ago: int, channel: str) -> None:
    ContactRecord.objects.create(customer=customer, branch_id=customer.branch_id, channel=channel, summary="联系",
                                 occurred_at=timezone.make_aware(dt.datetime.combine(
                                     DAY - dt.timedelta(days=days_ago), dt.time(10))))


@pytest.fixture
def rules(db):
    return [cadence_rule_create(actor=None, tier="A", channel="phone", every=1, unit="week"),
            cadence_rule_create(actor=None, management_class="key", channel="visit", every=1, unit="quarter")]


@pytest.fixture
def book(users, org, make_customer, rules):
    am, am2, bj = users["account_manager"], users["other_account_manager"], users["bj_account_manager"]
    made = {
        "a": make_customer("甲", owner=am),
        "key": make_customer("乙", owner=am, management_class="key"),
        "both": make_customer("丙", owner=am, management_class="key"),
        "plain": make_customer("丁", owner=am),
        "colleague": make_customer("王二", owner=am2),
        "beijing": make_customer("赵北", owner=bj, branch=org["bj1"], management_class="key"),
        "orphan": make_customer("戊"),
        "lost": make_customer("己", owner=am, lifecycle_status="lost"),
    }
    for name in ("a", "both", "colleague", "orphan", "lost"):
        CustomerTier.objects.create(customer=made[name], tier="A")
    CustomerTier.objects.create(customer=made["plain"], tier="C")
    contact(made["a"], 2, "phone")
    contact(made["key"], 2, "phone")  # the wrong channel for its rule
    contact(made["both"], 3, "phone")
    contact(made["both"], 80, "visit")
    contact(made["colleague"], 10, "phone")  # too old
    contact(made["beijing"], 5, "visit")
    contact(made["orphan"], 1, "phone")
    contact(made["lost"], 100, "phone")
    return made


def test_coverage_by_owner_on_a_known_data_set(book, users):
    am, am2, bj = users["account_manager"], users["other_account_manager"], users["bj_account_manager"]
    assert cadence_coverage_by_owner(as_of=DAY) == {am.pk: (2, 3), am2.pk: (0, 1), bj.pk: (1, 1)}
    assert cadence_coverage_by_owner(as_of=DAY, owner_ids=[am.pk, bj.pk]) == {am.pk: (2, 3), bj.pk: (1, 1)}
    assert cadence_coverage_by_owner(as_of=DAY, owner_ids=[]) == {}
    # a week later the calls are too old: only the visits (a quarter) still hold
    assert cadence_coverage_by_owner(as_of=DAY + dt.timedelta(days=7)) == {am.pk: (0, 3), am2.pk: (0, 1),
                                                                          bj.pk: (1, 1)}
    # the contact log after the as-of day does not count
    assert cadence_coverage_by_owner(as_of=DAY - dt.timedelta(days=4))[am.pk] == (0, 3)


def test_coverage_by_owner_takes_a_fixed_number_of_queries(book, users, make_customer):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            cadence_coverage_by_owner(as_of=DAY)
        return len(queries.captured_queries)

    few = count()
    for index in range(15):
        customer = make_customer(f"客户{index}", owner=users["account_manager"], management_class="key")
        contact(customer, index, "visit")
    cadence_rule_create(actor=None, channel="letter", every=1, unit="year")
    assert count() == few == 2


def test_coverage_with_no_rules_is_empty(db, users):
    assert cadence_coverage_by_owner(as_of=DAY) == {}
    report = cadence_coverage(user=users["administrator"], as_of=DAY)
    assert report.customers == 0 and report.rules == 0


def test_coverage_report_per_branch_includes_customers_without_an_owner(book, users, org):
    report = cadence_coverage(user=users["administrator"], as_of=DAY)
    branches = {row.key: (row.on_cadence, row.customers) for row in report.by_branch}
    # each branch rolls up its subtree: the regions their stores', the group everything
    assert branches == {org["hq"].pk: (4, 6), org["east"].pk: (3, 5), org["north"].pk: (1, 1),
                        org["sh1"].pk: (3, 5), org["bj1"].pk: (1, 1)}
    assert [(row.key, row.depth) for row in report.by_branch] == [
        (org["hq"].pk, 0), (org["east"].pk, 1), (org["sh1"].pk, 2), (org["north"].pk, 1), (org["bj1"].pk, 2)]
    assert (report.on_cadence, report.customers) == (4, 6)
    owners = {row.key: (row.on_cadence, row.customers) for row in report.by_owner}
    assert owners[None] == (1, 1)


def test_the_page_is_scoped(client, book, users, org):
    url = reverse("relations:cadence_coverage") + f"?as_of={DAY.isoformat()}"
    client.force_login(users["account_manager"])
    response = client.get(url)
    assert response.status_code == 200
    report = response.context["report"]
    assert [(row.key, row.on_cadence, row.customers) for row in report.by_owner] == [
        (users["account_manager"].pk, 2, 3)]
    assert "赵北" not in response.content.decode() and str(users["bj_account_manager"]) not in response.content.decode()
    client.force_login(users["branch_manager"])  # region East: SH1 and SH2, not Beijing
    report = client.get(url).context["report"]
    assert [(row.key, row.on_cadence, row.customers, row.depth) for row in report.by_branch] == [
        (org["east"].pk, 3, 5, 0), (org["sh1"].pk, 3, 5, 1)]  # the region rolls up its stores; not the group
    assert users["bj_account_manager"].pk not in {row.key for row in report.by_owner}
    client.force_login(users["bj_account_manager"])
    report = client.get(url).context["report"]
    assert [(row.key, row.on_cadence, row.customers) for row in report.by_owner] == [
        (users["bj_account_manager"].pk, 1, 1)]
    client.force_login(users["auditor"])
    assert client.get(url).context["report"].customers == 6


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "garbage", "2026-02-30"])
def test_the_page_refuses_hostile_dates(client, book, users, value):
    client.force_login(users["administrator"])
    response = client.get(reverse("relations:cadence_coverage"), {"as_of": value})
    assert response.status_code == 400


def test_the_page_shows_an_empty_state(client, users):
    client.force_login(users["account_manager"])
    response = client.get(reverse("relations:cadence_coverage"))
    assert response.status_code == 200
    assert response.context["report"].rules == 0
    assert "目前没有启用的接触频率规则。" in response.content.decode()


def test_the_api_is_scoped_and_paginated(api_as, book, users, org):
    response = api_as("account_manager").get(f"/api/cadence/coverage?as_of={DAY.isoformat()}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["on_cadence"], body["customers"], body["count"]) == (2, 3, 1)
    assert body["items"] == [{"id": users["account_manager"].pk, "name": str(users["account_manager"]),
                              "on_cadence": 2, "customers": 3, "share": round(2 / 3, 4)}]
    body = api_as("branch_manager").get(f"/api/cadence/coverage?as_of={DAY.isoformat()}&group=branch").json()
    assert [item["id"] for item in body["items"]] == [org["east"].pk, org["sh1"].pk]
    body = api_as("bj_account_manager").get(f"/api/cadence/coverage?as_of={DAY.isoformat()}&group=branch").json()
    assert [(item["id"], item["customers"]) for item in body["items"]] == [(org["bj1"].pk, 1)]
    body = api_as("administrator").get(f"/api/cadence/coverage?as_of={DAY.isoformat()}&limit=1&offset=1").json()
    assert body["count"] == 4 and len(body["items"]) == 1
    for value in ("0001-01-01", "9999-12-31", "x"):
        assert api_as("administrator").get(f"/api/cadence/coverage?as_of={value}").status_code == 422
    assert api_as("administrator").get("/api/cadence/coverage?group=nope").status_code == 422
    rules = api_as("account_manager").get("/api/cadence/rules").json()
    assert rules["count"] == 2 and {item["channel"] for item in rules["items"]} == {"phone", "visit"}


# --- the rules' settings pages ---------------------------------------------------------------------------------------


def test_only_administrators_manage_rules(client, users, rules):
    for role in ("account_manager", "branch_manager", "auditor"):
        client.force_login(users[role])
        assert client.get(reverse("relations:cadence_rules")).status_code == 403
        assert client.post(reverse("relations:cadence_rule_create"), {"channel": "sms"}).status_code == 403
        assert client.post(reverse("relations:cadence_rule_delete", args=[rules[0].pk])).status_code == 403
    assert CadenceRule.objects.count() == 2


def test_administrators_list_add_edit_and_delete_rules(client, users, rules, book):
    client.force_login(users["administrator"])
    response = client.get(reverse("relations:cadence_rules"))
    assert response.status_code == 200 and len(response.context["page"].object_list) == 2
    response = client.post(reverse("relations:cadence_rule_create"), {
        "tier": "A", "management_class": "", "channel": "sms", "every": "1", "unit": "month",
        "title": "节日问候短信", "is_active": "on"})
    assert response.status_code == 302
    rule = CadenceRule.objects.get(channel="sms")
    assert (rule.tier, rule.every, rule.unit, rule.interval_days) == ("A", 1, "month", 30)
    # hostile values: a number out of range, an unknown channel
    response = client.post(reverse("relations:cadence_rule_create"), {"channel": "fax", "every": "100000",
                                                                       "unit": "month"})
    assert response.status_code == 422 and CadenceRule.objects.count() == 3
    # an edit from a stale form is refused
    edit = reverse("relations:cadence_rule_edit", args=[rule.pk])
    form = {"tier": "A", "channel": "sms", "every": "2", "unit": "month", "title": "x", "is_active": "on",
            "version": str(rule.version)}
    assert client.post(edit, form).status_code == 302
    assert client.post(edit, {**form, "every": "3"}).status_code == 422
    rule.refresh_from_db()
    assert (rule.every, rule.version) == (2, 2)
    # delete: a confirmation first, then the rule goes and its open tasks are cancelled (their history stays)
    cadence_run(as_of=DAY)
    tasks = Task.objects.filter(kind="cadence", source_id=rules[0].pk)
    assert tasks.filter(status="open").exists()
    confirm = client.get(reverse("relations:cadence_rule_delete", args=[rules[0].pk]))
    assert confirm.status_code == 200 and confirm.context["open_tasks"] == tasks.count()
    assert CadenceRule.objects.filter(pk=rules[0].pk).exists()
    assert client.post(reverse("relations:cadence_rule_delete", args=[rules[0].pk])).status_code == 302
    assert not CadenceRule.objects.filter(pk=rules[0].pk).exists()
    assert set(tasks.values_list("status", flat=True)) == {"cancelled"}
    assert client.get(reverse("relations:cadence_rule_edit", args=[rules[0].pk])).status_code == 404


def test_the_rules_page_shows_an_empty_state(client, users):
    client.force_login(users["administrator"])
    response = client.get(reverse("relations:cadence_rules"))
    assert response.status_code == 200 and not response.context["page"].object_list
    assert "还没有接触频率规则" in response.content.decode()  # the empty state, in the default language
