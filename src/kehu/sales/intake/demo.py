"""Demo data of web intake: the website's lead form of the first seller's branch, embeddable from the demo site, with
a few submissions filed through the same service as the public page (new leads, one repeat, one known customer)."""

from __future__ import annotations

import random
from typing import Any

CONSENT = ("我同意本公司通过电话、短信或电子邮件与我联系，介绍产品与服务；我的信息仅用于此目的，我可随时撤回同意。"
           "I agree to be contacted by phone, SMS or e-mail about products and services; my details are used for "
           "this alone and I may withdraw my consent at any time.")
VISITORS = [("林晓雨", "", "想了解沙发的价格", "上海", "上海"),
            ("郑浩然", "明日教育科技有限公司", "办公家具批量采购", "浙江", "杭州"),
            ("周子涵", "", "周末想到店看看", "江苏", "苏州"), ("宋思雨", "", "", "上海", "上海"),
            ("唐明", "恒信汽车服务有限公司", "需要报价单", "浙江", "宁波")]


def load_intake_demo(*, customers: list[Any], users: dict[str, Any], seed: int, **_extra: Any) -> int:
    """One form and a handful of submissions. Returns the number of submissions."""
    from kehu.org.models import User
    from kehu.org.roles import Role
    from kehu.purchases.models import Product

    from ..models import IntakeForm
    from . import services

    seller = (User.objects.filter(pk__in=[user.pk for user in users.values()], groups__name=Role.ACCOUNT_MANAGER,
                                  is_active=True).order_by("pk").first())
    branch = seller.branches.order_by("path").first() if seller else None
    if branch is None or IntakeForm.objects.exists():
        return 0
    form = IntakeForm.objects.create(name="官网预约表单", title="预约到店 / Book a visit", campaign="官网",
                                     intro="留下联系方式，专属顾问一个工作日内与您联系。", consent_text=CONSENT,
                                     branch=branch, allowed_origins="https://www.example.cn")
    form.products.set(Product.objects.filter(is_active=True).order_by("pk")[:4])
    offered = list(form.products.values_list("pk", flat=True))
    rng = random.Random(seed * 7919 + 3)
    count = 0
    known = next((customer for customer in customers if getattr(customer, "mobile", "")), None)
    people = [(name, company, message, province, city, f"+86139{rng.randrange(10**7, 10**8)}")
              for name, company, message, province, city in VISITORS]
    people.append((people[0][0], "", "再问一下送货时间", "上海", "上海", people[0][5]))  # came again
    if known is not None:
        people.append((known.name, "", "看到新品想再了解", "", "", known.mobile))  # already a customer
    for name, company, message, province, city, mobile in people:
        prospect = services.Prospect(name=name, mobile=mobile, company=company, message=message, province=province,
                                     city=city, products=rng.sample(offered, k=min(len(offered), 1)),
                                     consent=True, consent_text=CONSENT, language="zh-hans")
        services.intake_submit(form=form, prospect=prospect)
        count += 1
    return count
