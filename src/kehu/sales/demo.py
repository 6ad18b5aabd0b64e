"""Demo data of sales: a believable year of leads across sources and statuses, dated relative to today, with their
contacts and timelines, a few in the shared pool. A registered demo step, written in bulk."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华红玉兰飞鹏宇浩然子涵欣怡梓轩思雨"
COMPANIES = ["华东精密机械有限公司", "申江物流有限公司", "浦江餐饮管理有限公司", "金桥电子科技有限公司",
             "长宁文化传媒有限公司", "京北建材有限公司", "海润贸易有限公司", "东方健康管理有限公司",
             "明日教育科技有限公司", "恒信汽车服务有限公司"]
SOURCE_WEIGHTS = [("store_visit", 25), ("phone", 18), ("web_form", 16), ("referral", 14), ("event", 9),
                  ("exhibition", 7), ("purchased_list", 6), ("partner", 5)]
CAMPAIGNS = ["", "", "春季新品发布", "618 年中促销", "秋季车展", "老客户推荐有礼", "双十一预热"]
SUMMARIES = ["首次电话联系，介绍产品", "客户到店看样品", "发送产品资料与报价", "约定下周上门演示", "客户在比较竞品价格",
             "确认预算与采购时间", "与采购负责人面谈"]
REASONS = ["no_money", "no_authority", "no_need", "unreachable", "competitor"]


def load_sales_demo(*, customers: list[Any], users: dict[str, Any], seed: int,
                    today: dt.date | None = None) -> int:
    """About 60 leads a month over the past year: older ones mostly converted or disqualified, recent ones new or
    being worked; a few idle ones in their branch's pool. Returns the number of leads."""
    from kehu.org.models import User
    from kehu.org.roles import Role
    from kehu.purchases.models import Product

    from .models import Lead, LeadContact, LeadEvent

    rng = random.Random(seed * 104729 + 7)
    day = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    now = timezone.now()
    sellers = list(User.objects.filter(pk__in=[user.pk for user in users.values()],
                                       groups__name=Role.ACCOUNT_MANAGER, is_active=True)
                   .prefetch_related("branches").distinct().order_by("pk"))
    sellers = [seller for seller in sellers if seller.branches.all()]
    if not sellers:
        return 0
    products = list(Product.objects.filter(is_active=True).values_list("pk", flat=True)[:40])
    sources = [name for name, _weight in SOURCE_WEIGHTS]
    weights = [weight for _name, weight in SOURCE_WEIGHTS]
    customer_mobiles = {customer.mobile for customer in customers if customer.mobile}
    leads: list[Lead] = []
    plans: list[tuple[list[tuple[dt.datetime, str, str]], list[int], str]] = []
    used: set[str] = set()
    for age in range(365, 0, -1):
        for _index in range(rng.choice((1, 2, 2, 3))):
            created = dt.datetime.combine(day - dt.timedelta(days=age), dt.time(rng.randint(9, 19),
                                                                                rng.randint(0, 59)), zone)
            seller = rng.choice(sellers)
            organisation = rng.random() < 0.2
            mobile = ""
            while not mobile or mobile in used or f"+86{mobile}" in customer_mobiles:
                mobile = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            used.add(mobile)
            person = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            company = rng.choice(COMPANIES) if organisation or rng.random() < 0.3 else ""
            # where the lead is now: the older, the more likely decided
            settled = min(age / 120, 0.9)
            roll = rng.random()
            if roll < settled * 0.45:
                status = "converted"
            elif roll < settled:
                status = "disqualified"
            else:
                status = rng.choices(["new", "contacted", "qualified"], [3, 5, 3] if age > 20 else [6, 3, 1])[0]
            contacts: list[tuple[dt.datetime, str, str]] = []
            if status != "new":
                moment = created
                for _contact in range(rng.randint(1, 4)):
                    moment = moment + dt.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 4))
                    if moment >= now:
                        break
                    contacts.append((moment, rng.choice(["phone", "visit", "wechat", "email", "meeting"]),
                                     rng.choice(SUMMARIES)))
            pooled = status in ("new", "contacted") and age > 45 and rng.random() < 0.5
            last = contacts[-1][0] if contacts else None
            lead = Lead(
                kind="organisation" if organisation else "person", name=company if organisation else person,
                company="" if organisation else company, mobile=f"+86{mobile}",
                email=f"lead{len(leads) + 1}@example.com" if rng.random() < 0.4 else "",
                source=rng.choices(sources, weights)[0], campaign=rng.choice(CAMPAIGNS),
                money=rng.choice(["yes", "no", "unknown", "unknown"]),
                authority=rng.choice(["yes", "unknown", "unknown", "no"]), need=rng.choice(["yes", "yes", "unknown"]),
                timing=rng.choice(["unknown", "now", "month", "quarter", "year"]), status=status,
                disqualify_reason=rng.choice(REASONS) if status == "disqualified" else "",
                owner=None if pooled else seller, branch=seller.branches.all()[0], assigned_at=created,
                last_contact_at=last, worked_at=last or created, pooled_at=now if pooled else None,
                created_by=seller, created_at=created, updated_at=last or created)
            leads.append(lead)
            plans.append((contacts, rng.sample(products, k=min(len(products), rng.randint(0, 2))), str(seller)))
    Lead.objects.bulk_create(leads, batch_size=2000)
    contacts_rows: list[LeadContact] = []
    events: list[LeadEvent] = []
    links: list[Any] = []
    through = Lead.products.through
    for lead, (contacts, product_ids, owner_name) in zip(leads, plans, strict=True):
        events.append(LeadEvent(lead_id=lead.pk, kind="created", actor_id=lead.created_by_id,
                                occurred_at=lead.created_at, data={"source": lead.source, "campaign": lead.campaign}))
        events.append(LeadEvent(lead_id=lead.pk, kind="assigned", actor_id=lead.created_by_id,
                                occurred_at=lead.created_at, data={"owner": owner_name, "previous": ""}))
        for moment, channel, summary in contacts:
            contacts_rows.append(LeadContact(lead_id=lead.pk, staff_id=lead.created_by_id, channel=channel,
                                             occurred_at=moment, summary=summary))
            events.append(LeadEvent(lead_id=lead.pk, kind="contact", actor_id=lead.created_by_id,
                                    occurred_at=moment, data={"channel": channel, "summary": summary}))
        if lead.status != "new":
            final = contacts[-1][0] if contacts else lead.created_at
            events.append(LeadEvent(lead_id=lead.pk, kind="status", actor_id=lead.created_by_id, occurred_at=final,
                                    data={"previous": "new", "status": lead.status,
                                          "reason": lead.disqualify_reason, "note": ""}))
        if lead.owner_id is None:
            events.append(LeadEvent(lead_id=lead.pk, kind="pooled", occurred_at=now,
                                    data={"previous": owner_name, "reason": "idle", "days": 30}))
        links.extend(through(lead_id=lead.pk, product_id=product) for product in product_ids)
    LeadContact.objects.bulk_create(contacts_rows, batch_size=2000)
    LeadEvent.objects.bulk_create(events, batch_size=2000)
    through.objects.bulk_create(links, batch_size=2000)
    return len(leads)
