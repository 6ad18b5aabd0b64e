"""Demo data of tickets: two service teams per region (the demo's ``agent`` in each), categories, and a believable
year of tickets over the demo's customers, with messages, status history and the customers' timelines. A registered
demo step (order 130), written in bulk."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

CATEGORIES = [("账单与收费", 1), ("配送与物流", 0), ("产品质量", 1), ("售后维修", 0), ("会员与积分", 0),
              ("门店服务", 0), ("食品安全", 2)]
SUBJECTS = {
    "inquiry": ["会员积分如何兑换", "门店营业时间咨询", "发票开具流程", "产品保修期限", "储值卡余额查询"],
    "complaint": ["送货延迟三天未到", "收到的商品有破损", "店员服务态度差", "重复扣款", "维修后问题依旧",
                  "退款迟迟未到账"],
    "suggestion": ["建议延长周末营业时间", "希望增加线上预约", "建议会员日增加折扣"],
    "praise": ["表扬门店店员耐心周到", "感谢维修师傅上门及时"],
    "service_request": ["预约上门安装", "申请更换会员卡", "修改收货地址", "申请开具增值税发票"],
}
REPLIES = ["您好，已收到您的反馈，我们正在处理。", "非常抱歉给您带来不便，已安排专人跟进。",
           "问题已处理完毕，请您确认。"]
NOTES = ["已联系门店核实情况。", "物流单号已查询，仓库漏发。", "客户为高价值客户，优先处理。"]
TYPE_WEIGHTS = [("inquiry", 35), ("complaint", 22), ("suggestion", 10), ("praise", 8), ("service_request", 25)]
CHANNELS = [("phone", 40), ("counter", 15), ("email", 10), ("web", 12), ("sms", 5), ("wechat", 18)]


def _path(ticket_type: str, age: int, rng: random.Random) -> list[str]:
    """The statuses a ticket went through, the older the further along."""
    full = (["received", "accepted", "investigating", "resolved", "confirmed", "closed", "reviewed"]
            if ticket_type == "complaint" else ["received", "accepted", "resolved", "closed"])
    if age > 30:
        reach = len(full) - (0 if rng.random() < 0.6 else 1)
    else:
        reach = rng.randint(1, len(full) - 1) if age > 2 else rng.randint(1, 2)
    return full[:reach]


def load_tickets_demo(*, customers: list[Any], users: dict[str, Any], seed: int,
                      today: dt.date | None = None) -> int:
    """About four tickets a day over the past year. Returns the number of tickets."""
    from kehu.customers.models import CustomerTier
    from kehu.customers.timeline import activity_record_bulk
    from kehu.org.models import Branch

    from .models import ServiceTeam, Ticket, TicketCategory, TicketMessage, TicketStatusChange
    from .services import primary_tier_codes, raised, tier_priority

    if not customers:
        return 0
    rng = random.Random(seed * 7919 + 130)
    day = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    now = timezone.now()
    agent = users.get("agent")
    categories = []
    for name, raise_by in CATEGORIES:
        category, _created = TicketCategory.objects.get_or_create(name=name, defaults={"priority_raise": raise_by})
        categories.append(category)
    parents = dict(Branch.objects.values_list("pk", "parent_id"))
    region_of = {pk: parent or pk for pk, parent in parents.items()}
    codes = primary_tier_codes()
    tiers = dict(CustomerTier.objects.filter(customer_id__in=[c.pk for c in customers]).values_list("customer_id",
                                                                                                    "tier"))
    region_ids = sorted({region_of[c.branch_id] for c in customers if c.branch_id in region_of})
    teams_by_region: dict[int, list[ServiceTeam]] = {}
    for region in Branch.objects.filter(pk__in=region_ids):
        teams = []
        for label in ("客服热线组", "投诉处理组"):
            team, _created = ServiceTeam.objects.get_or_create(name=f"{region.name}{label}", branch=region)
            if agent is not None:
                team.members.add(agent)
            teams.append(team)
        teams_by_region[region.pk] = teams
    types = [name for name, _w in TYPE_WEIGHTS]
    type_weights = [w for _n, w in TYPE_WEIGHTS]
    channels = [name for name, _w in CHANNELS]
    channel_weights = [w for _n, w in CHANNELS]
    tickets: list[Ticket] = []
    plans: list[tuple[list[tuple[str, dt.datetime]], str]] = []
    for age in range(365, -1, -1):
        for _index in range(rng.choice((2, 3, 4, 5, 6))):
            created = dt.datetime.combine(day - dt.timedelta(days=age),
                                          dt.time(rng.randint(8, 20), rng.randint(0, 59)), zone)
            if created >= now:
                continue
            customer = rng.choice(customers)
            ticket_type = rng.choices(types, type_weights)[0]
            category = rng.choice(categories)
            choices: list[Any] = teams_by_region.get(region_of.get(customer.branch_id, 0)) or [None]
            team = choices[1] if ticket_type == "complaint" and len(choices) > 1 else choices[0]
            path, moment, steps = _path(ticket_type, age, rng), created, []
            for status in path:
                steps.append((status, moment))
                moment = min(moment + dt.timedelta(hours=rng.randint(1, 72)), now)
            status = path[-1]
            resolved = next((m for s, m in steps if s == "resolved"), None)
            closed = next((m for s, m in steps if s == "closed"), None)
            tickets.append(Ticket(
                type=ticket_type, channel=rng.choices(channels, channel_weights)[0],
                customer=customer,
                category=category, status=status,
                priority=raised(tier_priority(tiers.get(customer.pk), codes), category),
                team=team, assignee=agent if status != "received" else None, branch_id=customer.branch_id,
                subject=rng.choice(SUBJECTS[ticket_type]), description=rng.choice(SUBJECTS[ticket_type]),
                created_by=agent, created_at=created, updated_at=steps[-1][1],
                first_response_at=steps[1][1] if len(steps) > 1 else None, resolved_at=resolved, closed_at=closed))
            plans.append((steps, ticket_type))
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    changes, messages, activities = [], [], []
    for ticket, (steps, _ticket_type) in zip(tickets, plans, strict=True):
        previous = ""
        for status, moment in steps:
            changes.append(TicketStatusChange(ticket_id=ticket.pk, from_status=previous, to_status=status,
                                              actor=agent, created_at=moment))
            activities.append({"customer_id": ticket.customer_id, "kind": "ticket", "occurred_at": moment,
                               "actor_id": getattr(agent, "pk", None), "branch_id": ticket.branch_id,
                               "data": {"event": "created" if not previous else "status", "number": ticket.number,
                                        "subject": ticket.subject, "type": ticket.type, "from_status": previous,
                                        "to_status": status}})
            previous = status
        messages.append(TicketMessage(ticket_id=ticket.pk, kind="inbound", body=ticket.description,
                                      created_at=ticket.created_at))
        if ticket.first_response_at:
            messages.append(TicketMessage(ticket_id=ticket.pk, kind="reply", body=rng.choice(REPLIES),
                                          author=agent, created_at=ticket.first_response_at))
            if rng.random() < 0.4:
                messages.append(TicketMessage(ticket_id=ticket.pk, kind="note", body=rng.choice(NOTES),
                                              author=agent, created_at=ticket.first_response_at))
    TicketStatusChange.objects.bulk_create(changes, batch_size=2000)
    TicketMessage.objects.bulk_create(messages, batch_size=2000)
    activity_record_bulk(activities)
    return len(tickets)
