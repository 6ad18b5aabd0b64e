"""Backfill the timeline from the tier changes and alerts stored before it existed: one INSERT ... SELECT each.
A change or alert of date D is at midnight of D in the configured time zone."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import migrations


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    activity = apps.get_model("customers", "Activity")._meta.db_table
    assignment = apps.get_model("scoring", "TierAssignment")._meta.db_table
    scheme = apps.get_model("scoring", "TierScheme")._meta.db_table
    alert = apps.get_model("scoring", "Alert")._meta.db_table
    offset = zoneinfo.ZoneInfo(settings.TIME_ZONE).utcoffset(dt.datetime.now())
    minutes = int(offset.total_seconds() // 60) if offset else 0

    def midnight(column):
        if vendor == "postgresql":
            return f"(CAST({column} AS timestamp) - make_interval(mins => {minutes}))"
        return f"datetime({column}, '{-minutes} minutes')"

    def json(pairs):
        arguments = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
        return f"jsonb_build_object({arguments})" if vendor == "postgresql" else f"json_object({arguments})"

    columns = "customer_id, occurred_at, kind, subject_type, subject_id, data"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {activity} ({columns}) SELECT a.customer_id, {midnight('a.as_of')}, 'tier_change', "
            f"'scoring.tierassignment', a.id, "
            f"{json([('scheme', 's.name'), ('tier', 'a.tier'), ('previous_tier', 'a.previous_tier')])} "
            f"FROM {assignment} a INNER JOIN {scheme} s ON s.id = a.scheme_id")
        cursor.execute(
            f"INSERT INTO {activity} ({columns}) SELECT a.customer_id, {midnight('a.as_of')}, 'alert', "
            f"'scoring.alert', a.id, {json([('reason', 'a.reason'), ('scheme_id', 'a.scheme_id')])} FROM {alert} a")


def remove(apps, schema_editor):
    apps.get_model("customers", "Activity").objects.filter(kind__in=["tier_change", "alert"]).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0003_tier_slots"), ("customers", "0010_activity_timeline")]

    operations = [migrations.RunPython(backfill, remove)]
