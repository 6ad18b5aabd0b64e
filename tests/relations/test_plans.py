"""Maintenance plans: drafting in scope, approval through kehu.work (who may approve what), actions becoming tasks,
rejection and resubmission with the history kept, budget figures, summary, timeline, pages and the 360 panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.models import Activity, Customer
from kehu.relations.models import ContactRecord, Gift, MaintenancePlan, PlanStatus
from kehu.relations.plans import services
from kehu.work.exceptions import RecordChangedError
from kehu.work.models import ApprovalDecision, Task
from kehu.work.services import approval_decide


@pytest.fixture
def make_plan(users, customers, today):
    def make(who: str = "account_manager", *, customer: str = "mine", budget: str = "8000", actions: int = 2,
             **extra):
        actor = users[who]
        plan = services.plan_create(
            actor=actor, title="王一年度维护方案", objective="提升满意度", measures="每月拜访一次",
            customers=[customers[customer]], budget=Decimal(budget), period_start=today,
            period_end=today + dt.timedelta(days=90), **extra)
        for index in range(actions):
            services.plan_action_add(actor=actor, plan=plan, title=f"拜访 {index + 1}",
                                     due_date=today + dt.timedelta(days=10 * (index + 1)), cost=Decimal("1000"))
        return MaintenancePlan.objects.get(pk=plan.pk)

    return make


def _decide(plan, who, users, approve=True, comment="同意"):
    plan.refresh_from_db()
    return approval_decide(actor=users[who], approval=plan.approval, approve=approve, comment=comment)


@pytest.mark.django_db
def test_approved_plan_turns_its_actions_into_tasks_and_goes_on_the_timeline(make_plan, users, customers):
    plan = make_plan()
    assert plan.status == PlanStatus.DRAFT and Task.objects.count() == 0
    services.plan_submit(actor=users["account_manager"], plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and plan.approval.amount == Decimal("8000.00")
    _decide(plan, "branch_manager", users)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    tasks = Task.objects.filter(kind="plan_action").order_by("due_date")
    assert [(task.title, task.owner, task.customer, task.source.plan_id) for task in tasks] == [
        ("拜访 1", users["account_manager"], customers["mine"], plan.pk),
        ("拜访 2", users["account_manager"], customers["mine"], plan.pk)]
    assert list(plan.actions.order_by("due_date").values_list("task_id", flat=True)) == [task.pk for task in tasks]
    kinds = list(Activity.objects.filter(customer=customers["mine"], kind="plan").order_by("id")
                 .values_list("data__action", flat=True))
    assert kinds == ["submitted", "approved"]


@pytest.mark.django_db
@pytest.mark.parametrize("who, budget, allowed", [
    ("branch_manager", "50000", True),  # the East manager, within the default authority
    ("branch_manager", "50000.01", False),  # above it
    ("administrator", "900000", True),  # no limit
    ("other_account_manager", "100", False),  # no authority at all
    ("auditor", "100", False),  # read only
])
def test_who_may_approve_what(make_plan, users, who, budget, allowed):
    plan = make_plan(budget=budget)
    services.plan_submit(actor=users["account_manager"], plan=plan)
    if allowed:
        _decide(plan, who, users)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.APPROVED
    else:
        with pytest.raises(PermissionDenied):
            _decide(plan, who, users)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.SUBMITTED and Task.objects.count() == 0


@pytest.mark.django_db
def test_the_submitter_cannot_approve_their_own_plan(make_plan, users, customers):
    plan = make_plan("branch_manager", customer="colleague")
    services.plan_submit(actor=users["branch_manager"], plan=plan)
    with pytest.raises(PermissionDenied):
        _decide(plan, "branch_manager", users)
    _decide(plan, "administrator", users)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


@pytest.mark.django_db
def test_rejection_needs_a_comment_and_a_rejected_plan_is_edited_and_resubmitted(make_plan, users):
    plan = make_plan(budget="20000")
    services.plan_submit(actor=users["account_manager"], plan=plan)
    with pytest.raises(ValidationError):
        _decide(plan, "branch_manager", users, approve=False, comment="")
    _decide(plan, "branch_manager", users, approve=False, comment="预算偏高")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REJECTED and Task.objects.count() == 0
    plan = services.plan_update(actor=users["account_manager"], plan=plan, expected_version=plan.version,
                                budget=Decimal("12000"))
    services.plan_submit(actor=users["account_manager"], plan=plan, comment="已压缩预算")
    _decide(plan, "branch_manager", users)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and Task.objects.filter(kind="plan_action").count() == 2
    history = list(ApprovalDecision.objects.filter(approval=plan.approval).order_by("occurred_at", "id")
                   .values_list("action", "comment", "amount"))
    assert history == [("submitted", "", Decimal("20000.00")), ("rejected", "预算偏高", Decimal("20000.00")),
                       ("submitted", "已压缩预算", Decimal("12000.00")), ("approved", "同意", Decimal("12000.00"))]


@pytest.mark.django_db
def test_only_a_draft_or_rejected_plan_changes_and_a_stale_version_is_refused(make_plan, users):
    plan = make_plan()
    stale = plan.version
    services.plan_update(actor=users["account_manager"], plan=plan, expected_version=stale, title="新标题")
    with pytest.raises(RecordChangedError):
        services.plan_update(actor=users["account_manager"], plan=plan, expected_version=stale, title="旧的")
    plan.refresh_from_db()
    services.plan_submit(actor=users["account_manager"], plan=plan)
    with pytest.raises(ValidationError):
        services.plan_update(actor=users["account_manager"], plan=plan, title="提交后修改")
    with pytest.raises(ValidationError):
        services.plan_action_add(actor=users["account_manager"], plan=plan, title="再加一项",
                                 due_date=plan.period_end)
    assert MaintenancePlan.objects.get(pk=plan.pk).title == "新标题"


@pytest.mark.django_db
def test_account_managers_plan_only_for_their_own_customers(users, customers, today):
    def create(who, customer):
        return services.plan_create(actor=users[who], title="方案", objective="目标", customers=[customers[customer]],
                                    budget=Decimal("1"), period_start=today, period_end=today)

    with pytest.raises(PermissionDenied):
        create("account_manager", "colleague")  # same branch, not theirs
    with pytest.raises(Customer.DoesNotExist):
        create("account_manager", "beijing")  # another branch: does not exist for them
    with pytest.raises(PermissionDenied):
        create("auditor", "mine")
    assert create("branch_manager", "colleague").branch == customers["colleague"].branch
    assert MaintenancePlan.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("changes, field", [
    ({"period_start": dt.date(9999, 1, 1)}, "period_start"),
    ({"period_end": dt.date(1, 1, 1)}, "period_end"),
    ({"budget": Decimal("1e20")}, "budget"),
    ({"budget": Decimal("-1")}, "budget"),
    ({"budget": Decimal("0.001")}, "budget"),
    ({"title": "a\x00b"}, "title"),
    ({"title": "x" * 201}, "title"),
])
def test_hostile_plan_values_are_refused(users, customers, today, changes, field):
    values = {"title": "方案", "objective": "目标", "budget": Decimal("100"), "period_start": today,
              "period_end": today, **changes}
    with pytest.raises(ValidationError) as raised:
        services.plan_create(actor=users["account_manager"], customers=[customers["mine"]], **values)
    assert field in raised.value.message_dict
    assert MaintenancePlan.objects.count() == 0


@pytest.mark.django_db
def test_budget_figures_add_events_gifts_and_actions(make_plan, users, customers, today):
    from kehu.relations.plans.selectors import plan_budget

    plan = make_plan(budget="7000", actions=2)  # two actions planned at 1,000 each
    services.plan_submit(actor=users["account_manager"], plan=plan)
    _decide(plan, "branch_manager", users)
    plan.refresh_from_db()
    first = plan.actions.order_by("due_date").first()
    services.plan_action_record_cost(actor=users["account_manager"], action=first, recorded_cost=Decimal("800"))
    services.event_create(actor=users["account_manager"], name="联谊会", date=today - dt.timedelta(days=1),
                          cost=Decimal("5000"), plan=plan)
    services.event_create(actor=users["account_manager"], name="新品发布会", date=today + dt.timedelta(days=20),
                          cost=Decimal("2000"), plan=plan)
    services.event_create(actor=users["account_manager"], name="无关活动", date=today, cost=Decimal("9999"))
    services.gift_give(actor=users["account_manager"], customer=customers["mine"], description="中秋礼盒",
                       cost=Decimal("300"), given_on=today, plan=plan)
    budget = plan_budget(plan=plan)
    assert (budget.spent, budget.committed) == (Decimal("6100.00"), Decimal("3000.00"))  # 5000+300+800; 2000+1000
    assert (budget.events, budget.gifts, budget.actions) == (Decimal("7000.00"), Decimal("300.00"),
                                                               Decimal("1800.00"))
    assert budget.over_budget and budget.overrun == Decimal("2100.00")

    summarised = services.plan_summarise(actor=users["account_manager"], plan=plan, results="续签合同",
                                         next_plan="明年继续")
    assert summarised.status == PlanStatus.SUMMARISED and summarised.cost_spent == Decimal("6100.00")
    assert Activity.objects.filter(kind="plan", data__action="summarised", customer=customers["mine"]).count() == 1
    gift = Gift.objects.get()
    assert gift.contact.channel == "gift" and gift.contact.customer == customers["mine"]
    assert Activity.objects.filter(kind="gift", subject_id=gift.pk).count() == 1


@pytest.mark.django_db
def test_gifts_only_under_a_running_plan_of_that_customer(make_plan, users, customers, today):
    plan = make_plan()
    with pytest.raises(ValidationError) as raised:  # a draft
        services.gift_give(actor=users["account_manager"], customer=customers["mine"], description="礼品",
                           cost=Decimal("1"), given_on=today, plan=plan)
    assert "plan" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:  # in the future
        services.gift_give(actor=users["account_manager"], customer=customers["mine"], description="礼品",
                           cost=Decimal("1"), given_on=today + dt.timedelta(days=2))
    assert "given_on" in raised.value.message_dict
    with pytest.raises(PermissionDenied):
        services.gift_give(actor=users["account_manager"], customer=customers["colleague"], description="礼品",
                           cost=Decimal("1"), given_on=today)
    assert Gift.objects.count() == 0 and ContactRecord.objects.count() == 0


# --- pages ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_pages_from_draft_to_summary(client, users, customers, today):
    client.force_login(users["account_manager"])
    assert "No maintenance plans yet" in client.get("/relations/plans/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post("/relations/plans/new/", {
        "title": "=1+1 年度方案", "customer_codes": customers["mine"].code, "objective": "提升满意度",
        "measures": "每月拜访", "budget": "6000", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=60)).isoformat()})
    assert response.status_code == 302, response.content.decode()
    plan = MaintenancePlan.objects.get()
    url = f"/relations/plans/{plan.pk}/"
    assert client.post(url + "actions/", {"title": "上门拜访", "due_date": today.isoformat(),
                                          "cost": "500"}).status_code == 302
    assert client.post(url + "submit/", {"version": str(plan.version + 1), "comment": ""}).status_code == 302
    client.force_login(users["branch_manager"])
    page = client.get(url).content.decode()
    assert 'id="decide"' in page and "=1+1 年度方案" in page
    assert client.post(url + "decide/", {"decision": "reject", "comment": ""}).status_code == 422
    assert client.post(url + "decide/", {"decision": "approve", "comment": "同意"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and Task.objects.filter(kind="plan_action").count() == 1
    client.force_login(users["account_manager"])
    assert client.post(url + "start/", {"version": str(plan.version)}).status_code == 302
    plan.refresh_from_db()
    assert client.post(url + "summary/", {"results": "效果良好", "version": str(plan.version - 1)}).status_code == 409
    assert client.post(url + "summary/", {"results": "效果良好", "version": str(plan.version)}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUMMARISED and plan.cost_spent == Decimal("0.00")
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已总结" in chinese and "效果良好" in chinese


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("bj_account_manager", 404), ("auditor", 200), ("other_account_manager", 200)])
def test_plan_scope_on_the_pages(client, make_plan, users, who, status):
    plan = make_plan()
    client.force_login(users[who])
    assert client.get(f"/relations/plans/{plan.pk}/").status_code == status
    edit = client.get(f"/relations/plans/{plan.pk}/edit/").status_code
    assert edit == (404 if status == 404 else 403)
    response = client.post(f"/relations/plans/{plan.pk}/submit/", {"comment": ""})
    assert response.status_code in (403, 404)
    assert MaintenancePlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


@pytest.mark.django_db
def test_plan_list_filters_and_a_fixed_number_of_queries(client, make_plan, users, customers,
                                                          django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["branch_manager"])
    make_plan()
    client.get("/relations/plans/")  # the session and the permissions, cached from now on
    with CaptureQueriesContext(connection) as few:
        assert client.get("/relations/plans/").status_code == 200
    for _index in range(6):
        make_plan("branch_manager", customer="colleague", actions=0)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/relations/plans/").content.decode()
    assert len(many) == len(few)
    assert page.count('href="/relations/plans/') >= 7
    filtered = client.get("/relations/plans/", {"owner": users["account_manager"].pk, "status": "draft"})
    assert filtered.content.decode().count("王一年度维护方案") == 1
    assert client.get("/relations/plans/", {"q": customers["colleague"].code}).content.decode().count(
        "王一年度维护方案") == 6
    assert "No plan matches" in client.get("/relations/plans/", {"status": "summarised"},
                                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert client.get("/relations/plans/", {"status": "nonsense"}).status_code == 400


@pytest.mark.django_db
def test_the_360_panel_shows_plans_events_and_gifts_with_fixed_queries(client, make_plan, users, customers, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.relations.plans.panels import PLANS_PANEL, plans_panel_load

    plan = make_plan(actions=0)
    manager = users["branch_manager"]
    ids = [customers["mine"].pk, customers["colleague"].pk]
    plans_panel_load(ids, manager, full=True)  # the manager's permissions and branches, cached on the user
    with CaptureQueriesContext(connection) as one:
        plans_panel_load(ids[:1], manager, full=True)
    event = services.event_create(actor=manager, name="客户联谊会", date=today, branch=customers["mine"].branch)
    services.event_invite(actor=manager, event=event, customers=[customers["mine"], customers["colleague"]])
    services.gift_give(actor=manager, customer=customers["colleague"], description="茶叶", cost=Decimal("200"),
                       given_on=today)
    with CaptureQueriesContext(connection) as two:
        data = plans_panel_load(ids, manager, full=True)
    assert len(one) == len(two) == PLANS_PANEL.queries
    assert [p.pk for p in data[ids[0]]["plans"]] == [plan.pk] and len(data[ids[1]]["gifts"]) == 1
    assert len(data[ids[0]]["events"]) == 1 and data[ids[0]]["may_give"]
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{customers['mine'].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="plans_events"' in page and "王一年度维护方案" in page and "客户联谊会" in page
    assert f"/relations/customers/{customers['mine'].pk}/gifts/new/" in page


@pytest.mark.django_db
def test_the_approvals_inbox_and_the_approval_page_link_to_the_plan(client, make_plan, users):
    plan = make_plan()
    services.plan_submit(actor=users["account_manager"], plan=plan)
    plan.refresh_from_db()
    link = f'href="/relations/plans/{plan.pk}/" data-subject-link'
    client.force_login(users["branch_manager"])
    assert link in client.get("/work/approvals/").content.decode()  # waiting for the manager's decision
    assert link in client.get(f"/work/approvals/{plan.approval.pk}/").content.decode()
    client.force_login(users["account_manager"])
    assert link in client.get("/work/approvals/").content.decode()  # among the submitter's requests
