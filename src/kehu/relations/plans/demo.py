"""Demo data of maintenance plans, events and gifts: a believable year dated relative to today, written in bulk.

Each account manager gets plans for a few of their key and potential customers: summarised plans from earlier
quarters, plans in progress, one approved lately, one waiting for approval, a draft, and one rejected once and then
approved after it was resubmitted (its history keeps both decisions). Each region holds events (联谊会, 客户俱乐部,
新品发布会) with invitees and attendance; key customers receive gifts at the festivals. A registered demo step
(order 110, after the contacts)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

PLAN_TITLES = ["%s年度关系维护方案", "%s季度维护方案", "%s大客户维护方案", "%s客户关怀计划"]
OBJECTIVES = ["提升客户满意度，保持长期稳定合作", "扩大合作份额，争取年度框架协议", "挽回流失风险，恢复采购频次",
              "深化高层关系，推动新产品试用"]
MEASURES = ["每周电话回访一次；每月发送问候短信；每季度上门拜访；节日赠送礼品",
            "邀请参加客户联谊会和新品发布会；定期提供行业资讯；安排技术培训",
            "高层互访；建立专属服务小组；优先处理投诉和需求"]
ACTIONS = [("上门拜访，了解年度需求", 800), ("邀请参加客户联谊会", 1500), ("中秋节赠送礼盒", 600),
           ("组织技术培训", 2000), ("季度回顾会议", 500), ("高层互访", 3000)]
RESULTS = ["客户满意度明显提升，续签年度合同", "采购额同比增长约两成，关系稳定", "客户反馈良好，计划下季度继续跟进"]
NEXT = ["下一阶段重点推动新品试用", "维持现有维护频率，增加高层互访", "关注竞争对手动态，加强服务响应"]
EVENTS = [("客户联谊会", "gathering", "上海国际会议中心"), ("客户俱乐部品鉴会", "club", "公司会所"),
          ("新品发布会", "launch", "企业展厅"), ("年终答谢会", "gathering", "滨江酒店宴会厅")]
GIFTS = [("中秋礼盒", "festival", 300), ("新年台历", "festival", 80), ("生日鲜花", "birthday", 200),
         ("合作纪念品", "anniversary", 500), ("茶叶礼盒", "thanks", 400)]


def load_plans_demo(*, customers: list[Any], users: dict[str, Any], seed: int,
                    today: dt.date | None = None) -> tuple[int, int, int]:
    """Plans, events and gifts for the demo customers; returns (plans, events, gifts)."""
    from django.contrib.auth.models import Group

    from kehu.customers.timeline import activity_record_bulk
    from kehu.org.models import Branch, User
    from kehu.org.roles import Role
    from kehu.work.models import Approval, ApprovalDecision, Task
    from kehu.work.services import task_bulk_create

    from ..models import (
        ContactRecord,
        Event,
        EventInvitee,
        Gift,
        MaintenancePlan,
        PlanAction,
        PlanCustomer,
        PlanStatus,
    )

    rng = random.Random(seed * 104729 + 7)
    day = today or timezone.localdate()
    now = timezone.now()
    zone = timezone.get_current_timezone()
    by_pk = {user.pk: user for user in users.values()}
    roles: dict[int, set[str]] = defaultdict(set)
    for user_id, name in Group.user_set.through.objects.filter(user_id__in=list(by_pk)).values_list(
            "user_id", "group__name"):
        roles[user_id].add(name)
    branch_of_user = dict(User.branches.through.objects.filter(user_id__in=list(by_pk))
                          .values_list("user_id", "branch_id"))
    paths = dict(Branch.objects.values_list("pk", "path"))
    admin = next((user for user in by_pk.values() if Role.ADMINISTRATOR in roles[user.pk]), None)
    managers = [user for user in by_pk.values() if Role.BRANCH_MANAGER in roles[user.pk]
                and branch_of_user.get(user.pk)]

    def approver_for(branch_id: int, amount: Decimal) -> Any:
        if amount <= Decimal(50000):
            path = paths.get(branch_id, "")
            for manager in managers:
                if path.startswith(paths.get(branch_of_user[manager.pk], "\0")):
                    return manager
        return admin

    def at(date: dt.date, hour: int) -> dt.datetime:
        return min(dt.datetime.combine(date, dt.time(hour, rng.choice((0, 15, 30, 45))), zone), now)

    by_owner: dict[int, list[Any]] = defaultdict(list)
    for customer in customers:
        if customer.owner_id in by_pk and customer.management_class in ("key", "potential"):
            by_owner[customer.owner_id].append(customer)

    plan_type = ContentType.objects.get_for_model(MaintenancePlan)
    plans: list[MaintenancePlan] = []
    links: list[tuple[MaintenancePlan, list[Any]]] = []
    history: list[tuple[MaintenancePlan, list[tuple[str, Any, dt.datetime, str]]]] = []
    # (status, months ago it started, months it lasts) of each account manager's plans
    shapes = [("summarised", 12, 3), ("summarised", 9, 3), ("summarised", 6, 3), ("in_progress", 3, 6),
              ("in_progress", 1, 3), ("resubmitted", 2, 6), ("approved", 0, 3), ("submitted", 0, 3), ("draft", -1, 3)]
    for owner_id, own in sorted(by_owner.items()):
        owner = by_pk[owner_id]
        rng.shuffle(own)
        for index, (shape, months_ago, months) in enumerate(shapes):
            group = own[index % len(own):index % len(own) + (1 if rng.random() < 0.7 else 3)] or own[:1]
            start = day - dt.timedelta(days=30 * months_ago + rng.randint(0, 10))
            end = start + dt.timedelta(days=30 * months)
            budget = Decimal(rng.choice([3000, 5000, 8000, 12000, 20000, 30000, 60000]))
            name = group[0].name if len(group) == 1 else f"{group[0].name}等{len(group)}户"
            status = {"resubmitted": PlanStatus.IN_PROGRESS}.get(shape, shape)
            plan = MaintenancePlan(
                title=rng.choice(PLAN_TITLES) % name, objective=rng.choice(OBJECTIVES), measures=rng.choice(MEASURES),
                owner=owner, branch_id=group[0].branch_id, budget=budget, period_start=start, period_end=end,
                status=status, created_by=owner, version=3 if shape == "resubmitted" else 2)
            steps: list[tuple[str, Any, dt.datetime, str]] = []
            if shape != "draft":
                submitted = at(start - dt.timedelta(days=rng.randint(5, 12)), 10)
                approver = approver_for(plan.branch_id, budget)
                if shape == "resubmitted":
                    steps += [("submitted", owner, submitted, ""),
                              ("rejected", approver, submitted + dt.timedelta(days=1),
                               "预算偏高，请压缩礼品费用后重新提交"),
                              ("submitted", owner, submitted + dt.timedelta(days=3), "已调整预算")]
                    plan.budget = budget = (budget * Decimal("0.8")).quantize(Decimal("1"))
                    steps.append(("approved", approver, submitted + dt.timedelta(days=4), "同意"))
                else:
                    steps.append(("submitted", owner, submitted, ""))
                    if shape != "submitted":
                        steps.append(("approved", approver, submitted + dt.timedelta(days=2), "同意，按方案执行"))
            if shape == "summarised":
                plan.results = rng.choice(RESULTS)
                plan.next_plan = rng.choice(NEXT)
                plan.summarised_at = at(end + dt.timedelta(days=3), 16)
                plan.summarised_by = owner
            plans.append(plan)
            links.append((plan, group))
            history.append((plan, steps))
    MaintenancePlan.objects.bulk_create(plans, batch_size=1000)
    PlanCustomer.objects.bulk_create([PlanCustomer(plan=plan, customer=customer)
                                      for plan, group in links for customer in group], batch_size=2000)

    approvals: list[Approval] = []
    for plan, steps in history:
        if not steps:
            continue
        last = steps[-1]
        decided = last[0] in ("approved", "rejected")
        first_submit = [step for step in steps if step[0] == "submitted"][-1]
        approvals.append(Approval(
            kind="maintenance_plan", subject_type=plan_type, subject_id=plan.pk, title=plan.title,
            branch_id=plan.branch_id, amount=plan.budget,
            status=Approval.Status.APPROVED if last[0] == "approved" else Approval.Status.PENDING,
            submitted_by=plan.owner, submitted_at=first_submit[2], decided_by=last[1] if decided else None,
            decided_at=last[2] if decided else None, comment=last[3] if decided else "",
            version=len(steps)))
    Approval.objects.bulk_create(approvals, batch_size=1000)
    approval_of = {approval.subject_id: approval for approval in approvals}
    decisions, activities = [], []
    for plan, steps in history:
        approval = approval_of.get(plan.pk)
        if approval is None:
            continue
        plan.approval = approval
        for step, actor, when, comment in steps:
            decisions.append(ApprovalDecision(approval=approval, action=step, actor=actor, amount=plan.budget,
                                              comment=comment, occurred_at=when))
    ApprovalDecision.objects.bulk_create(decisions, batch_size=2000)
    MaintenancePlan.objects.bulk_update([plan for plan, _steps in history if plan.approval_id], ["approval"],
                                        batch_size=1000)
    for (plan, steps), (_plan, group) in zip(history, links, strict=True):
        timeline = list(steps)
        if plan.status == PlanStatus.SUMMARISED:
            timeline.append(("summarised", plan.owner, plan.summarised_at or now, plan.results))
        for step, actor, when, comment in timeline:
            for customer in group:
                activities.append({"customer_id": customer.pk, "kind": "plan", "occurred_at": when,
                                   "actor_id": actor.pk if actor else None, "branch_id": customer.branch_id,
                                   "subject_type": "relations.maintenanceplan", "subject_id": plan.pk,
                                   "data": {"action": step, "title": plan.title, "budget": str(plan.budget),
                                            "by": str(actor) if actor else "", "comment": comment}})

    # actions: two to four per plan; approved plans' actions are tasks (done when past)
    actions: list[PlanAction] = []
    for plan, group in links:
        span = max((plan.period_end - plan.period_start).days, 1)
        for title, cost in rng.sample(ACTIONS, rng.randint(2, 4)):
            due = plan.period_start + dt.timedelta(days=rng.randint(0, span))
            actions.append(PlanAction(plan=plan, title=title, due_date=due, cost=Decimal(cost),
                                      customer=rng.choice(group), owner=plan.owner,
                                      recorded_cost=(Decimal(cost) * Decimal(rng.choice(["0.8", "1", "1.1"])))
                                      .quantize(Decimal("1")) if due < day and plan.status in (
                                          PlanStatus.SUMMARISED, PlanStatus.IN_PROGRESS) else None))
    PlanAction.objects.bulk_create(actions, batch_size=2000)
    action_type = ContentType.objects.get_for_model(PlanAction)
    tasks: list[Task] = []
    for action in actions:
        if action.plan.status in (PlanStatus.DRAFT, PlanStatus.SUBMITTED):
            continue
        done = action.due_date < day
        approved_at = action.plan.approval.decided_at if action.plan.approval else now
        branch_id = action.customer.branch_id if action.customer else None
        tasks.append(Task(kind="plan_action", title=action.title, customer_id=action.customer_id,
                          branch_id=branch_id, owner=action.owner, due_date=action.due_date,
                          status=Task.Status.DONE if done else Task.Status.OPEN, outcome="已完成" if done else "",
                          completed_at=at(action.due_date, 17) if done else None,
                          completed_by=action.owner if done else None, source_type=action_type,
                          source_id=action.pk, created_at=approved_at or now))
    task_bulk_create(tasks=tasks)
    by_action = {task.source_id: task for task in tasks}
    for action in actions:
        action.task = by_action.get(action.pk)
    PlanAction.objects.bulk_update([action for action in actions if action.task], ["task"], batch_size=2000)

    # events: four a year per region (the branch of the first plan's customers there), invitees among its customers
    running = [plan for plan in plans if plan.status in (PlanStatus.IN_PROGRESS, PlanStatus.SUMMARISED)]
    by_branch: dict[int, list[Any]] = defaultdict(list)
    for customer in customers:
        if customer.management_class in ("key", "potential", "regular"):
            by_branch[customer.branch_id].append(customer)
    events: list[Event] = []
    guest_lists: list[list[Any]] = []
    for branch_id, guests in sorted(by_branch.items()):
        for quarter in range(4):
            name, kind, place = EVENTS[(quarter + branch_id) % len(EVENTS)]
            date = day - dt.timedelta(days=300 - 90 * quarter + rng.randint(-10, 10))
            event_plan = next((p for p in running if p.branch_id == branch_id and p.period_start <= date
                               <= p.period_end), None)
            organiser = rng.choice(guests).owner_id
            events.append(Event(name=f"{date.year}年{name}", kind=kind, date=date, place=place, branch_id=branch_id,
                                organiser_id=organiser if organiser in by_pk else None,
                                cost=Decimal(rng.choice([5000, 8000, 12000, 20000])), plan=event_plan))
            guest_lists.append(rng.sample(guests, min(len(guests), rng.randint(8, 25))))
    Event.objects.bulk_create(events, batch_size=1000)
    invitees: list[EventInvitee] = []
    contacts: list[ContactRecord] = []
    for event, guests in zip(events, guest_lists, strict=True):
        held = event.date <= day
        for customer in guests:
            answer = rng.choices(["accepted", "declined", "invited"], [70, 20, 10])[0]
            came = held and answer == "accepted" and rng.random() < 0.85
            invitee = EventInvitee(event=event, customer=customer, status=answer, attended=came,
                                   invited_by_id=event.organiser_id)
            invitees.append(invitee)
            if came:
                contacts.append(ContactRecord(customer=customer, branch_id=customer.branch_id,
                                              staff_id=customer.owner_id, channel="event", direction="outbound",
                                              occurred_at=at(event.date, 18), summary=f"参加{event.name}",
                                              created_by_id=customer.owner_id))
    ContactRecord.objects.bulk_create(contacts, batch_size=2000)
    attended = iter(contacts)
    for invitee in invitees:
        if invitee.attended:
            record = next(attended)
            invitee.contact = record
            activities.append({"customer_id": record.customer_id, "kind": "event", "occurred_at": record.occurred_at,
                               "actor_id": record.created_by_id, "branch_id": record.branch_id,
                               "subject_type": "relations.event", "subject_id": invitee.event.pk,
                               "data": {"action": "attended", "name": invitee.event.name,
                                        "event_kind": invitee.event.kind, "place": invitee.event.place,
                                        "date": invitee.event.date.isoformat()}})
    EventInvitee.objects.bulk_create(invitees, batch_size=2000)

    # gifts: key customers at the festivals (under their running plan when there is one)
    plan_of_customer = {customer.pk: plan for plan, group in links if plan in running for customer in group}
    gifts: list[Gift] = []
    gift_contacts: list[ContactRecord] = []
    for customer in customers:
        if customer.management_class != "key" or customer.owner_id not in by_pk:
            continue
        for _index in range(rng.randint(1, 3)):
            description, occasion, cost = rng.choice(GIFTS)
            given = day - dt.timedelta(days=rng.randint(5, 360))
            gift_plan = plan_of_customer.get(customer.pk)
            if gift_plan is not None and not gift_plan.period_start <= given <= min(gift_plan.period_end, day):
                gift_plan = None
            gift_contacts.append(ContactRecord(customer=customer, branch_id=customer.branch_id,
                                               staff_id=customer.owner_id, channel="gift", direction="outbound",
                                               occurred_at=at(given, 12), summary=description,
                                               created_by_id=customer.owner_id))
            gifts.append(Gift(customer=customer, branch_id=customer.branch_id, description=description,
                              cost=Decimal(cost), given_on=given, occasion=occasion, plan=gift_plan,
                              given_by_id=customer.owner_id))
    ContactRecord.objects.bulk_create(gift_contacts, batch_size=2000)
    for gift, record in zip(gifts, gift_contacts, strict=True):
        gift.contact = record
    Gift.objects.bulk_create(gifts, batch_size=2000)
    for gift, record in zip(gifts, gift_contacts, strict=True):
        activities.append({"customer_id": gift.customer_id, "kind": "gift", "occurred_at": record.occurred_at,
                           "actor_id": record.created_by_id, "branch_id": gift.branch_id,
                           "subject_type": "relations.gift", "subject_id": gift.pk,
                           "data": {"description": gift.description, "cost": str(gift.cost),
                                    "occasion": gift.occasion, "plan": gift.plan.title if gift.plan else ""}})
    activity_record_bulk(activities, batch_size=2000)
    return len(plans), len(events), len(gifts)
