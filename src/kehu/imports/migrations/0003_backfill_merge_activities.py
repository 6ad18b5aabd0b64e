"""Backfill the timeline from the merges recorded before it existed: one INSERT ... SELECT (on the kept customer)."""

from django.db import migrations


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    activity = apps.get_model("customers", "Activity")._meta.db_table
    merge = apps.get_model("imports", "MergeRecord")._meta.db_table
    customer = apps.get_model("customers", "Customer")._meta.db_table
    pairs = [("merged_code", "m.merged_code"), ("merged_name", "m.merged_name"), ("reason", "m.reason")]
    arguments = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
    data = f"jsonb_build_object({arguments})" if vendor == "postgresql" else f"json_object({arguments})"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {activity} (customer_id, occurred_at, kind, actor_id, branch_id, subject_type, subject_id, "
            f"data) SELECT m.kept_customer_id, m.merged_at, 'merge', m.merged_by_id, c.branch_id, 'imports.mergerecord', "
            f"m.id, {data} FROM {merge} m INNER JOIN {customer} c ON c.id = m.kept_customer_id")


def remove(apps, schema_editor):
    apps.get_model("customers", "Activity").objects.filter(kind="merge").delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0002_row_warnings"), ("customers", "0010_activity_timeline")]

    operations = [migrations.RunPython(backfill, remove)]
