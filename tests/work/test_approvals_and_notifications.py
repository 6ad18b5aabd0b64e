"""Approvals (submit, decide with authority and amount, history, the module's hook) and notifications (inbox,
unread count in the header, mark read, e-mail where chosen, the daily "tasks due")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.org.roles import Role
from kehu.work.models import Approval, ApprovalAuthority, Notification, NotificationSetting
from kehu.work.registry import ApprovalKind, approval_kinds

decided: list[tuple[int, str]] = []


def _on_decided(*, approval, action):
    decided.append((approval.pk, action))


@pytest.fixture
def plan_kind():
    """A registered approval kind as a module would register it: branch managers up to 5,000, administrators any."""
    decided.clear()
    kind = ApprovalKind("test_plan", "Test plan", default_authority={Role.BRANCH_MANAGER: Decimal("5000"),
                                                                     Role.ADMINISTRATOR: None},
                        on_decided=_on_decided)
    with approval_kinds.temporarily(kind.key, kind):
        yield kind


@pytest.fixture
def submit(users, customers):
    from kehu.work.services import approval_submit

    def run(amount: str | None = "3000", who: str = "account_manager"):
        customer = customers["mine"]
        return approval_submit(actor=users[who], kind="test_plan", subject=customer, title="年度维护方案",
                               amount=Decimal(amount) if amount else None, customer=customer)

    return run


@pytest.mark.django_db
def test_branch_manager_approves_within_authority_and_the_history_is_kept(api_as, users, plan_kind, submit):
    approval = submit("3000")
    told = set(Notification.objects.filter(kind="approval_waiting").values_list("recipient__username", flat=True))
    assert told == {"manager1", "admin1"}  # the East manager and the administrator; not the submitter or Beijing
    assert api_as("branch_manager").get("/api/approvals", waiting=True).json()["count"] == 1
    assert api_as("account_manager").get("/api/approvals", waiting=True).json()["count"] == 0

    response = api_as("branch_manager").post(f"/api/approvals/{approval.pk}/decision",
                                             {"approve": True, "comment": "同意", "version": approval.version})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert [(step["action"], step["actor"]["username"]) for step in body["decisions"]] == [
        ("submitted", "am1"), ("approved", "manager1")]
    assert decided == [(approval.pk, "approved")]
    assert Notification.objects.filter(recipient=users["account_manager"], kind="approval_decided").exists()


@pytest.mark.django_db
def test_amount_over_the_authority_needs_a_higher_approver(api_as, users, plan_kind, submit):
    approval = submit("8000")
    refused = api_as("branch_manager").post(f"/api/approvals/{approval.pk}/decision", {"approve": True})
    assert refused.status_code == 403
    assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING
    # an authority row raises this manager's limit for this kind
    ApprovalAuthority.objects.create(kind="test_plan", user=users["branch_manager"], max_amount=Decimal("10000"))
    assert api_as("branch_manager").post(f"/api/approvals/{approval.pk}/decision",
                                         {"approve": True}).status_code == 200
    assert decided == [(approval.pk, "approved")]


@pytest.mark.django_db
def test_no_self_approval_no_auditor_and_no_other_branch(api_as, users, make_user, org, plan_kind, submit):
    approval = submit("100", who="branch_manager")
    assert api_as("branch_manager").post(f"/api/approvals/{approval.pk}/decision",
                                         {"approve": True}).status_code == 403
    assert api_as("auditor").post(f"/api/approvals/{approval.pk}/decision", {"approve": True}).status_code == 403
    north_manager = make_user("branch_manager", org["north"], username="northmanager")
    assert api_as(north_manager).post(f"/api/approvals/{approval.pk}/decision",
                                      {"approve": True}).status_code == 404
    assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING
    assert decided == []


@pytest.mark.django_db
def test_rejection_needs_a_comment_and_may_be_submitted_again(client, users, plan_kind, submit):
    approval = submit("1000")
    client.force_login(users["branch_manager"])
    page = client.get(f"/work/approvals/{approval.pk}/")
    assert page.status_code == 200 and page.context["may_decide"]
    missing = client.post(f"/work/approvals/{approval.pk}/", {"decision": "reject", "comment": ""})
    assert missing.status_code == 422
    assert client.post(f"/work/approvals/{approval.pk}/", {"decision": "reject", "comment": "预算过高",
                                                           "version": approval.version}).status_code == 302
    approval.refresh_from_db()
    assert (approval.status, approval.comment) == (Approval.Status.REJECTED, "预算过高")
    again = submit("800")
    assert again.pk == approval.pk and again.status == Approval.Status.PENDING
    assert list(again.decisions.values_list("action", flat=True)) == ["submitted", "rejected", "submitted"]
    with pytest.raises(ValidationError) as refused:  # waiting already: not submitted twice
        submit("800")
    assert list(refused.value.message_dict) == ["status"]


@pytest.mark.django_db
def test_unread_count_in_the_header_and_mark_read(client, users, make_task):
    make_task("account_manager", actor=users["branch_manager"], title="经理交办")
    client.force_login(users["account_manager"])
    page = client.get("/").content.decode()
    assert 'data-unread="1"' in page
    inbox = client.get("/work/inbox/")
    assert "经理交办" in inbox.content.decode()
    notification = Notification.objects.get(recipient=users["account_manager"])
    # someone else's id marks nothing
    client.force_login(users["other_account_manager"])
    client.post("/work/inbox/read/", {"id": notification.pk})
    assert Notification.objects.get(pk=notification.pk).read_at is None
    client.force_login(users["account_manager"])
    response = client.post("/work/inbox/read/", {"id": notification.pk, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/work/inbox/"
    assert 'data-unread' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_email_is_sent_only_to_users_who_chose_it(client, users, make_task, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    client.force_login(users["account_manager"])
    client.post("/work/inbox/settings/", {"email": ["task_assigned", "not-a-kind"]})
    assert NotificationSetting.objects.get(user=users["account_manager"], kind="task_assigned").by_email
    users["account_manager"].email = "am1@example.com"
    users["account_manager"].save()
    users["other_account_manager"].email = "am2@example.com"
    users["other_account_manager"].save()
    with django_capture_on_commit_callbacks(execute=True):
        make_task("account_manager", actor=users["branch_manager"], title="发邮件的任务")
        make_task("other_account_manager", actor=users["branch_manager"], title="不发邮件")
    assert [message.to for message in mailoutbox] == [["am1@example.com"]]
    assert "发邮件的任务" in mailoutbox[0].subject
    assert Notification.objects.get(recipient=users["account_manager"]).emailed_at is not None


@pytest.mark.django_db
def test_tasks_due_notification_is_sent_once_a_day(users, make_task, today):
    from kehu.work.services import tasks_due_notify

    make_task("account_manager", days=0)
    make_task("account_manager", days=-2)
    make_task("other_account_manager", days=5)
    assert tasks_due_notify(as_of=today) == 1
    assert tasks_due_notify(as_of=today) == 0
    message = Notification.objects.get(kind="tasks_due")
    assert message.recipient == users["account_manager"]
    assert "1" in message.title and message.dedupe_key == f"tasks-due:{today.isoformat()}"


@pytest.mark.django_db
def test_notifications_api(api_as, users, make_task):
    make_task("account_manager", actor=users["branch_manager"])
    api = api_as("account_manager")
    body = api.get("/api/notifications").json()
    assert (body["count"], body["unread"]) == (1, 1)
    assert api.post("/api/notifications/read", {"ids": [body["items"][0]["id"]]}).json() == {"marked": 1}
    assert api.get("/api/notifications", unread=True).json()["count"] == 0
    assert api.post("/api/notifications/read", {"ids": [2**70]}).status_code == 422


@pytest.mark.django_db
def test_approvals_waiting_costs_the_same_for_one_or_many(api_as, users, make_customer, plan_kind):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.work.services import approval_submit

    def submit_one(number: int) -> None:
        customer = make_customer(f"客户{number}", owner=users["account_manager"])
        approval_submit(actor=users["account_manager"], kind="test_plan", subject=customer, title=f"方案{number}",
                        amount=Decimal("100"), customer=customer)

    api = api_as("branch_manager")
    submit_one(0)
    api.get("/api/approvals", waiting=True)
    with CaptureQueriesContext(connection) as one:
        assert api.get("/api/approvals", waiting=True).json()["count"] == 1
    for number in range(1, 6):
        submit_one(number)
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/approvals", waiting=True).json()["count"] == 6
    assert len(many.captured_queries) == len(one.captured_queries)
