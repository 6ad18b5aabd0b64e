"""Backfill the timeline from the lifecycle records and ownership transfers stored before it existed: set-based,
one INSERT ... SELECT per source (no Python loop over rows)."""

from django.db import migrations


def _json(vendor, pairs):
    arguments = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
    return f"jsonb_build_object({arguments})" if vendor == "postgresql" else f"json_object({arguments})"


def _user_name(alias):
    return (f"COALESCE(NULLIF({alias}.display_name, ''), NULLIF(TRIM({alias}.first_name || ' ' || {alias}.last_name), "
            f"''), {alias}.username, '')")


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    Activity = apps.get_model("customers", "Activity")
    LifecycleChange = apps.get_model("customers", "LifecycleChange")
    OwnershipTransfer = apps.get_model("customers", "OwnershipTransfer")
    Customer = apps.get_model("customers", "Customer")
    User = apps.get_model("org", "User")
    activity, lifecycle = Activity._meta.db_table, LifecycleChange._meta.db_table
    transfer, customer, user = OwnershipTransfer._meta.db_table, Customer._meta.db_table, User._meta.db_table
    columns = "customer_id, occurred_at, kind, actor_id, branch_id, subject_type, subject_id, data"
    with schema_editor.connection.cursor() as cursor:
        data = _json(vendor, [("field", "l.field"), ("old", "l.old_value"), ("new", "l.new_value"),
                              ("reason", "l.reason")])
        cursor.execute(
            f"INSERT INTO {activity} ({columns}) SELECT l.customer_id, l.changed_at, 'lifecycle', l.changed_by_id, "
            f"c.branch_id, 'customers.lifecyclechange', l.id, {data} FROM {lifecycle} l "
            f"INNER JOIN {customer} c ON c.id = l.customer_id")
        data = _json(vendor, [("from_owner", _user_name("fu")), ("to_owner", _user_name("tu")),
                              ("reason", "t.reason")])
        cursor.execute(
            f"INSERT INTO {activity} ({columns}) SELECT t.customer_id, t.transferred_at, 'transfer', "
            f"t.transferred_by_id, COALESCE(t.to_branch_id, t.from_branch_id), 'customers.ownershiptransfer', t.id, "
            f"{data} FROM {transfer} t LEFT JOIN {user} fu ON fu.id = t.from_owner_id "
            f"LEFT JOIN {user} tu ON tu.id = t.to_owner_id")


def remove(apps, schema_editor):
    apps.get_model("customers", "Activity").objects.filter(kind__in=["lifecycle", "transfer"]).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_activity_timeline")]

    operations = [migrations.RunPython(backfill, remove)]
