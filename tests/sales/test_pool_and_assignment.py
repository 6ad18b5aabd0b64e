"""Assignment (round-robin with caps, by a manager), the shared pool (the scheduled return, idempotent; claims with a
cap; two claimers of one lead: one wins) and the hand-over of a leaving member's leads."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from kehu.cli import main as kehu
from kehu.sales import services
from kehu.sales.models import AssignmentRule, Lead, LeadEvent
from kehu.work.models import Notification

pytestmark = pytest.mark.django_db


def _lead(actor, mobile: str, **extra) -> Lead:
    return services.lead_create(actor=actor, name=extra.pop("name", "李雷"), mobile=mobile, **extra)


def test_round_robin_is_fair_and_skips_people_at_their_cap(users, org, make_user):
    am1, am2 = users["account_manager"], users["other_account_manager"]
    am3 = make_user("account_manager", org["sh1"], username="am3")
    manager = users["branch_manager"]
    AssignmentRule.objects.create(branch=org["sh1"], cap=3)
    owners = [_lead(manager, f"1391234560{index}", branch=org["sh1"]).owner for index in range(6)]
    assert owners == [am1, am2, am3, am1, am2, am3]
    # am1 now holds 3 (at the cap): the next ones go to the others
    _lead(am1, "13912345699")  # am1's own lead: am1 holds 3
    owners = [_lead(manager, f"1371234560{index}", branch=org["sh1"]).owner for index in range(2)]
    assert owners == [am2, am3]
    # everyone at the cap: the lead goes to the pool
    lead = _lead(manager, "13612345600", branch=org["sh1"])
    assert lead.owner is None and lead.pooled_at is not None
    assert Notification.objects.filter(recipient=am2, kind="lead_assigned").count() == 3


def test_rule_members_limit_the_round_robin(users, org):
    rule = AssignmentRule.objects.create(branch=org["sh1"], cap=10)
    rule.members.set([users["other_account_manager"]])
    owners = {_lead(users["branch_manager"], f"1391234560{index}", branch=org["sh1"]).owner for index in range(3)}
    assert owners == {users["other_account_manager"]}


def test_a_manager_assigns_and_returns_a_lead_to_the_pool(api_as, users):
    lead = _lead(users["account_manager"], "13912345678")
    manager = api_as("branch_manager")
    response = manager.post(f"/api/leads/{lead.pk}/assign", {"owner_id": users["other_account_manager"].pk})
    assert response.status_code == 200 and response.json()["owner"]["id"] == users["other_account_manager"].pk
    assert Notification.objects.filter(recipient=users["other_account_manager"], kind="lead_assigned").exists()
    assert api_as("account_manager").post(f"/api/leads/{lead.pk}/assign",
                                          {"owner_id": users["account_manager"].pk}).status_code == 404  # not theirs
    assert manager.post(f"/api/leads/{lead.pk}/assign",
                        {"owner_id": users["bj_account_manager"].pk}).status_code == 422  # not in their scope
    response = manager.post(f"/api/leads/{lead.pk}/assign", {"owner_id": None})
    assert response.status_code == 200 and response.json()["owner"] is None


def test_idle_leads_return_to_the_pool_and_a_second_run_changes_nothing(users, org):
    am = users["account_manager"]
    old, fresh, worked, done = (_lead(am, f"1391234560{index}") for index in range(4))
    long_ago = timezone.now() - dt.timedelta(days=40)
    Lead.objects.filter(pk__in=[old.pk, worked.pk, done.pk]).update(worked_at=long_ago)
    services.lead_contact_log(actor=am, lead=worked, channel="phone", summary="还在跟进")  # restarts its clock
    Lead.objects.filter(pk=done.pk).update(status="converted")
    assert services.leads_return_to_pool() == 1
    assert Lead.objects.get(pk=old.pk).owner is None
    assert {lead.owner_id for lead in Lead.objects.exclude(pk=old.pk)} == {am.pk}
    events = LeadEvent.objects.filter(kind="pooled")
    assert [(event.lead_id, event.data["days"]) for event in events] == [(old.pk, 30)]
    # again: nothing more
    assert services.leads_return_to_pool() == 0
    assert LeadEvent.objects.filter(kind="pooled").count() == 1
    assert fresh.pk


def test_pool_days_follow_the_branch_rule_and_the_command_takes_as_of(users, org, capsys, monkeypatch):
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # run_from_argv would end the test's transaction
    AssignmentRule.objects.create(branch=org["sh1"], pool_days=7)
    am = users["account_manager"]
    lead = _lead(am, "13912345678")
    assert kehu(["leads-return-to-pool", "--as-of", (timezone.localdate() + dt.timedelta(days=5)).isoformat()]) == 0
    assert Lead.objects.get(pk=lead.pk).owner_id == am.pk
    assert kehu(["leads-return-to-pool", "--as-of", (timezone.localdate() + dt.timedelta(days=8)).isoformat()]) == 0
    assert Lead.objects.get(pk=lead.pk).owner_id is None
    assert "leads returned to the pool: 1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        kehu(["leads-return-to-pool", "--as-of", "9999-12-31"])
    with pytest.raises(SystemExit):
        kehu(["leads-return-to-pool", "--as-of", "soon"])


def test_the_celery_task_returns_idle_leads(users):
    from kehu.sales.tasks import leads_return_to_pool_task

    lead = _lead(users["account_manager"], "13912345678")
    Lead.objects.filter(pk=lead.pk).update(worked_at=timezone.now() - dt.timedelta(days=31))
    assert leads_return_to_pool_task.apply().get() == 1
    assert leads_return_to_pool_task.apply().get() == 0


def _pooled(users, mobile="13912345678") -> Lead:
    lead = _lead(users["account_manager"], mobile)
    services.lead_assign(actor=users["branch_manager"], lead=lead, owner=None)
    return Lead.objects.get(pk=lead.pk)


def test_claiming_from_the_pool_and_losing_a_race_answers_409(api_as, users):
    lead = _pooled(users)
    colleague = api_as("other_account_manager")
    pool = colleague.get("/api/leads", pool=True).json()
    assert [item["id"] for item in pool["items"]] == [lead.pk]
    won = colleague.post(f"/api/leads/{lead.pk}/claim")
    assert won.status_code == 200 and won.json()["owner"]["id"] == users["other_account_manager"].pk
    late = api_as("branch_manager").post(f"/api/leads/{lead.pk}/claim")
    assert late.status_code == 409 and late.json()["error"]["code"] == "already_claimed"
    assert api_as("bj_account_manager").post(f"/api/leads/{lead.pk}/claim").status_code == 404
    assert api_as("auditor").post(f"/api/leads/{lead.pk}/claim").status_code == 403


def test_claims_stop_at_the_cap(api_as, users, org):
    AssignmentRule.objects.create(branch=org["sh1"], claim_cap=1)
    first, second = _pooled(users, "13912345601"), _pooled(users, "13912345602")
    api = api_as("other_account_manager")
    assert api.post(f"/api/leads/{first.pk}/claim").status_code == 200
    capped = api.post(f"/api/leads/{second.pk}/claim")
    assert capped.status_code == 409 and capped.json()["error"]["code"] == "claim_cap"
    assert Lead.objects.get(pk=second.pk).owner is None


@pytest.mark.django_db(transaction=True)
def test_two_claimers_of_one_lead_one_wins_on_postgresql(users):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    lead = _pooled(users)
    claimers = [users["account_manager"], users["other_account_manager"], users["branch_manager"]]
    barrier = threading.Barrier(len(claimers))
    results: list[str] = []

    def claim(user) -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.lead_claim(actor=user, lead=lead)
            results.append("won")
        except services.LeadConflictError as error:
            results.append(error.code)
        except Exception as error:  # noqa: BLE001 - shown in the assertion below
            results.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(user,)) for user in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_claimed", "already_claimed", "won"]
    assert LeadEvent.objects.filter(lead=lead, kind="claimed").count() == 1


def test_staff_leaves_hand_over_moves_every_open_lead(users):
    am, successor = users["account_manager"], users["other_account_manager"]
    open_leads = [_lead(am, f"1391234560{index}") for index in range(3)]
    closed = _lead(am, "13912345699")
    services.lead_transition(actor=am, lead=closed, status="disqualified", reason="no_need")
    assert services.leads_hand_over(actor=users["branch_manager"], from_owner=am, to_owner=successor) == 3
    assert {lead.owner_id for lead in Lead.objects.filter(pk__in=[lead.pk for lead in open_leads])} == {successor.pk}
    assert Lead.objects.get(pk=closed.pk).owner_id == am.pk
    assert LeadEvent.objects.filter(kind="assigned", data__reason="hand_over").count() == 3
    with pytest.raises(PermissionDenied):  # a seller may not hand over
        services.leads_hand_over(actor=am, from_owner=successor, to_owner=am)


def test_one_action_hands_over_leads_customers_and_tasks_recorded(client, users, make_customer, today):
    from kehu.customers.models import Customer, OwnershipTransfer
    from kehu.sales.models import HandOver
    from kehu.work.models import Task
    from kehu.work.services import task_create

    am, successor, manager = users["account_manager"], users["other_account_manager"], users["branch_manager"]
    leads = [_lead(am, f"1391234560{index}") for index in range(2)]
    customer = make_customer("王一", owner=am)
    task = task_create(actor=am, owner=am, title="回访", due_date=today, customer=customer)
    client.force_login(manager)
    form = {"leaving": am.pk, "leads_to": successor.pk, "customers_to": "", "tasks_to": "", "reason": "离职"}
    page = client.post("/sales/hand-over/", form, headers={"Accept-Language": "en"}).content.decode()
    assert ("This moves 2 open leads and 0 open opportunities (to the leads' successor), 1 customers and 1 open "
            "tasks.") in page
    assert Lead.objects.filter(owner=am).count() == 2  # nothing moved before the confirmation
    assert client.post("/sales/hand-over/", {**form, "confirm": "1"}).status_code == 302
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("owner", flat=True)) == {
        successor.pk}
    assert Customer.objects.get(pk=customer.pk).owner == successor
    assert OwnershipTransfer.objects.filter(customer=customer, reason="离职").exists()
    assert Task.objects.get(pk=task.pk).owner == successor
    record = HandOver.objects.get()
    assert (sorted(record.lead_ids), record.customer_ids, record.task_ids) == (
        sorted(lead.pk for lead in leads), [customer.pk], [task.pk])
    assert "离职" in client.get("/sales/hand-over/").content.decode()
    client.force_login(am)
    assert client.get("/sales/hand-over/").status_code == 403


def test_least_loaded_rule_gives_new_leads_to_whoever_holds_fewest(users, org):
    am1, am2 = users["account_manager"], users["other_account_manager"]
    AssignmentRule.objects.create(branch=org["sh1"], cap=10, strategy="least_loaded")
    for index in range(3):
        _lead(am1, f"1381234560{index}")  # am1 holds 3 of their own
    owners = [_lead(users["branch_manager"], f"1391234560{index}", branch=org["sh1"]).owner for index in range(4)]
    assert owners == [am2, am2, am2, am1]  # am2 catches up to 3, then the tie goes round-robin
