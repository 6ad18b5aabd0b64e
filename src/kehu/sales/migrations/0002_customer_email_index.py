"""An index on customers' e-mail for the leads' duplicate matching (``sales.selectors.lead_matches`` and the lead
import compare ``Customer.email`` by equality; without an index each new lead scanned the customer table). Partial:
most customers have no e-mail. Created here, by the app that needs it, so that ``customers`` keeps knowing nothing
of sales; portable to SQLite and PostgreSQL."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0001_leads"),
        ("customers", "0015_status_record_choices_and_division_codes"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS sales_customer_email_idx ON customers_customer (email) WHERE email <> ''",
            reverse_sql="DROP INDEX IF EXISTS sales_customer_email_idx",
        ),
    ]
