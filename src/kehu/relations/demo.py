"""Demo data of relationship maintenance: a believable year of contacts and the open tasks of today, dated relative
to today. A registered demo step (``kehu.core.registry.register_demo_step``), run after the customers and purchases,
written in bulk (a few INSERTs per 2,000 rows)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

# contacts per year by management class (key customers are called weekly-ish, temporary ones rarely)
PER_YEAR = {"key": (10, 18), "potential": (4, 8), "regular": (1, 4), "temporary": (0, 1), "": (0, 2)}
CHANNEL_WEIGHTS = [("phone", 45), ("sms", 15), ("visit", 14), ("email", 8), ("meeting", 6), ("letter", 4),
                   ("event", 4), ("gift", 4)]
SUMMARIES = {
    "phone": ["电话回访，了解近期使用情况", "电话确认订单交付时间", "节前电话问候", "电话沟通续约意向",
              "客户来电咨询新产品"],
    "sms": ["发送节日问候短信", "短信通知会员积分到账", "短信提醒账单到期"],
    "visit": ["上门拜访，介绍新品方案", "走访客户门店，了解经营情况", "拜访客户负责人，商谈年度合作"],
    "email": ["邮件发送报价单", "邮件发送产品手册", "邮件确认合同条款"],
    "meeting": ["参加客户年度采购会议", "与客户召开季度回顾会", "邀请客户来公司座谈"],
    "letter": ["寄送新年贺卡", "寄送感谢信", "寄送生日明信片"],
    "event": ["邀请参加客户联谊会", "客户俱乐部品鉴活动", "参加新品发布会"],
    "gift": ["赠送中秋礼盒", "赠送生日礼品", "赠送新年台历"],
}
FEEDBACK = ["", "", "满意，希望保持联系", "对价格较敏感", "关注交货周期", "希望增加培训", "对服务表示认可", "暂无需求"]
NEXT_STEPS = {"phone": "再次电话跟进", "visit": "上门回访", "email": "确认报价反馈", "meeting": "整理会议纪要并回访"}
OPEN_TASK_TITLES = [("call", "电话回访"), ("visit", "季度拜访"), ("message", "发送节日问候"), ("follow_up", "跟进报价"),
                    ("email", "寄送产品资料")]


def load_relations_demo(*, customers: list[Any], users: dict[str, Any], seed: int,
                        today: dt.date | None = None) -> tuple[int, int]:
    """Contacts of the past year and open tasks (some overdue, some today, most in the coming two weeks) for the
    demo customers; returns (contacts, tasks)."""
    from kehu.work.models import Task
    from kehu.work.services import task_bulk_create

    from .models import ContactRecord
    from .services import contact_bulk_create

    rng = random.Random(seed * 7919 + 13)
    day = today or timezone.localdate()
    now = timezone.now()
    zone = timezone.get_current_timezone()
    channels = [name for name, _weight in CHANNEL_WEIGHTS]
    weights = [weight for _name, weight in CHANNEL_WEIGHTS]
    by_pk = {user.pk: user for user in users.values()}
    records: list[ContactRecord] = []
    for customer in customers:
        owner = by_pk.get(customer.owner_id)
        if owner is None:
            continue
        low, high = PER_YEAR.get(customer.management_class or "", PER_YEAR[""])
        for _index in range(rng.randint(low, high)):
            channel = rng.choices(channels, weights)[0]
            moment = dt.datetime.combine(day - dt.timedelta(days=rng.randint(1, 365)),
                                         dt.time(rng.randint(9, 18), rng.choice((0, 15, 30, 45))), zone)
            inbound = channel == "phone" and rng.random() < 0.25
            next_step = NEXT_STEPS.get(channel, "") if rng.random() < 0.2 else ""
            records.append(ContactRecord(
                customer_id=customer.pk, branch_id=customer.branch_id, staff=owner, channel=channel,
                direction="inbound" if inbound else "outbound", occurred_at=moment,
                duration_minutes=(rng.randint(3, 30) if channel == "phone"
                                  else rng.randint(30, 120) if channel in ("visit", "meeting", "event") else None),
                summary=rng.choice(SUMMARIES[channel]), feedback=rng.choice(FEEDBACK),
                satisfaction=rng.choices([None, 2, 3, 4, 5], [30, 3, 15, 32, 20])[0], next_step=next_step,
                next_step_due=(moment.date() + dt.timedelta(days=rng.randint(3, 14))) if next_step else None,
                created_by=owner, created_at=moment))
    records.sort(key=lambda record: record.occurred_at)
    contact_bulk_create(records=records)
    source_type = ContentType.objects.get_for_model(ContactRecord)
    tasks: list[Task] = []
    for record in records:
        if record.next_step and record.next_step_due:
            done = record.next_step_due < day - dt.timedelta(days=3) or rng.random() < 0.3
            completed = dt.datetime.combine(record.next_step_due, dt.time(16), zone)
            tasks.append(Task(
                kind={"phone": "call", "visit": "visit", "email": "email", "meeting": "meeting"}.get(
                    record.channel, "follow_up"),
                title=record.next_step, customer_id=record.customer_id, branch_id=record.branch_id,
                owner=record.staff, created_by=record.staff, due_date=record.next_step_due,
                status=Task.Status.DONE if done else Task.Status.OPEN, outcome="已跟进" if done else "",
                completed_at=min(completed, now) if done else None, completed_by=record.staff if done else None,
                source_type=source_type, source_id=record.pk, created_at=record.occurred_at))
    for customer in customers:
        owner = by_pk.get(customer.owner_id)
        if owner is None or rng.random() > (0.5 if customer.management_class == "key" else 0.12):
            continue
        kind, title = rng.choice(OPEN_TASK_TITLES)
        due = day + dt.timedelta(days=rng.randint(-5, 14))
        # planned a few days to two weeks ahead, in office hours (never in the future)
        planned = dt.datetime.combine(due - dt.timedelta(days=rng.randint(3, 14)), dt.time(rng.randint(9, 17)), zone)
        tasks.append(Task(kind=kind, title=title, customer_id=customer.pk, branch_id=customer.branch_id,
                          owner=owner, created_by=owner, due_date=due,
                          priority=rng.choices([1, 2, 3, 4], [10, 60, 25, 5])[0], created_at=min(planned, now)))
    task_bulk_create(tasks=tasks)
    return len(records), len(tasks)
