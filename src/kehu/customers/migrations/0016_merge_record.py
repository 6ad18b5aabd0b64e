"""``MergeRecord`` moves from ``imports`` with its rows (``imports/0008`` dropped it from that app's state): the model
joins this app's state on the existing table, which is then renamed to ``customers_mergerecord``. The timeline's merge
rows and the model's content type (with its permissions) follow the new label."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def relabel(apps, schema_editor, old="imports", new="customers"):
    Activity = apps.get_model("customers", "Activity")
    Activity.objects.filter(subject_type=f"{old}.mergerecord").update(subject_type=f"{new}.mergerecord")
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label=new, model="mergerecord").exists():
        ContentType.objects.filter(app_label=old, model="mergerecord").delete()
    else:
        ContentType.objects.filter(app_label=old, model="mergerecord").update(app_label=new)


def relabel_back(apps, schema_editor):
    relabel(apps, schema_editor, old="customers", new="imports")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_status_record_choices_and_division_codes"),
        ("imports", "0008_merge_record_to_customers"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="MergeRecord",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                               verbose_name="ID")),
                    ("merged_customer_id", models.BigIntegerField(verbose_name="merged customer id")),
                    ("merged_code", models.CharField(max_length=40, verbose_name="merged customer code")),
                    ("merged_name", models.CharField(max_length=200, verbose_name="merged customer name")),
                    ("merged_snapshot", models.JSONField(default=dict,
                                                         verbose_name="values of the merged customer")),
                    ("field_choices", models.JSONField(default=dict, verbose_name="values chosen per field")),
                    ("moved", models.JSONField(default=dict, verbose_name="rows moved")),
                    ("reason", models.CharField(blank=True, default="", max_length=255, verbose_name="reason")),
                    ("merged_at", models.DateTimeField(auto_now_add=True, verbose_name="merged at")),
                    ("kept_customer", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                        related_name="merges_kept", to="customers.customer",
                                                        verbose_name="customer kept")),
                    ("merged_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                    related_name="+", to=settings.AUTH_USER_MODEL,
                                                    verbose_name="merged by")),
                ],
                options={
                    "verbose_name": "merge record",
                    "verbose_name_plural": "merge records",
                    "ordering": ["-merged_at", "-id"],
                    "db_table": "imports_mergerecord",
                },
            ),
        ]),
        # the table keeps its rows; only its name changes
        migrations.AlterModelTable(name="mergerecord", table=None),
        migrations.RunPython(relabel, relabel_back),
    ]
