"""In a real browser, the pages work under the Content-Security-Policy: no violation is reported while signing in,
searching (htmx), opening a customer and the other main pages, and the colours and widths that kehu.js applies from
data- attributes are there."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kehu-test-pass-1"


def test_main_pages_raise_no_policy_violation(live_server, page, users, make_customer):
    from playwright.sync_api import expect

    from kehu.customers.services import tag_get_or_create

    tag = tag_get_or_create(name="VIP")
    customer = make_customer("张三", owner=users["account_manager"], tags=[tag], share_of_wallet=Decimal("62"))
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))

    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "admin1")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form-stack button[type=submit]")
    expect(page.locator(".stat-grid")).to_be_visible()

    page.goto(live_server.url + "/customers/")
    page.locator("#id_q").press_sequentially("zs", delay=60)
    expect(page.locator("#customer-results")).to_contain_text("张三")
    # the tag's colour came from its data- attribute (an inline style would have been refused)
    colour = page.locator("#customer-results .tag").first.evaluate(
        "element => getComputedStyle(element).getPropertyValue('--tag-color').trim()")
    assert colour.lower() == tag.color.lower()

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("h1")).to_have_text("张三")
    width = page.locator(".meter span").first.evaluate("element => element.style.width")
    assert width == "62%"

    for path in ("/value/", "/imports/", "/account/password/", "/account/api-tokens/", "/api/docs"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    expect(page.locator("#swagger-ui .info")).to_be_visible()
    assert violations == []
