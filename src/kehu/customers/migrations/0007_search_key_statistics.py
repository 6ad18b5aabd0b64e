"""Finer planner statistics for the search keys (PostgreSQL only; nothing on SQLite).

With the default statistics target (100) PostgreSQL misjudges how many customers a name or pinyin prefix matches by
a factor of 20–200 either way at a million customers ("dengkai": 45 matches estimated as 10,000; "chongqin": 5,564 as
277), and then picks the wrong plan for the first page of a search: a walk back through the primary key that meets
the few matches late (180 ms), or collecting and sorting thousands of matches (26 ms) where the walk would stop at
once (1 ms). A target of 1,000 on the three prefix-searched columns brings the estimates close and the plans right;
ANALYZE samples 300,000 rows for them (about 2 s at a million customers, here and in autovacuum's runs).
"""

from django.db import migrations

COLUMNS = ("name", "name_pinyin", "name_initials")


def set_statistics(target: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("customers", "Customer")._meta.db_table)
        columns = ", ".join(f"ALTER COLUMN {schema_editor.quote_name(c)} SET STATISTICS {target}" for c in COLUMNS)
        schema_editor.execute(f"ALTER TABLE {table} {columns}")
        schema_editor.execute(f"ANALYZE {table} ({', '.join(schema_editor.quote_name(c) for c in COLUMNS)})")

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_customer_tier_table"),
    ]

    operations = [
        migrations.RunPython(set_statistics(1000), set_statistics(-1)),
    ]
