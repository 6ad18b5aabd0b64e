"""The standard evaluation template of seed 001 (客户关系评估表), installed by migration ``0002_evaluations`` and,
should it have been deleted, again by the demo step. Plain data: the migration must not import models."""

from __future__ import annotations

from decimal import Decimal

TEMPLATE = {
    "name": "客户关系评估表",
    "description": "按分析指标、指标权重与指标得分评估客户关系；合计得分决定建议：改进关系、维持关系或终止关系。",
    "periodic": True,
    "period_months": 12,
    "maintain_from": Decimal("70"),
    "terminate_below": Decimal("40"),
    "grade_a_from": Decimal("85"),
    "grade_b_from": Decimal("70"),
    "grade_c_from": Decimal("50"),
}
# (name, weight, source, target, default score for the monthly run, basis)
INDICATORS = [
    ("业务份额", Decimal("25"), "share_of_wallet", Decimal("80"), Decimal("0"), "本行占客户同类业务的份额，80%得满分"),
    ("客户满意度", Decimal("20"), "satisfaction", None, Decimal("0"), "期间联系记录满意度平均值（1–5）"),
    ("联系频率", Decimal("15"), "contact_frequency", Decimal("12"), Decimal("0"), "期间联系次数，12次得满分"),
    ("业务增长", Decimal("20"), "growth", Decimal("20"), Decimal("0"), "期间消费较上一期间增长20%得满分"),
    ("信用状况", Decimal("10"), "manual", None, Decimal("70"), "按时付款、授信使用情况"),
    ("投诉情况", Decimal("10"), "manual", None, Decimal("80"), "期间投诉次数及处理结果（无投诉得满分）"),
]


def install(template_model, indicator_model) -> object:  # type: ignore[no-untyped-def]
    """Create the standard template with its indicators unless a template of that name exists; returns it."""
    template = template_model.objects.filter(name=TEMPLATE["name"]).first()
    if template is not None:
        return template
    template = template_model.objects.create(**TEMPLATE)
    indicator_model.objects.bulk_create([
        indicator_model(template=template, position=position, name=name, weight=weight, max_score=Decimal("100"),
                        source=source, target=target, default_score=default, description=basis)
        for position, (name, weight, source, target, default, basis) in enumerate(INDICATORS, start=1)])
    return template
