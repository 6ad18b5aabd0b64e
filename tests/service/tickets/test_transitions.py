"""Every allowed and every forbidden transition of both workflows, through the API and through the pages."""

from __future__ import annotations

import pytest

from kehu.service import workflow
from kehu.service.models import Ticket, TicketStatus, TicketStatusChange

pytestmark = pytest.mark.django_db

STATUSES = [s for s in TicketStatus.values]
COMPLAINT_ALLOWED = {
    ("received", "accepted"), ("accepted", "investigating"), ("investigating", "resolved"),
    ("resolved", "confirmed"), ("confirmed", "closed"), ("closed", "reviewed"),
    ("resolved", "investigating"), ("confirmed", "investigating"), ("closed", "investigating"),
}
OTHER_ALLOWED = {("received", "accepted"), ("accepted", "resolved"), ("resolved", "closed"),
                 ("resolved", "accepted"), ("closed", "accepted")}
OTHER_STATUSES = ["received", "accepted", "resolved", "closed", "merged"]


STARTS = [("complaint", status) for status in STATUSES] + [("inquiry", status) for status in OTHER_STATUSES]


def _allowed(ticket_type: str) -> set[tuple[str, str]]:
    return COMPLAINT_ALLOWED if ticket_type == "complaint" else OTHER_ALLOWED


def test_the_table_in_the_code_is_the_one_the_issue_describes():
    for ticket_type, allowed, statuses in (("complaint", COMPLAINT_ALLOWED, STATUSES),
                                           ("praise", OTHER_ALLOWED, OTHER_STATUSES)):
        found = {(a, b) for a in statuses for b in STATUSES if workflow.refusal(ticket_type, a, b) is None}
        assert found == allowed


@pytest.mark.parametrize(("ticket_type", "start"), STARTS)
def test_every_transition_through_the_api(api_as, make_ticket, ticket_type, start):
    """From ``start``, each of the eight statuses as the target, on a fresh ticket each."""
    api = api_as("branch_manager")
    for to in STATUSES:
        allowed = (start, to) in _allowed(ticket_type)
        ticket = make_ticket(ticket_type, start)
        response = api.post(f"/api/tickets/{ticket.pk}/transition", {"to": to, "comment": "测试"})
        after = Ticket.objects.get(pk=ticket.pk)
        if allowed:
            assert response.status_code == 200, (to, response.content)
            assert response.json()["status"] == to and after.status == to and after.version == ticket.version + 1
            change = TicketStatusChange.objects.filter(ticket=ticket).latest("created_at", "pk")
            assert (change.from_status, change.to_status, change.comment) == (start, to, "测试")
            reopen = to in ("investigating", "accepted") and start in ("resolved", "confirmed", "closed")
            assert after.reopened == (1 if reopen else 0)
        else:
            assert response.status_code == 409, (to, response.content)
            body = response.json()["error"]
            assert body["code"] == "transition_refused" and body["message"]
            assert after.status == start and after.version == ticket.version


@pytest.mark.parametrize(("ticket_type", "start"), STARTS)
def test_every_transition_through_the_page(client, users, make_ticket, ticket_type, start):
    client.force_login(users["branch_manager"])
    for to in STATUSES:
        allowed = (start, to) in _allowed(ticket_type)
        ticket = make_ticket(ticket_type, start)
        page = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
        assert (f'data-move="{to}"' in page) == allowed, to
        response = client.post(f"/service/tickets/{ticket.pk}/transition/",
                               {"to": to, "version": ticket.version, "comment": ""},
                               headers={"Accept-Language": "en"})
        after = Ticket.objects.get(pk=ticket.pk)
        if allowed:
            assert response.status_code == 302 and after.status == to, to
        else:
            assert response.status_code == 409 and after.status == start, to
            assert "data-refusal" in response.content.decode()


def test_the_refusal_is_in_the_users_language(api_as, make_ticket):
    ticket = make_ticket("complaint", "received")
    body = api_as("branch_manager", "zh-Hans").post(f"/api/tickets/{ticket.pk}/transition", {"to": "closed"}).json()
    assert body["error"]["code"] == "transition_refused"
    assert "不能" in body["error"]["message"]
    english = api_as("branch_manager").post(f"/api/tickets/{ticket.pk}/transition", {"to": "closed"}).json()
    assert "cannot go from" in english["error"]["message"]


def test_only_reviewers_review_and_only_complaints(api_as, make_ticket, users, team):
    ticket = make_ticket("complaint", "closed", team=team)
    agent = api_as("service_agent")
    assert agent.post(f"/api/tickets/{ticket.pk}/transition", {"to": "reviewed"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert api_as("branch_manager").post(f"/api/tickets/{ticket.pk}/transition",
                                         {"to": "reviewed"}).status_code == 200
    inquiry = make_ticket("inquiry", "closed")
    response = api_as("branch_manager").post(f"/api/tickets/{inquiry.pk}/transition", {"to": "reviewed"})
    assert response.status_code == 409 and "Only complaints" in response.json()["error"]["message"]


def test_a_stale_version_is_refused(api_as, make_ticket):
    ticket = make_ticket("complaint")
    api = api_as("branch_manager")
    assert api.post(f"/api/tickets/{ticket.pk}/transition", {"to": "accepted", "version": 1}).status_code == 200
    stale = api.post(f"/api/tickets/{ticket.pk}/transition", {"to": "investigating", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 2
    assert Ticket.objects.get(pk=ticket.pk).status == "accepted"


def test_a_stale_version_says_the_ticket_changed_in_both_languages(api_as, make_ticket):
    ticket = make_ticket("complaint")
    assert api_as("branch_manager").post(f"/api/tickets/{ticket.pk}/transition", {"to": "accepted"}).status_code == 200
    messages = {}
    for language in ("en", "zh-hans"):
        stale = api_as("branch_manager", language).post(f"/api/tickets/{ticket.pk}/assign",
                                                        {"assignee_id": None, "version": 1})
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
        messages[language] = stale.json()["error"]["message"]
    assert "ticket was changed by someone else" in messages["en"] and "customer" not in messages["en"]
    assert "工单" in messages["zh-hans"] and "客户" not in messages["zh-hans"]


def test_the_full_complaint_path_with_a_reopen_writes_history_timeline_and_hooks(api_as, make_ticket):
    from kehu.customers.models import Activity
    from kehu.service import hooks

    ticket = make_ticket("complaint")
    seen = []
    api = api_as("branch_manager")
    with hooks.ticket_listeners.temporarily("seen", lambda **kw: seen.append((kw["event"], kw["from_status"]))):
        for to in ["accepted", "investigating", "resolved", "investigating", "resolved", "confirmed", "closed",
                   "reviewed"]:
            assert api.post(f"/api/tickets/{ticket.pk}/transition", {"to": to}).status_code == 200, to
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.status == "reviewed" and after.reopened == 1 and after.closed_at and after.resolved_at
    assert [e for e, _f in seen] == ["status"] * 8 and seen[0][1] == "received"
    assert TicketStatusChange.objects.filter(ticket=ticket).count() == 9
    rows = Activity.objects.filter(customer_id=ticket.customer_id, kind="ticket")
    assert rows.count() == 9 and {r.data["event"] for r in rows} == {"created", "status"}
