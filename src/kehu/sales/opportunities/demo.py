"""Demo data of opportunities: a believable pipeline over the year, dated relative to today — older deals mostly
won or lost, recent ones open at every stage with expected close dates over the coming months — with product
lines, stage history and customer timeline rows. A registered demo step (order 125), written in bulk."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

TOPICS = ["年度采购", "门店升级", "团购方案", "会员专享套餐", "设备更新", "礼品定制", "企业福利采购", "新品试用"]
NEXT_STEPS = ["发送正式报价", "安排上门演示", "约采购负责人面谈", "确认交付时间", "等待客户内部审批", ""]
COMPETITORS = ["", "", "竞品A", "竞品B、竞品C", "本地经销商"]


def load_opportunities_demo(*, customers: list[Any], users: dict[str, Any], seed: int,
                            today: dt.date | None = None, count: int = 360) -> int:
    """About ``count`` opportunities for the demo customers owned by account managers, spread over the past year.
    Returns the number written."""
    from kehu.customers.timeline import activity_record_bulk
    from kehu.purchases.models import Product

    from ..models import LossReason, Opportunity, OpportunityLine, OpportunityStatus, StageChange, StageKind
    from .selectors import default_pipeline, pipeline_stages

    rng = random.Random(seed * 7919 + 125)
    day = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    now = timezone.now()
    owned = [customer for customer in customers if customer.owner_id]
    products = list(Product.objects.filter(is_active=True).values_list("pk", "list_price")[:40])
    if not owned or not products:
        return 0
    pipeline = default_pipeline()
    stages = pipeline_stages(pipeline.pk)
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    won_stage = next(stage for stage in stages if stage.kind == StageKind.WON)
    lost_stage = next(stage for stage in stages if stage.kind == StageKind.LOST)
    reasons = list(LossReason.objects.filter(is_active=True).values_list("pk", "name"))
    plans: list[tuple[Opportunity, list[OpportunityLine], list[tuple[Any, Any, dt.datetime]]]] = []
    for _index in range(count):
        customer = rng.choice(owned)
        age = int(rng.triangular(0, 365, 60))
        created = dt.datetime.combine(day - dt.timedelta(days=age), dt.time(rng.randint(9, 18), rng.randint(0, 59)),
                                      zone)
        lines = []
        for product_id, price in rng.sample(products, k=min(len(products), rng.choice((1, 1, 2, 3)))):
            quantity = Decimal(rng.choice((1, 1, 2, 5, 10, 20)))
            unit = (price or Decimal(rng.randint(200, 20000))).quantize(Decimal("0.01"))
            lines.append(OpportunityLine(product_id=product_id, quantity=quantity, unit_price=unit,
                                         amount=(quantity * unit).quantize(Decimal("0.01"))))
        cycle = rng.randint(10, 120)
        # the path through the stages: how far it got, and how it ended (old deals are closed)
        reached = rng.choices(range(len(open_stages)), weights=(30, 25, 20, 25))[0]
        closes = age > cycle or (age > 20 and rng.random() < 0.3)
        won = closes and reached >= 2 and rng.random() < 0.6
        path = open_stages[:reached + 1]
        span = min(age, cycle) if closes else age
        moments = sorted(created + dt.timedelta(days=span * step / (len(path) + 1), hours=rng.randint(0, 8))
                         for step in range(1, len(path) + (1 if closes else 0)))
        changes: list[tuple[Any, Any, dt.datetime]] = [(None, path[0], created)]
        for previous, following, moment in zip(path, path[1:], moments, strict=False):
            changes.append((previous, following, moment))
        final = path[-1]
        status = OpportunityStatus.OPEN
        closed_at = None
        reason = None
        if closes:
            final = won_stage if won else lost_stage
            closed_at = min(created + dt.timedelta(days=span, hours=rng.randint(1, 6)), now)
            changes.append((path[-1], final, closed_at))
            status = OpportunityStatus.WON if won else OpportunityStatus.LOST
            reason = None if won else rng.choice(reasons)
        expected = (closed_at.date() if closed_at else
                    max(day, created.date() + dt.timedelta(days=cycle)) + dt.timedelta(days=rng.randint(0, 60)))
        opportunity = Opportunity(
            name=f"{customer.name} · {rng.choice(TOPICS)}", customer_id=customer.pk, owner_id=customer.owner_id,
            branch_id=customer.branch_id, pipeline=pipeline, stage=final, probability=final.probability,
            amount=sum((line.amount for line in lines), Decimal(0)), expected_close=expected,
            next_step=rng.choice(NEXT_STEPS) if status == OpportunityStatus.OPEN else "",
            competitors=rng.choice(COMPETITORS), committed=status == OpportunityStatus.OPEN and reached >= 2
            and rng.random() < 0.5, status=status, loss_reason_id=reason[0] if reason else None,
            closed_at=closed_at, cycle_days=(closed_at.date() - created.date()).days if closed_at else None,
            reached_order=path[-1].order, stage_entered_at=changes[-1][2], created_by_id=customer.owner_id,
            created_at=created)
        plans.append((opportunity, lines, changes))
    written = Opportunity.objects.bulk_create([plan[0] for plan in plans], batch_size=1000)
    line_rows, change_rows, activities = [], [], []
    for opportunity, (_plan, lines, changes) in zip(written, plans, strict=True):
        for line in lines:
            line.opportunity_id = opportunity.pk
            line_rows.append(line)
        entered = None
        for previous, following, moment in changes:
            change_rows.append(StageChange(
                opportunity_id=opportunity.pk, from_stage=previous, to_stage=following, at=moment,
                actor_id=opportunity.owner_id,
                seconds_in_previous=int((moment - entered).total_seconds()) if entered else None))
            entered = moment
            action = "created" if previous is None else ("won" if following.kind == StageKind.WON else "lost"
                                                         if following.kind == StageKind.LOST else "stage")
            activities.append({
                "customer_id": opportunity.customer_id, "kind": "opportunity", "occurred_at": moment,
                "actor_id": opportunity.owner_id, "branch_id": opportunity.branch_id,
                "subject_type": "sales.opportunity", "subject_id": opportunity.pk,
                "data": {"action": action, "name": opportunity.name, "amount": str(opportunity.amount),
                         "stage": following.name, "previous": previous.name if previous else "",
                         "reason": next((name for pk, name in reasons if pk == opportunity.loss_reason_id), "")}})
    OpportunityLine.objects.bulk_create(line_rows, batch_size=2000)
    StageChange.objects.bulk_create(change_rows, batch_size=2000)
    activity_record_bulk(activities)
    return len(written)
