"""Demo knowledge base (step ``kb``, order 135): about sixty agreed answers (统一口径) in six categories, published
through the same documents the services write, some with an earlier version, and the uses linking them to the demo
tickets that exist (none is fine). ``generate_articles`` also feeds the search bench."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

CATEGORIES = ["售后与退款", "会员与积分", "门店服务", "投诉处理", "配送与安装", "支付与发票"]

TOPICS: list[tuple[int, str, str]] = [
    (0, "如何申请退款",
        "顾客在签收后七天内可申请无理由退款。请核对订单号、付款方式和商品状态，在系统中提"
        "交退款申请流程，退款原路返回，一般三到五个工作日到账。"),
    (0, "退货商品的检验标准",
        "退回的商品须配件齐全、包装完好、不影响二次销售。质量问题由门店检验后出具检测单，"
        "运费由我方承担。"),
    (0, "换货处理口径",
        "同款同价商品可直接换货；换成不同价格的商品按退货再购买处理，差价多退少补。"),
    (0, "保修期内维修说明",
        "大家电整机保修一年，主要部件三年。请顾客提供购买凭证，登记故障现象后安排上门检测"
        "。"),
    (1, "会员积分如何计算",
        "每消费一元累计一分，促销商品按活动规则计算。积分在订单完成后七天到账，可在会员中"
        "心查询。"),
    (1, "积分到期规则",
        "积分有效期为两年，每年十二月三十一日清理上上年度获得的积分。到期前一个月短信提醒"
        "顾客。"),
    (1, "会员卡挂失与补办",
        "顾客本人携带身份证到任一门店或致电客服热线办理挂失，挂失即时生效。补办新卡工本费"
        "十元，原卡积分与余额自动转入。"),
    (1, "会员等级与权益",
        "会员分为普通、银卡、金卡、钻石四级，按近十二个月消费额评定，每月一日更新等级，权"
        "益包括折扣、生日礼和专属客服。"),
    (1, "积分兑换礼品",
        "积分可在会员中心兑换礼品或抵扣现金，一百积分抵一元。兑换后不退不换，礼品库存以页"
        "面显示为准。"),
    (2, "门店营业时间",
        "各门店营业时间为早上九点至晚上九点，节假日延长至晚上十点。春节期间营业时间以门店"
        "公告为准。"),
    (2, "停车优惠说明",
        "当日消费满两百元可免费停车两小时，凭小票到服务台办理。会员金卡及以上每次可额外免"
        "费一小时。"),
    (2, "门店自提流程",
        "网上下单选择门店自提，备货完成后短信通知取货码，顾客凭取货码和手机号到服务台自提"
        "，保留七天。"),
    (3, "投诉处理口径",
        "接到投诉先致歉并记录事实，不争辩、不推诿。一般投诉二十四小时内回复处理方案，重大"
        "投诉立即上报店长。"),
    (3, "服务态度投诉的回复",
        "对顾客反映的服务态度问题，核实后向顾客道歉，说明已对相关员工进行培训，必要时赠送"
        "小礼品表示歉意。"),
    (3, "商品质量投诉处理",
        "质量投诉须登记批次和购买时间，先为顾客办理退换，再将问题商品送检，结果三个工作日"
        "内告知顾客。"),
    (3, "媒体与监管部门投诉",
        "涉及媒体曝光或市场监管部门转办的投诉，一线员工不作表态，立即上报区域经理和公关部"
        "门统一回复。"),
    (4, "配送时效说明",
        "市区订单次日送达，郊区两到三天。大件商品预约配送，送货前一天电话确认时间。"),
    (4, "安装服务预约",
        "空调、热水器等需安装的商品由厂家授权师傅上门安装，下单后四十八小时内联系顾客预约"
        "安装时间。"),
    (4, "配送延误的补偿",
        "因我方原因配送延误超过一天，向顾客致歉并赠送二十元优惠券；超过三天可取消订单全额"
        "退款。"),
    (5, "发票开具说明",
        "可开具增值税普通发票和专用发票，在订单完成后三十天内申请，电子发票发送到顾客邮箱"
        "。"),
    (5, "支付失败怎么办",
        "支付失败请先确认银行卡余额和限额，若已扣款但订单未成功，款项会在一到三个工作日内"
        "自动退回。"),
    (5, "分期付款规则",
        "单笔满一千元可使用信用卡分期，三期免手续费，六期和十二期按银行费率收取。"),
]
VARIANTS = ["", "（门店版）", "（电话客服版）"]
EXTRA = ["请在工单中记录处理结果。", "如有疑问请联系值班主管。", "处理完毕后请回访顾客确认满意度。"]


def generate_articles(count: int, rng: random.Random) -> list[tuple[int, str, str]]:
    """``count`` believable ``(category index, title, body)`` rows: the topics, then variants and mixes."""
    rows: list[tuple[int, str, str]] = []
    index = 0
    while len(rows) < count:
        category, title, body = TOPICS[index % len(TOPICS)]
        round_ = index // len(TOPICS)
        suffix = VARIANTS[round_] if round_ < len(VARIANTS) else f"（{round_}）"
        other = TOPICS[rng.randrange(len(TOPICS))][2]
        text = body + "\n\n" + rng.choice(EXTRA) + ("\n\n" + other if round_ >= 1 else "")
        rows.append((category, title + suffix, text))
        index += 1
    return rows


def bulk_publish(*, rows: list[tuple[int, str, str]], author: Any, now: dt.datetime,
                 two_versions_every: int = 0) -> list[Any]:
    """Articles published at once (bulk), their categories made if missing, indexed for search."""
    from ..models import Article, ArticleCategory, ArticleStatus, ArticleVersion, VersionStatus
    from . import search
    from .segment import document_tokens

    categories = {}
    for order, name in enumerate(CATEGORIES):
        categories[order], _created = ArticleCategory.objects.get_or_create(name=name, defaults={"order": order})
    articles = Article.objects.bulk_create([
        Article(category=categories[category], title=title, status=ArticleStatus.PUBLISHED, owner=author,
                created_at=now, updated_at=now) for category, title, _body in rows])
    versions = []
    for number, (article, (_category, title, body)) in enumerate(zip(articles, rows, strict=True)):
        if two_versions_every and number % two_versions_every == 0:
            versions.append(ArticleVersion(article=article, number=1, title=title, body=body.split("\n\n")[0],
                                           status=VersionStatus.SUPERSEDED, author=author,
                                           created_at=now - dt.timedelta(days=30),
                                           published_at=now - dt.timedelta(days=30)))
        versions.append(ArticleVersion(
            article=article, number=2 if two_versions_every and number % two_versions_every == 0 else 1,
            title=title, body=body, status=VersionStatus.PUBLISHED, author=author, created_at=now, published_at=now,
            search_title=document_tokens(title), search_body=document_tokens(body)))
    versions = ArticleVersion.objects.bulk_create(versions)
    published = {version.article_id: version for version in versions if version.status == VersionStatus.PUBLISHED}
    for article in articles:
        article.current_version = published[article.pk]
    Article.objects.bulk_update(articles, ["current_version"])
    search.index_many([(pk, version.search_title, version.search_body) for pk, version in published.items()])
    return articles


def load_kb_demo(*, customers: list[Any], users: dict[str, Any], seed: int, today: dt.date | None = None) -> int:
    """About sixty published articles and the uses on the demo tickets; returns the number of articles."""
    from ..models import ArticleUse, Ticket

    rng = random.Random(seed * 7919 + 135)
    now = timezone.now()
    author = next(iter(users.values()), None)
    articles = bulk_publish(rows=generate_articles(60, rng), author=author, now=now, two_versions_every=4)
    tickets = list(Ticket.objects.order_by("id").values_list("id", "created_at", "assignee_id")[:2000])
    uses = []
    by_topic = {article.title: article for article in articles}
    ordered = list(by_topic.values())
    for ticket_id, created_at, assignee_id in tickets:
        if rng.random() < 0.4:
            article = ordered[min(int(rng.expovariate(0.15)), len(ordered) - 1)]
            uses.append(ArticleUse(ticket_id=ticket_id, article=article, version_id=article.current_version_id,
                                   user_id=assignee_id, used_at=created_at + dt.timedelta(hours=rng.randint(1, 30))))
    ArticleUse.objects.bulk_create(uses, ignore_conflicts=True)
    return len(articles)
