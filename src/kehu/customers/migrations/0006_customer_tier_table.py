"""The primary tier moves from a column of the customer (rewriting a million customer rows and their indexes at each
scoring run) to a narrow table of its own; existing tiers are copied."""

import django.db.models.deletion
from django.db import migrations, models


def copy_tiers(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    CustomerTier = apps.get_model("customers", "CustomerTier")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CustomerTier._meta.db_table} (customer_id, tier) "
                       f"SELECT id, tier FROM {Customer._meta.db_table} WHERE tier <> ''")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_drop_redundant_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerTier',
            fields=[
                ('customer', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='primary_tier', serialize=False, to='customers.customer', verbose_name='customer')),
                ('tier', models.CharField(db_index=True, max_length=32, verbose_name='tier')),
            ],
            options={
                'verbose_name': 'customer tier',
                'verbose_name_plural': 'customer tiers',
            },
        ),
        migrations.RunPython(copy_tiers, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_tier_idx',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='tier',
        ),
        migrations.RemoveField(
            model_name='historicalcustomer',
            name='tier',
        ),
    ]
