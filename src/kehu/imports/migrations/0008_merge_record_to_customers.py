"""Merging customers moved to the ``customers`` app: ``MergeRecord`` leaves this app's state only. Its table and
rows stay; ``customers/0016_merge_record`` takes the model over and renames the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("imports", "0007_stored_problem_codes")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="MergeRecord")]),
    ]
