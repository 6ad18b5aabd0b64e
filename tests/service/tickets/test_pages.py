"""The ticket pages in both languages: list (filters, search, empty states, query count), new ticket from a customer
and for an unknown caller, detail (replies and notes apart, registered sections, moves), edit/assign with the
version, merge and compensation, scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.service import hooks
from kehu.service.models import Compensation, Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def test_empty_list_and_menu_in_both_languages(client, users):
    client.force_login(users["service_agent"])
    page = client.get("/service/tickets/", headers={"Accept-Language": "en"}).content.decode()
    assert "No tickets yet." in page and 'href="/service/tickets/new/"' in page and ">Service<" in page
    page = client.get("/service/tickets/", headers={"Accept-Language": "zh-Hans"}).content.decode()
    assert "还没有工单" in page and "新建工单" in page


def test_new_ticket_from_a_customer_and_for_a_caller(client, users, customer, org, make_customer):
    client.force_login(users["service_agent"])
    form = client.get(f"/service/tickets/new/?customer={customer.pk}").content.decode()
    assert customer.name in form
    response = client.post("/service/tickets/new/", {"customer": customer.pk, "type": "complaint",
                                                      "channel": "wechat", "subject": "重复扣款"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/tickets/{ticket.pk}/"
    assert ticket.customer == customer and ticket.channel == "wechat"
    response = client.post("/service/tickets/new/", {"type": "inquiry", "channel": "phone", "subject": "营业时间",
                                                      "caller_phone": "13800138000"})
    assert response.status_code == 302 and Ticket.objects.count() == 2
    empty = client.post("/service/tickets/new/", {"type": "inquiry", "channel": "phone", "subject": "营业时间"},
                        headers={"Accept-Language": "en"})
    assert empty.status_code == 200 and "caller" in empty.content.decode() and Ticket.objects.count() == 2
    beijing = make_customer("北京客户", branch=org["bj1"])
    assert client.get(f"/service/tickets/new/?customer={beijing.pk}").status_code == 404
    assert client.get("/service/tickets/new/?customer=1%00").status_code in (400, 404)
    client.force_login(users["auditor"])
    assert client.get("/service/tickets/new/").status_code == 403


def test_list_filters_and_constant_query_count(client, users, make_ticket, team):
    client.force_login(users["branch_manager"])
    make_ticket("complaint", team=team, subject="退款未到账")
    client.get("/service/tickets/")  # the first request after the login writes the session
    with CaptureQueriesContext(connection) as few:
        assert client.get("/service/tickets/").status_code == 200
    for index in range(8):
        make_ticket("inquiry", team=team, subject=f"咨询{index}", assignee=users["service_agent"])
    with CaptureQueriesContext(connection) as many:
        page = client.get("/service/tickets/").content.decode()
    assert len(many) == len(few) and "退款未到账" in page and "咨询7" in page
    page = client.get("/service/tickets/?type=complaint").content.decode()
    assert "退款未到账" in page and "咨询7" not in page
    page = client.get("/service/tickets/?q=退款").content.decode()
    assert "退款未到账" in page and "咨询1" not in page
    page = client.get(f"/service/tickets/?team={team.pk}&open=on&status=received").content.decode()
    assert "咨询3" in page
    assert client.get("/service/tickets/?status=bogus&team=x&page=99999").status_code == 200
    client.force_login(users["service_agent"])
    page = client.get("/service/tickets/?mine=on").content.decode()
    assert "咨询3" in page and "退款未到账" not in page


def test_detail_keeps_notes_apart_and_shows_registered_sections(client, users, make_ticket):
    from kehu.service.services import ticket_message_add

    ticket = make_ticket("complaint")
    ticket_message_add(ticket=ticket, kind="reply", body="回复客户的话", author=users["service_agent"])
    ticket_message_add(ticket=ticket, kind="note", body="只给同事看的备注", author=users["service_agent"])
    section = hooks.TicketSection("test", "测试区块", 10, "service/tickets/_section_text.html",
                                  lambda ticket, user: {"text": "SECTION-RENDERED"})
    client.force_login(users["branch_manager"])
    with hooks.ticket_sections.temporarily("test", section):
        page = client.get(f"/service/tickets/{ticket.pk}/", headers={"Accept-Language": "en"}).content.decode()
    conversation = page[page.index('id="conversation"'):page.index('id="internal-notes"')]
    notes = page[page.index('id="internal-notes"'):]
    assert "回复客户的话" in conversation and "只给同事看的备注" not in conversation
    assert "只给同事看的备注" in notes and "SECTION-RENDERED" in page
    assert 'data-move="accepted"' in page and 'data-move="closed"' not in page
    response = client.post(f"/service/tickets/{ticket.pk}/messages/", {"kind": "note", "body": "第二条备注"})
    assert response.status_code == 302 and TicketMessage.objects.filter(kind="note").count() == 2
    client.force_login(users["auditor"])
    page = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert "data-move=" not in page
    assert client.post(f"/service/tickets/{ticket.pk}/messages/", {"kind": "note", "body": "x"}).status_code == 403


def test_edit_and_assign_with_the_version(client, users, make_ticket, team):
    ticket = make_ticket("inquiry", team=team)
    client.force_login(users["branch_manager"])
    assert client.get(f"/service/tickets/{ticket.pk}/edit/").status_code == 200
    data = {"subject": "新主题", "priority": 3, "team": team.pk, "assignee": users["service_agent"].pk,
            "version": ticket.version, "category": ""}
    assert client.post(f"/service/tickets/{ticket.pk}/edit/", data).status_code == 302
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.subject, after.priority, after.assignee) == ("新主题", 3, users["service_agent"])
    stale = client.post(f"/service/tickets/{ticket.pk}/edit/", {**data, "subject": "再改"},
                        headers={"Accept-Language": "en"})
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).subject == "新主题"


def test_merge_and_compensation_from_the_page(client, users, make_ticket):
    keep, duplicate = make_ticket("complaint"), make_ticket("complaint")
    client.force_login(users["branch_manager"])
    response = client.post(f"/service/tickets/{keep.pk}/merge/", {"duplicate": duplicate.number})
    assert response.status_code == 302 and Ticket.objects.get(pk=duplicate.pk).status == "merged"
    page = client.get(f"/service/tickets/{duplicate.pk}/").content.decode()
    assert keep.number in page and "data-move=" not in page
    assert client.post(f"/service/tickets/{keep.pk}/merge/", {"duplicate": "T99999999"}).status_code == 303
    response = client.post(f"/service/tickets/{keep.pk}/compensation/", {"kind": "gift", "cost": "120.00",
                                                                          "description": "致歉礼品"})
    assert response.status_code == 302 and Compensation.objects.get().cost == 120
    assert client.post(f"/service/tickets/{keep.pk}/compensation/", {"kind": "gift", "cost": "-5"}
                       ).status_code == 303 and Compensation.objects.count() == 1


def test_scope_on_pages(client, users, make_ticket, org, make_customer):
    ticket = make_ticket("inquiry", actor=users["administrator"])
    client.force_login(users["service_agent"])
    assert client.get(f"/service/tickets/{ticket.pk}/").status_code == 404
    client.force_login(users["bj_account_manager"])
    assert client.get(f"/service/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/service/tickets/{ticket.pk}/transition/", {"to": "accepted", "version": 1}
                       ).status_code == 404
