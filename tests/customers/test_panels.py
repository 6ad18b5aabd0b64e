"""Customer panels (kehu.core.registry): the 360 page and the screen pop iterate over the registered panels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.core.registry import CustomerPanel, panel_list, panels
from kehu.purchases.services import transaction_create

TEMPLATES = Path(__file__).parent / "templates"
loaded: list[list[int]] = []


def _test_load(customer_ids, user, *, full=False):
    loaded.append(list(customer_ids))
    return {pk: {"note": f"note-{pk}"} for pk in customer_ids}


@pytest.fixture
def panel_templates(settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}]


def test_purchases_and_customer_value_are_registered_panels():
    keys = [panel.key for panel in panel_list()]
    assert keys.index("customer_value") < keys.index("purchases")
    assert [panel.key for panel in panel_list(screen_pop=True)] == ["opportunities", "open_tickets", "purchases"]


def test_360_page_shows_the_purchases_and_customer_value_panels(client, users, make_customer):
    customer = make_customer("张三")
    transaction_create(actor=users["administrator"], customer=customer, amount=Decimal("88.00"),
                       occurred_at=timezone.now() - dt.timedelta(days=3))
    client.force_login(users["account_manager"])

    response = client.get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="purchases"' in html and 'id="customer-value"' in html
    assert html.index('id="customer-value"') < html.index('id="purchases"')  # in the panels' order
    assert "¥88.00" in html or "88.00" in html
    from kehu.core.registry import panel_list

    # every registered panel the branch manager may see, in the registry's order (modules add theirs)
    keys = [item.key for item in response.context["panels"]]
    assert keys == [panel.key for panel in panel_list() if panel.key in keys]
    assert {"customer_value", "contacts_log", "purchases", "evaluations", "strengthening", "relationships",
            "plans_events", "loyalty", "timeline"} <= set(keys)


def test_a_panel_registered_by_a_test_shows_up(client, users, make_customer, panel_templates):
    customer = make_customer("张三")
    client.force_login(users["service_agent"])
    panel = CustomerPanel(key="test_notes", title="Test notes", order=15, loader=_test_load,
                          template="tests/_test_panel.html", permission="customers.view_customer")
    loaded.clear()
    with panels.temporarily(panel.key, panel):
        response = client.get(reverse("customers:detail", args=[customer.pk]))
    html = response.content.decode()

    assert f"test panel: note-{customer.pk} for {customer.code}" in html
    assert html.index('id="customer-value"') < html.index('id="test-panel"') < html.index('id="purchases"')
    assert loaded == [[customer.pk]]
    after = client.get(reverse("customers:detail", args=[customer.pk]))
    assert 'id="test-panel"' not in after.content.decode()


def test_a_panel_needing_a_permission_the_user_lacks_is_not_shown_nor_loaded(client, users, make_customer,
                                                                            panel_templates):
    customer = make_customer("张三")
    panel = CustomerPanel(key="test_audit", title="Audit notes", order=5, loader=_test_load,
                          template="tests/_test_panel.html", permission="customers.view_personaldataaccess")
    loaded.clear()
    with panels.temporarily(panel.key, panel):
        client.force_login(users["service_agent"])
        hidden = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
        client.force_login(users["administrator"])
        shown = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert 'id="test-panel"' not in hidden and 'id="purchases"' in hidden
    assert 'id="test-panel"' in shown
    assert loaded == [[customer.pk]]  # loaded for the administrator only


def test_screen_pop_panel_loaded_once_for_all_customers(users, make_customer):
    from kehu.customers.models import Customer
    from kehu.customers.selectors import customer_360_summary

    first = make_customer("张三", mobile="13800138000")
    second = make_customer("李四", mobile="13800138000")
    panel = CustomerPanel(key="test_notes", title="Test notes", order=15, loader=_test_load,
                          template="tests/_test_panel.html", schema=object)
    loaded.clear()
    with panels.temporarily(panel.key, panel):
        summaries = customer_360_summary(user=users["administrator"],
                                         customers=list(Customer.objects.order_by("pk")))

    assert loaded == [[first.pk, second.pk]]
    keys = [[item.key for item in summary.panels] for summary in summaries]
    assert keys == [["test_notes", "opportunities", "open_tickets", "purchases"]] * 2


def test_hub_templates_load_no_later_apps_tags():
    """import-linter sees Python imports only: the customers templates must not load a later app's template tags."""
    import re

    import kehu.customers

    later = {"scoring", "purchases", "imports", "demo"}
    for template in (Path(kehu.customers.__file__).parent / "templates").rglob("*.html"):
        for loaded in re.findall(r"{%\s*load\s+([^%]+)%}", template.read_text(encoding="utf-8")):
            assert not later & set(loaded.split()), template.name
