"""The opportunity pages: the board (columns, totals, newest cards and "more", a move by htmx and by plain form,
a drop on the lost column goes to the reason form), list, new, edit, detail with stage history, won and lost, in
both languages; query counts; scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.sales.models import LossReason, Opportunity, StageChange
from kehu.sales.opportunities import selectors

pytestmark = pytest.mark.django_db


def test_board_shows_columns_totals_and_cards(client, users, make_opportunity, pipeline):
    make_opportunity(name="沙发采购")
    client.force_login(users["account_manager"])
    page = client.get("/sales/board/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("初步接洽", "需求确认", "方案报价", "谈判", "赢单", "输单"):
        assert name in text
    assert "沙发采购" in text and "1 deal · ¥6,000" in text and 'draggable="true"' in text
    assert f'data-drop-stage="{pipeline["谈判"].pk}"' in text and "sales/board.js" in text
    assert "商机看板" in client.get("/sales/board/", headers={"Accept-Language": "zh-Hans"}).content.decode()


def test_board_pages_each_column_and_more(client, users, make_opportunity, pipeline, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_PAGE", 2)
    for index in (3, 0, 4, 1, 2):  # created out of order: the column shows the soonest expected close first
        make_opportunity(name=f"机会{index}", close_in=index + 1)
    client.force_login(users["account_manager"])
    text = client.get("/sales/board/", headers={"Accept-Language": "en"}).content.decode()
    assert "机会0" in text and "机会1" in text and "机会2" not in text  # the first page of two
    assert "5 deals" in text  # the column's count from the grouped totals, not the cards shown
    stage = pipeline["初步接洽"].pk
    assert f"/sales/board/stages/{stage}/?offset=2" in text
    more = client.get(f"/sales/board/stages/{stage}/", {"offset": 2}).content.decode()
    assert "机会2" in more and "机会3" in more and "机会4" not in more and "offset=4" in more
    assert "机会0" not in more
    last = client.get(f"/sales/board/stages/{stage}/", {"offset": 4}).content.decode()
    assert "机会4" in last and "offset=" not in last
    assert client.get(f"/sales/board/stages/{stage}/", {"offset": "x"}).status_code == 200
    assert client.get("/sales/board/stages/999999/").status_code == 404


def test_move_by_htmx_and_by_form_with_history(client, users, make_opportunity, pipeline):
    opportunity = make_opportunity()
    client.force_login(users["account_manager"])
    response = client.post(f"/sales/opportunities/{opportunity.pk}/stage/",
                           {"stage": pipeline["方案报价"].pk, "version": 1}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="board"' in response.content.decode()
    assert Opportunity.objects.get(pk=opportunity.pk).stage == pipeline["方案报价"]
    plain = client.post(f"/sales/opportunities/{opportunity.pk}/stage/", {"stage": pipeline["谈判"].pk, "version": 2})
    assert plain.status_code == 302 and plain["Location"] == "/sales/board/"
    assert StageChange.objects.filter(opportunity=opportunity).count() == 3
    stale = client.post(f"/sales/opportunities/{opportunity.pk}/stage/", {"stage": pipeline["需求确认"].pk,
                                                                           "version": 1})
    assert stale.status_code == 302 and Opportunity.objects.get(pk=opportunity.pk).stage == pipeline["谈判"]
    lost = client.post(f"/sales/opportunities/{opportunity.pk}/stage/", {"stage": pipeline["输单"].pk},
                       headers={"HX-Request": "true"})
    assert lost.status_code == 204 and lost["HX-Redirect"].endswith(f"/sales/opportunities/{opportunity.pk}/#lose")
    assert client.post(f"/sales/opportunities/{opportunity.pk}/stage/", {"stage": "x"}).status_code == 422
    detail = client.get(f"/sales/opportunities/{opportunity.pk}/", headers={"Accept-Language": "en"})
    text = detail.content.decode()
    assert "Stage history" in text and text.count("<tr><td class=\"nowrap\">") == 3
    # someone else's deal: 404, and the auditor may not move it
    client.force_login(users["other_account_manager"])
    assert client.post(f"/sales/opportunities/{opportunity.pk}/stage/",
                       {"stage": pipeline["初步接洽"].pk}).status_code == 404
    client.force_login(users["auditor"])
    client.post(f"/sales/opportunities/{opportunity.pk}/stage/", {"stage": pipeline["初步接洽"].pk})
    assert Opportunity.objects.get(pk=opportunity.pk).stage == pipeline["谈判"]


def test_create_edit_won_lost_pages(client, users, customers, products, today):
    client.force_login(users["account_manager"])
    form = client.get(f"/sales/opportunities/new/?customer={customers['mine'].pk}")
    assert form.status_code == 200 and f'value="{customers["mine"].pk}"' in form.content.decode()
    data = {"name": "门店升级", "customer": customers["mine"].pk, "expected_close": today.isoformat(),
            "product_0": products["desk"].pk, "quantity_0": "2", "next_step": "报价"}
    response = client.post("/sales/opportunities/new/", data)
    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert opportunity.amount == 2400 and response["Location"] == f"/sales/opportunities/{opportunity.pk}/"
    bad = client.post("/sales/opportunities/new/", {**data, "expected_close": "0001-01-01", "customer": ""})
    assert bad.status_code == 422 and Opportunity.objects.count() == 1
    other = client.post("/sales/opportunities/new/", {**data, "customer": customers["beijing"].pk})
    assert other.status_code == 422
    edit = client.post(f"/sales/opportunities/{opportunity.pk}/edit/", {
        "name": "门店升级二期", "expected_close": today.isoformat(), "version": 1, "product_0": products["sofa"].pk,
        "quantity_0": "1", "committed": "on"})
    assert edit.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.name == "门店升级二期" and opportunity.amount == 3000 and opportunity.committed
    lost = client.post(f"/sales/opportunities/{opportunity.pk}/lost/", {"reason": "", "note": "x"})
    assert lost.status_code == 302 and Opportunity.objects.get(pk=opportunity.pk).status == "open"
    reason = LossReason.objects.first()
    client.post(f"/sales/opportunities/{opportunity.pk}/lost/", {"reason": reason.pk, "note": "太贵",
                                                                 "version": opportunity.version})
    opportunity.refresh_from_db()
    assert opportunity.status == "lost" and opportunity.loss_reason == reason
    assert client.get(f"/sales/opportunities/{opportunity.pk}/edit/").status_code == 403
    listed = client.get("/sales/opportunities/", {"status": "lost"}).content.decode()
    assert "门店升级二期" in listed
    second = client.post("/sales/opportunities/new/", {**data, "name": "第二单"})
    won = client.post(second["Location"].replace("/sales/opportunities/", "/sales/opportunities/") + "won/")
    assert won.status_code == 302 and Opportunity.objects.get(name="第二单").status == "won"


def test_empty_states_and_auditor(client, users):
    client.force_login(users["account_manager"])
    assert "No opportunities yet." in client.get("/sales/opportunities/",
                                                 headers={"Accept-Language": "en"}).content.decode()
    client.force_login(users["auditor"])
    assert client.get("/sales/board/").status_code == 200
    assert client.get("/sales/opportunities/new/").status_code == 403
    client.force_login(users["service_agent"])
    assert client.get("/sales/board/").status_code == 403


def test_board_and_list_queries_do_not_grow(client, users, make_opportunity):
    from kehu.org.models import User

    # an owner without a display name is shown by full name or user name: no query per card for either
    User.objects.filter(pk=users["account_manager"].pk).update(display_name="")
    client.force_login(users["administrator"])
    make_opportunity()
    make_opportunity("other_account_manager", customer="colleague")
    client.get("/sales/board/")
    client.get("/sales/opportunities/")
    with CaptureQueriesContext(connection) as few_board:
        client.get("/sales/board/")
    with CaptureQueriesContext(connection) as few_list:
        client.get("/sales/opportunities/")
    for index in range(6):
        make_opportunity(name=f"机会{index}")
    with CaptureQueriesContext(connection) as many_board:
        client.get("/sales/board/")
    with CaptureQueriesContext(connection) as many_list:
        client.get("/sales/opportunities/")
    def counted(queries):  # the session's idle clock may write the session row on any request: not the page's reads
        return len([query for query in queries.captured_queries if "django_session" not in query["sql"]])

    assert counted(many_board) == counted(few_board) and counted(many_list) == counted(few_list)


def test_customer_timeline_shows_opportunities(client, users, make_opportunity, customers):
    make_opportunity(name="年度采购")
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{customers['mine'].pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert "Opportunity 年度采购 created" in page
