"""Status records' preferred channel, contact frequency and development potential become choices; the stored texts
that match a choice are mapped onto it, the others are moved into the record's notes (nothing is lost). Customers'
division codes are filled from their stored province, city and district names, and their industry code from the
organisation profile's industry text, where recognised."""

from django.db import migrations, models

CHANNELS = {
    "phone": ("电话", "打电话", "电话联系", "phone", "phone call", "call", "telephone"),
    "sms": ("短信", "sms", "text", "text message"),
    "wechat": ("微信", "wechat", "企业微信", "weixin"),
    "email": ("邮件", "邮箱", "电子邮件", "email", "e-mail", "mail"),
    "visit": ("拜访", "上门", "上门拜访", "面谈", "visit", "in person", "meeting"),
    "store": ("门店", "到店", "店内", "in store", "store"),
    "post": ("邮寄", "信件", "post", "letter"),
    "other": ("其他", "other"),
}
FREQUENCIES = {
    "weekly": ("每周", "每周一次", "一周一次", "周", "weekly", "every week"),
    "fortnightly": ("每两周", "两周一次", "半月", "每半月", "fortnightly", "every two weeks", "biweekly"),
    "monthly": ("每月", "每月一次", "一月一次", "月", "monthly", "every month"),
    "quarterly": ("每季度", "每季", "季度", "一季度一次", "quarterly", "every quarter"),
    "half_yearly": ("每半年", "半年", "半年一次", "half-yearly", "every six months", "semiannually"),
    "yearly": ("每年", "每年一次", "一年一次", "年", "yearly", "annually", "every year"),
    "on_demand": ("按需", "需要时", "不定期", "on demand", "when needed", "as needed"),
}
POTENTIALS = {
    "high": ("高", "很高", "大", "较大", "较高", "high", "h"),
    "medium": ("中", "中等", "一般", "medium", "m", "moderate"),
    "low": ("低", "小", "较小", "较低", "低", "low", "l"),
}
FIELDS = (("preferred_channel", CHANNELS, "偏好联系渠道"), ("contact_frequency", FREQUENCIES, "联系频率"),
          ("development_potential", POTENTIALS, "发展潜力"))


def _lookup(table):
    return {spelling.lower(): value for value, spellings in table.items() for spelling in (value, *spellings)}


def status_records_forward(apps, schema_editor):
    StatusRecord = apps.get_model("customers", "StatusRecord")
    lookups = [(field, _lookup(table), label) for field, table, label in FIELDS]
    queryset = StatusRecord.objects.exclude(preferred_channel="", contact_frequency="", development_potential="")
    for record in queryset.iterator(chunk_size=2000):
        kept = []
        for field, lookup, label in lookups:
            text = (getattr(record, field) or "").strip()
            if not text:
                continue
            value = lookup.get(text.lower())
            if value is None:
                kept.append(f"{label}: {text}")
                value = ""
            setattr(record, field, value)
        if kept:
            record.notes = "\n".join([record.notes, *kept]).strip()
        record.save(update_fields=[field for field, _table, _label in FIELDS] + ["notes"])


def customers_forward(apps, schema_editor):
    from kehu.core import divisions, industries

    Customer = apps.get_model("customers", "Customer")
    OrganisationProfile = apps.get_model("customers", "OrganisationProfile")
    batch = []
    for customer in Customer.objects.exclude(province="", city="", district="").only(
            "pk", "province", "city", "district").iterator(chunk_size=2000):
        codes = divisions.resolve(customer.province, customer.city, customer.district)
        if any(codes):
            customer.province_code, customer.city_code, customer.district_code = codes
            batch.append(customer)
        if len(batch) >= 2000:
            Customer.objects.bulk_update(batch, ["province_code", "city_code", "district_code"])
            batch = []
    Customer.objects.bulk_update(batch, ["province_code", "city_code", "district_code"])
    batch = []
    for profile in OrganisationProfile.objects.exclude(industry="").only("customer_id", "industry").iterator(
            chunk_size=2000):
        code = industries.match(profile.industry)
        if code:
            batch.append(Customer(pk=profile.customer_id, industry=code))
        if len(batch) >= 2000:
            Customer.objects.bulk_update(batch, ["industry"])
            batch = []
    Customer.objects.bulk_update(batch, ["industry"])


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0014_divisions_industry_source_since"),
    ]

    operations = [
        migrations.RunPython(status_records_forward, migrations.RunPython.noop),
        migrations.RunPython(customers_forward, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='statusrecord',
            name='contact_frequency',
            field=models.CharField(blank=True, choices=[('weekly', 'Weekly'), ('fortnightly', 'Every two weeks'), ('monthly', 'Monthly'), ('quarterly', 'Quarterly'), ('half_yearly', 'Every six months'), ('yearly', 'Yearly'), ('on_demand', 'Only when needed')], default='', max_length=16, verbose_name='preferred contact frequency'),
        ),
        migrations.AlterField(
            model_name='statusrecord',
            name='development_potential',
            field=models.CharField(blank=True, choices=[('high', 'High'), ('medium', 'Medium'), ('low', 'Low')], default='', max_length=16, verbose_name='development potential'),
        ),
        migrations.AlterField(
            model_name='statusrecord',
            name='preferred_channel',
            field=models.CharField(blank=True, choices=[('phone', 'Phone call'), ('sms', 'SMS'), ('wechat', 'WeChat'), ('email', 'Email'), ('visit', 'Visit'), ('store', 'In store'), ('post', 'Post'), ('other', 'Other')], default='', max_length=16, verbose_name='preferred contact channel'),
        ),
    ]
