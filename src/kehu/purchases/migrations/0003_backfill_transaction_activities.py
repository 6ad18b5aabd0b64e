"""Backfill the timeline from the transactions stored before it existed: one INSERT ... SELECT."""

from django.db import migrations


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    activity = apps.get_model("customers", "Activity")._meta.db_table
    transaction = apps.get_model("purchases", "Transaction")._meta.db_table
    pairs = [("amount", "CAST(t.amount AS TEXT)"), ("channel", "t.channel"), ("product_id", "t.product_id")]
    arguments = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
    data = f"jsonb_build_object({arguments})" if vendor == "postgresql" else f"json_object({arguments})"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {activity} (customer_id, occurred_at, kind, branch_id, subject_type, subject_id, data) "
            f"SELECT t.customer_id, t.occurred_at, 'transaction', t.branch_id, 'purchases.transaction', t.id, {data} "
            f"FROM {transaction} t")


def remove(apps, schema_editor):
    apps.get_model("customers", "Activity").objects.filter(kind="transaction").delete()


class Migration(migrations.Migration):
    dependencies = [("purchases", "0002_covering_index_drop_redundant"), ("customers", "0010_activity_timeline")]

    operations = [migrations.RunPython(backfill, remove)]
