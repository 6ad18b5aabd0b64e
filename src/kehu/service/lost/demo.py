"""The demo step "Lost customers" (order 137): a believable year of lost records. Every demo customer whose
lifecycle is lost gets its record (dated over the past year, reasons weighted as seed 000 has it: most leave over
service, then price, product and competitors); about one current customer in twenty-five was lost earlier in the
year and won back (by buying again, or marked current). Each record has the win-back task marking a customer lost
creates (the shared tasks of ``kehu.work``, kind ``win_back``, for the customer's owner, due a week later), in the
state a year of work leaves it: done with an outcome for the customers won back and most of those lost long ago,
some cancelled, the rest open: due in the coming days for the customers lost this week, overdue for the others.
Written in bulk with their timeline rows, dated relative to today."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

REASON_WEIGHTS = [("service", 34), ("price", 20), ("product", 16), ("competitor", 15), ("personal", 8), ("moved", 7)]
DETAILS = {
    "service": ["投诉处理慢，多次催促无果", "店员态度冷淡", "维修返修两次仍未解决", "退款拖了一个月"],
    "price": ["觉得会员价不划算", "同类商品别家便宜", "储值优惠取消后不再来"],
    "product": ["商品质量不稳定", "常买的品类下架了", "新品不合口味"],
    "competitor": ["附近新开了竞品门店", "转到线上平台购买", "被对手的会员活动吸引"],
    "personal": ["家庭原因暂停消费", "预算收紧"],
    "moved": ["搬到外地", "公司迁址，离门店太远"],
}
# what the owner wrote on a finished win-back task
OUTCOMES = ["电话回访，客户愿意再给一次机会，已发回流券", "上门拜访，介绍了新的会员权益，客户答应下月到店",
            "微信沟通，客户暂无回购打算，三个月后再联系", "寄送专属优惠券，客户已领取",
            "已道歉并说明改进措施，客户表示理解", "多次联系未接通，转入季度关怀名单"]
WON_BACK_OUTCOME = "客户已回购，挽回成功"
CANCELLED_OUTCOMES = {"moved": "客户已搬离服务范围，不再跟进", "personal": "客户要求暂不联系"}


def load_lost_demo(*, customers: list[Any], users: dict[str, Any], seed: int = 0) -> int:
    """Returns the number of lost records written (none when the customers already have some)."""
    from kehu.customers.models import Customer, CustomerTier
    from kehu.customers.models.choices import LifecycleStatus
    from kehu.customers.timeline import activity_record_bulk
    from kehu.service.models import LostRecord

    ids = [customer.pk for customer in customers]
    if not ids or LostRecord.objects.filter(customer_id__in=ids).exists():
        return 0
    rng = random.Random(seed + 137)
    now = timezone.now()
    marker = users.get("manager_east") or users.get("admin")
    rows = Customer.objects.filter(pk__in=ids).values_list("pk", "lifecycle_status", "owner_id", "name")
    statuses = {pk: status for pk, status, _owner, _name in rows}
    owners = {pk: owner for pk, _status, owner, _name in rows if owner is not None}
    names = {pk: name for pk, _status, _owner, name in rows}
    tiers = dict(CustomerTier.objects.filter(customer_id__in=ids).values_list("customer_id", "tier"))
    reasons = [reason for reason, _w in REASON_WEIGHTS]
    weights = [weight for _r, weight in REASON_WEIGHTS]
    records: list[LostRecord] = []
    for customer in customers:
        status = statuses.get(customer.pk)
        won_back = status == LifecycleStatus.CURRENT and rng.random() < 0.04
        if status != LifecycleStatus.LOST and not won_back:
            continue
        reason = rng.choices(reasons, weights)[0]
        # a few lost this week (their win-back tasks not due yet), the others over the year
        recent = not won_back and rng.random() < 0.06
        days = rng.randint(0, 5) if recent else rng.randint(20 if won_back else 1, 364)
        lost_at = now - dt.timedelta(days=days, hours=rng.randint(0, 10))
        record = LostRecord(customer_id=customer.pk, reason=reason, details=rng.choice(DETAILS[reason]),
                            lost_at=lost_at, marked_by=marker, branch_id=customer.branch_id,
                            tier=tiers.get(customer.pk, ""))
        if won_back:
            record.won_back_at = min(now, lost_at + dt.timedelta(days=rng.randint(10, 120)))
            record.won_back_by = rng.choice([LostRecord.WonBackBy.PURCHASE, LostRecord.WonBackBy.PURCHASE,
                                             LostRecord.WonBackBy.STATUS])
        records.append(record)
    LostRecord.objects.bulk_create(records, batch_size=2000)
    win_back_tasks_write(records, owners=owners, names=names, marker=marker, rng=rng, now=now)
    activity_record_bulk(
        {"customer_id": record.customer_id, "kind": "lost", "occurred_at": record.lost_at,
         "actor_id": getattr(marker, "pk", None), "branch_id": record.branch_id, "subject_type": "service.lostrecord",
         "subject_id": record.pk, "data": {"reason": record.reason, "details": record.details}}
        for record in records)
    return len(records)


def win_back_tasks_write(records: list[Any], *, owners: dict[int, int], names: dict[int, str], marker: Any,
                         rng: random.Random, now: dt.datetime) -> int:
    """The win-back task of each lost record, as ``customer_mark_lost`` creates it (title, notes, owner, due date,
    source), in the state it would be in today; through ``work.services.task_bulk_create`` (timeline rows too)."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils.translation import gettext

    from kehu.org.models import User
    from kehu.service.lost.services import WIN_BACK_DUE_DAYS, WIN_BACK_TASK_KIND
    from kehu.service.models import LostRecord
    from kehu.service.models.lost import LostReason
    from kehu.work.models import Task
    from kehu.work.services import task_bulk_create

    active = set(User.objects.filter(pk__in=set(owners.values()), is_active=True).values_list("pk", flat=True))
    fallback = getattr(marker, "pk", None)
    source_type = ContentType.objects.get_for_model(LostRecord)
    today = timezone.localdate(now)
    tasks = []
    for record in records:
        owner_id = owners.get(record.customer_id) if owners.get(record.customer_id) in active else fallback
        if owner_id is None:
            continue
        label = str(LostReason(record.reason).label)
        due = timezone.localdate(record.lost_at) + dt.timedelta(days=WIN_BACK_DUE_DAYS)
        task = Task(kind=WIN_BACK_TASK_KIND, title=gettext("Win back %(name)s") % {"name": names.get(
                        record.customer_id, "")}, notes=f"{label}: {record.details}" if record.details else label,
                    customer_id=record.customer_id, branch_id=record.branch_id, owner_id=owner_id, due_date=due,
                    source_type=source_type, source_id=record.pk, created_at=record.lost_at)
        age = (today - due).days  # days past due (negative: not due yet)
        draw = rng.random()
        if record.won_back_at is not None:
            # worked on before the customer came back
            task.status, task.outcome = Task.Status.DONE, WON_BACK_OUTCOME
            task.completed_at = min(record.won_back_at, record.lost_at + dt.timedelta(days=rng.randint(1, 9)))
        elif age > 0 and draw < (0.75 if age > 50 else 0.45):
            task.status, task.outcome = Task.Status.DONE, rng.choice(OUTCOMES)
            task.completed_at = min(now, record.lost_at + dt.timedelta(days=rng.randint(1, WIN_BACK_DUE_DAYS + 5),
                                                                        hours=rng.randint(0, 8)))
        elif age > 50 and record.reason in CANCELLED_OUTCOMES and draw < 0.9:
            task.status, task.outcome = Task.Status.CANCELLED, CANCELLED_OUTCOMES[record.reason]
            task.completed_at = min(now, record.lost_at + dt.timedelta(days=rng.randint(2, 20)))
        # else open: due in the coming days (lost this week), overdue for the others
        if task.completed_at is not None:
            task.completed_by_id = owner_id
        tasks.append(task)
    return task_bulk_create(tasks=tasks)
