"""The customer list of the demo shows its exact count (issue 12 item 3: it said "more than 1000 customers" and
"page 1 of at least 41" for a demo of 5,000)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from kehu.customers.models import Customer
from kehu.org.models import User

CUSTOMERS = 1100  # past the old cap of 1,000


def test_the_demo_customer_list_shows_its_exact_count(db, client):
    call_command("demo", "--no-serve", "--customers", str(CUSTOMERS), "--transactions", "1100", "--seed", "7",
                 stdout=StringIO())
    administrator = User.objects.filter(groups__name="administrator", is_active=True).order_by("pk").first()
    client.force_login(administrator)
    response = client.get("/customers/", headers={"Accept-Language": "en"})
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.count_is_exact) == (Customer.objects.count(), True)
    assert paginator.count >= CUSTOMERS  # the planned ones and the few the sales demo converted from leads
    text = response.content.decode()
    assert f"{paginator.count:,} customers" in text or f"{paginator.count} customers" in text
    pages = -(-paginator.count // paginator.per_page)
    assert "More than" not in text and "or more" not in text and f"Page 1 of {pages}" in text
    chinese = client.get("/customers/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert f"共 {pages} 页" in chinese and "超过" not in chinese
