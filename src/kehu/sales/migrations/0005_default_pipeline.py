"""The default pipeline (初步接洽 10 %, 需求确认 25 %, 方案报价 50 %, 谈判 75 %, 赢单 100 %, 输单 0 %) and the loss
reasons; both are configurable in the admin afterwards."""

from django.db import migrations

STAGES = (("初步接洽", 10, "open"), ("需求确认", 25, "open"), ("方案报价", 50, "open"), ("谈判", 75, "open"),
          ("赢单", 100, "won"), ("输单", 0, "lost"))
LOSS_REASONS = ("价格过高", "选择了竞争对手", "需求取消", "预算不足", "联系不上", "其他")


def create_defaults(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    LossReason = apps.get_model("sales", "LossReason")
    if not Pipeline.objects.filter(is_default=True).exists():
        pipeline = Pipeline.objects.create(name="默认销售流程", is_default=True)
        Stage.objects.bulk_create([Stage(pipeline=pipeline, order=(index + 1) * 10, name=name, probability=percent,
                                         kind=kind) for index, (name, percent, kind) in enumerate(STAGES)])
    if not LossReason.objects.exists():
        LossReason.objects.bulk_create([LossReason(name=name, order=index) for index, name in enumerate(LOSS_REASONS)])


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_opportunities")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
