"""The demo step "Lost customers" (order 137): a believable year of lost records. Every demo customer whose
lifecycle is lost gets its record (dated over the past year, reasons weighted as seed 000 has it: most leave over
service, then price, product and competitors); about one current customer in twenty-five was lost earlier in the
year and won back (by buying again, or marked current). Written in bulk with their timeline rows."""

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
    statuses = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "lifecycle_status"))
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
        lost_at = now - dt.timedelta(days=rng.randint(20 if won_back else 1, 364), hours=rng.randint(0, 10))
        record = LostRecord(customer_id=customer.pk, reason=reason, details=rng.choice(DETAILS[reason]),
                            lost_at=lost_at, marked_by=marker, branch_id=customer.branch_id,
                            tier=tiers.get(customer.pk, ""))
        if won_back:
            record.won_back_at = min(now, lost_at + dt.timedelta(days=rng.randint(10, 120)))
            record.won_back_by = rng.choice([LostRecord.WonBackBy.PURCHASE, LostRecord.WonBackBy.PURCHASE,
                                             LostRecord.WonBackBy.STATUS])
        records.append(record)
    LostRecord.objects.bulk_create(records, batch_size=2000)
    activity_record_bulk(
        {"customer_id": record.customer_id, "kind": "lost", "occurred_at": record.lost_at,
         "actor_id": getattr(marker, "pk", None), "branch_id": record.branch_id, "subject_type": "service.lostrecord",
         "subject_id": record.pk, "data": {"reason": record.reason, "details": record.details}}
        for record in records)
    return len(records)
