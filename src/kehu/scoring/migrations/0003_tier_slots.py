"""Current tiers move into slot columns of the customer value summary; tier assignment rows become changes only.

Existing data is carried over: active schemes get slots (in their display order), every customer's current tier
and value under each of them is copied into the summary, and rows that were not changes (first assignments) go.
"""

from django.db import migrations, models

SLOTS = 8


def forwards(apps, schema_editor):
    TierScheme = apps.get_model("scoring", "TierScheme")
    CustomerSummary = apps.get_model("scoring", "CustomerSummary")
    TierAssignment = apps.get_model("scoring", "TierAssignment")
    summary = CustomerSummary._meta.db_table
    assignments = TierAssignment._meta.db_table
    active = list(TierScheme.objects.filter(is_active=True).order_by("-is_primary", "position", "id")[:SLOTS])
    with schema_editor.connection.cursor() as cursor:
        for slot, scheme in enumerate(active, start=1):
            TierScheme.objects.filter(pk=scheme.pk).update(slot=slot)
            cursor.execute(
                f"UPDATE {summary} SET tier_{slot} = (SELECT a.rank FROM {assignments} a WHERE a.scheme_id = %s "
                f"AND a.is_current AND a.customer_id = {summary}.customer_id), tier_value_{slot} = (SELECT a.value "
                f"FROM {assignments} a WHERE a.scheme_id = %s AND a.is_current AND a.customer_id = "
                f"{summary}.customer_id)", [scheme.pk, scheme.pk])
    TierAssignment.objects.filter(previous_rank__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0002_default_schemes'),
    ]

    operations = [
        migrations.AddField(
            model_name='customersummary',
            name='tier_1',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 1'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_2',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 2'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_3',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 3'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_4',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 4'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_5',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 5'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_6',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 6'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_7',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 7'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_8',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='tier rank in slot 8'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_1',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 1'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_2',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 2'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_3',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 3'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_4',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 4'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_5',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 5'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_6',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 6'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_7',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 7'),
        ),
        migrations.AddField(
            model_name='customersummary',
            name='tier_value_8',
            field=models.FloatField(blank=True, null=True, verbose_name='tier value in slot 8'),
        ),
        migrations.AddField(
            model_name='tierscheme',
            name='slot',
            field=models.PositiveSmallIntegerField(blank=True, editable=False, help_text="Which tier columns of the customer value summary hold this scheme's current tiers.", null=True, unique=True, verbose_name='slot'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name='tierassignment',
            options={'ordering': ['-as_of', 'scheme_id', 'customer_id'], 'verbose_name': 'tier change', 'verbose_name_plural': 'tier changes'},
        ),
        migrations.RemoveConstraint(
            model_name='tierassignment',
            name='scoring_one_current_tier',
        ),
        migrations.RemoveIndex(
            model_name='tierassignment',
            name='scoring_current_tier_idx',
        ),
        migrations.RemoveField(
            model_name='tierassignment',
            name='is_current',
        ),
    ]
