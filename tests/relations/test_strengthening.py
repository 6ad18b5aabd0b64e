"""The relationship strengthening table of organisations: API (scope, 409 on a stale version, hostile input), the
360 panel and its pages (confirmation before removing)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.relations.models import StrengtheningRow

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def company(make_customer, users):
    from kehu.customers.services import contact_create

    customer = make_customer("华东机械有限公司", kind="organisation", owner=users["account_manager"])
    contact = contact_create(actor=users["administrator"], customer=customer, name="李总", role="general_manager",
                             title="总经理")
    customer.gm = contact  # type: ignore[attr-defined]
    return customer


@pytest.fixture
def beijing_company(make_customer, users, org):
    return make_customer("北方贸易有限公司", kind="organisation", branch=org["bj1"],
                         owner=users["bj_account_manager"])


def _row(company, users, **changes):
    body = {"customer_id": company.pk, "our_level": "general_manager", "our_staff_id": users["branch_manager"].pk,
            "our_title": "区域总经理", "their_contact_id": getattr(company, "gm", None) and company.gm.pk,
            "strength": 2, "competitor": "某竞争银行",
            "competitor_strength": 4, "measures": "每季度高层互访", "schedule": "每季度", "due_date": "2026-12-31",
            "owner_id": users["account_manager"].pk}
    body.update(changes)
    return body


@pytest.mark.django_db
def test_add_change_and_remove_rows_through_the_api_with_a_version(api_as, users, company):
    api = api_as("account_manager")
    response = api.post("/api/strengthening", _row(company, users))
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["their_contact"]["name"] == "李总" and row["our_staff"]["id"] == users["branch_manager"].pk
    assert row["version"] == 1 and row["strength"] == 2
    changed = api.patch(f"/api/strengthening/{row['id']}", {"version": 1, "strength": 3, "measures": "月度走访"})
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["strength"] == 3
    stale = api.patch(f"/api/strengthening/{row['id']}", {"version": 1, "strength": 5})
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 2
    assert StrengtheningRow.objects.get().strength == 3
    assert api.delete(f"/api/strengthening/{row['id']}?version=1").status_code == 409
    listed = api.get("/api/strengthening", customer_id=company.pk).json()
    assert listed["count"] == 1
    assert api.delete(f"/api/strengthening/{row['id']}?version=2").status_code == 204
    assert not StrengtheningRow.objects.exists()


@pytest.mark.django_db
def test_scope_other_branch_is_404_and_readers_may_not_write(api_as, users, company, beijing_company):
    row = api_as("account_manager").post("/api/strengthening", _row(company, users)).json()
    bj = api_as("bj_account_manager")
    assert bj.get(f"/api/strengthening/{row['id']}").status_code == 404
    assert bj.get("/api/strengthening", customer_id=company.pk).status_code == 404
    assert bj.patch(f"/api/strengthening/{row['id']}", {"version": 1, "strength": 0}).status_code == 404
    assert bj.delete(f"/api/strengthening/{row['id']}").status_code == 404
    auditor = api_as("auditor")
    assert auditor.get(f"/api/strengthening/{row['id']}").status_code == 200
    assert auditor.patch(f"/api/strengthening/{row['id']}", {"version": 1, "strength": 0}).status_code == 403
    assert api_as("other_account_manager").post("/api/strengthening", _row(company, users)).status_code == 403
    # the other branch's contact or staff cannot be paired
    foreign = api_as("account_manager").post("/api/strengthening", _row(
        company, users, owner_id=users["bj_account_manager"].pk))
    assert foreign.status_code == 422 and "owner_id" in foreign.json()["error"]["fields"]
    mine = api_as("administrator").post("/api/strengthening", _row(beijing_company, users,
                                                                   their_contact_id=company.gm.pk))
    assert mine.status_code == 422 and "their_contact_id" in mine.json()["error"]["fields"]
    assert StrengtheningRow.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    {"strength": 6}, {"strength": -1}, {"competitor_strength": 2**40}, {"due_date": "0001-01-01"},
    {"due_date": "9999-12-31"}, {"measures": "x" * 2001}, {"our_level": "king"}, {"customer_id": 2**63},
    {"their_contact_id": None, "their_name": ""}, {"our_staff_id": None, "our_name": "  "}, {"notes": "\x00"},
])
def test_hostile_input_answers_4xx(api_as, users, company, change):
    response = api_as("account_manager").post("/api/strengthening", _row(company, users, **change))
    assert 400 <= response.status_code < 500, response.content
    assert not StrengtheningRow.objects.exists()


@pytest.mark.django_db
def test_only_organisations_have_a_table(api_as, users, customers, company):
    response = api_as("account_manager").post("/api/strengthening", _row(
        company, users, customer_id=customers["mine"].pk, their_contact_id=None, their_name="王太太"))
    assert response.status_code == 422


@pytest.mark.django_db
def test_the_panel_edits_on_the_organisations_page_with_confirmation(client, users, company):
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{company.pk}/", headers=ENGLISH).content.decode()
    add = f"/relations/customers/{company.pk}/strengthening/new/"
    assert 'id="strengthening"' in page and add in page
    data = {"our_level": "deputy", "our_staff": "", "our_name": "张副总", "our_title": "副总经理",
            "their_contact": "", "their_name": "王部长", "their_title": "采购部长", "strength": "1", "competitor": "",
            "competitor_strength": "", "measures": "安排技术交流", "schedule": "下月", "due_date": "",
            "owner": users["account_manager"].pk, "notes": ""}
    assert client.post(add, data).status_code == 302
    row = StrengtheningRow.objects.get()
    page = client.get(f"/customers/{company.pk}/", headers=ENGLISH).content.decode()
    assert "张副总" in page and "王部长" in page
    edit = f"/relations/strengthening/{row.pk}/"
    assert client.post(edit, {**data, "strength": "3", "version": "1"}).status_code == 302
    stale = client.post(edit, {**data, "strength": "5", "version": "1"}, headers=ENGLISH)
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    remove = f"/relations/strengthening/{row.pk}/remove/"
    confirm = client.get(remove, headers=ENGLISH)
    assert confirm.status_code == 200 and "Remove the pairing" in confirm.content.decode()
    assert StrengtheningRow.objects.exists()  # asking is not removing
    assert client.post(remove, {"version": "2"}).status_code == 302
    assert not StrengtheningRow.objects.exists()
    client.force_login(users["auditor"])
    assert add not in client.get(f"/customers/{company.pk}/").content.decode()
    assert client.get(add).status_code == 403


@pytest.mark.django_db
def test_the_panel_loader_reads_its_declared_number_of_queries(api_as, users, company):
    from kehu.relations.strengthening.panels import STRENGTHENING_PANEL

    for level in ("general_manager", "deputy", "department_head"):
        api_as("account_manager").post("/api/strengthening", _row(company, users, our_level=level))
    user = users["account_manager"]
    STRENGTHENING_PANEL.loader([company.pk], user, full=True)
    with CaptureQueriesContext(connection) as queries:
        data = STRENGTHENING_PANEL.loader([company.pk], user, full=True)
    assert len(queries.captured_queries) == STRENGTHENING_PANEL.queries
    assert len(data[company.pk]["rows"]) == 3 and data[company.pk]["may_edit"]


@pytest.mark.django_db
def test_rows_added_changed_and_removed_appear_on_the_customer_timeline(api_as, users, company):
    api = api_as("account_manager")
    row = api.post("/api/strengthening", _row(company, users)).json()
    assert api.patch(f"/api/strengthening/{row['id']}", {"version": 1, "strength": 4}).status_code == 200
    assert api.delete(f"/api/strengthening/{row['id']}?version=2").status_code == 204
    timeline = api.get(f"/api/customers/{company.pk}/timeline", headers=ENGLISH).json()
    items = [item for item in timeline["items"] if item["kind"] == "strengthening"]
    assert [item["data"]["action"] for item in items] == ["removed", "changed", "added"]
    assert [item["data"]["strength"] for item in items] == [4, 4, 2]
    assert items[0]["title"].startswith("Strengthening row removed") and "李总" in items[0]["title"]
    assert items[2]["actor"]["id"] == users["account_manager"].pk
    assert {item["subject"]["type"] for item in items} == {"relations.strengtheningrow"}


@pytest.mark.django_db
def test_a_refused_change_writes_nothing_on_the_timeline(api_as, users, company):
    from kehu.customers.models import Activity

    api = api_as("account_manager")
    assert api.post("/api/strengthening", _row(company, users, our_staff_id=None, our_name="")).status_code == 422
    assert not Activity.objects.filter(kind="strengthening").exists()
