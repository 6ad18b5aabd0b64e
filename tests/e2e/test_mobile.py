"""Usable on a phone (issue 12 item 10): at 390 × 844 no page is wider than the screen, the header collapses into a
menu that opens, the 360 page stacks its panels and forms fit; at 1366 × 768 the header is a row of links as before.
In Chinese and in English.

Screenshots of every page go to ``KEHU_SCREENSHOTS`` (a directory) when it is set.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kehu-test-pass-1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
LANGUAGES = ["zh-hans", "en"]


def shot(page, name: str) -> None:
    """The whole page and its first screen."""
    directory = os.environ.get("KEHU_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)
        page.screenshot(path=str(Path(directory) / f"{name}-screen.png"))


def _default_schemes() -> None:
    """The default tier schemes and their slots, as the data migrations made them (an earlier transactional test's
    flush removed them)."""
    import importlib

    from django.apps import apps

    from kehu.scoring.models import TierScheme

    if TierScheme.objects.exists():
        return
    importlib.import_module("kehu.scoring.migrations.0002_default_schemes").create_defaults(apps, None)
    for slot, scheme in enumerate(TierScheme.objects.filter(is_active=True).order_by("-is_primary", "position"), 1):
        TierScheme.objects.filter(pk=scheme.pk).update(slot=slot)


@pytest.fixture
def data(users, org, make_customer):
    """Customers with long names, a long branch name, purchases over two years and a scoring run (the value pages
    and the home page's figures and alerts have something to show)."""
    from kehu.customers.services import contact_create, tag_get_or_create
    from kehu.org.services import branch_create
    from kehu.purchases.services import product_get_or_create, transaction_create
    from kehu.scoring.services import scoring_run_execute

    admin, manager = users["administrator"], users["account_manager"]
    long_branch = branch_create(code="SH-PD-LJZ", name="上海浦东新区陆家嘴金融贸易区旗舰店", parent=org["east"])
    vip = tag_get_or_create(name="VIP")
    zhang = make_customer(
        "张三", owner=manager, mobile="13800138000", email="zhangsan.long.address@example.com", province="上海市",
        city="上海市", address="浦东新区世纪大道 100 号环球金融中心 58 楼", management_class="key",
        lifecycle_status="current", share_of_wallet=Decimal("62"), tags=[vip],
        person={"id_number": "11010519491231002X", "employer": "上海电气集团股份有限公司", "position": "高级工程师"},
        notes="喜欢理财产品，周末方便联系。",
    )
    company = make_customer("上海华商国际贸易集团有限公司浦东分公司", kind="organisation", owner=manager,
                            branch=long_branch, lifecycle_status="current",
                            organisation={"credit_code": "91310000MA1FL0JE1E", "industry": "批发零售"})
    contact_create(customer=company, actor=admin, name="陈经理", role="finance", mobile="13600136000", is_primary=True)
    product = product_get_or_create(sku="FUND-01", name="稳健理财一号")
    today = dt.datetime.now(dt.UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    customers = [zhang, company]
    for number in range(12):
        customers.append(make_customer(f"客户{number:02d}", owner=manager if number % 2 else None,
                                       branch=org["sh2"] if number % 3 else org["sh1"],
                                       lifecycle_status="current" if number % 4 else "prospect"))
    for index, customer in enumerate(customers):
        for month in range(0, 24, 3 + index % 4):
            transaction_create(actor=admin, customer=customer, product=product,
                               occurred_at=today - dt.timedelta(days=30 * month + index),
                               amount=Decimal(1000 + 250 * index), margin=Decimal(80 + 20 * index))
    _default_schemes()
    scoring_run_execute(as_of=today.date())
    return {"zhang": zhang, "company": company}


def shot_element(page, selector: str, name: str) -> None:
    directory = os.environ.get("KEHU_SCREENSHOTS")
    if directory:
        page.locator(selector).screenshot(path=str(Path(directory) / f"{name}.png"))


def _context(browser, live_server, *, language: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN" if language == "zh-hans" else "en-US")
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "django_language", "value": language, "domain": host, "path": "/"}])
    return context


def _login(page, live_server, user) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form-stack button[type=submit]")
    page.wait_for_url(live_server.url + "/")


def _pages(data) -> list[tuple[str, str]]:
    zhang, company = data["zhang"].pk, data["company"].pk
    return [
        ("home", "/"),
        ("list", "/customers/"),
        ("detail", f"/customers/{zhang}/"),
        ("detail-organisation", f"/customers/{company}/"),
        ("edit", f"/customers/{zhang}/edit/"),
        ("create-organisation", "/customers/new/organisation/"),
        ("imports", "/imports/"),
        ("import-upload", "/imports/new/"),
        ("value", "/value/"),
        ("value-alerts", "/value/alerts/"),
        ("value-runs", "/value/runs/"),
    ]


def _overflow(page) -> tuple[int, list[str]]:
    """The page's scroll width and the elements (tag.class) sticking out to the right of the viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate("""() => {
        const limit = document.documentElement.clientWidth;
        const wide = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > limit + 1; };
        // the innermost elements sticking out: none of their children does
        const name = e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className
            ? '.' + e.className.split(' ').join('.') : '');
        return Array.from(document.querySelectorAll('body *')).filter(
            e => wide(e) && !Array.from(e.children).some(wide)).slice(0, 8).map(name);
    }""")
    return width, culprits


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_pages_fit_the_screen_and_the_menu_opens(browser, live_server, data, users, language):
    from playwright.sync_api import expect

    context = _context(browser, live_server, language=language, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/login/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert _overflow(page)[0] <= PHONE["width"]
        shot(page, f"phone-{language}-login")
        _login(page, live_server, users["administrator"])
        too_wide = []
        for name, path in _pages(data):
            page.goto(live_server.url + path)
            expect(page.locator("main.content")).to_be_visible()
            width, culprits = _overflow(page)
            shot(page, f"phone-{language}-{name}")
            if name == "home":
                shot_element(page, "#home-figures", f"phone-{language}-home-figures")
            if width > PHONE["width"]:
                too_wide.append(f"{path} is {width} px wide: {culprits}")
        assert not too_wide, "\n".join(too_wide)

        # the header: the menu button instead of the links; it opens the list and a link in it works
        page.goto(live_server.url + "/")
        links = page.locator("nav.mainnav a[href='/customers/']")
        expect(links).to_be_hidden()
        toggle = page.locator("label.nav-toggle-button")
        expect(toggle).to_be_visible()
        toggle.click()
        expect(links).to_be_visible()
        expect(page.locator("#language-select")).to_be_visible()
        assert _overflow(page)[0] <= PHONE["width"]
        shot(page, f"phone-{language}-menu-open")
        # the items do not overlap: each starts below the one before
        tops = page.locator("nav.mainnav .nav-list > li").evaluate_all(
            "items => items.map(item => item.getBoundingClientRect().top)")
        assert len(tops) >= 4 and all(later > earlier for earlier, later in zip(tops, tops[1:], strict=False))
        links.click()
        expect(page.locator("#customer-results")).to_be_visible()
        expect(links).to_be_hidden()  # a new page starts with the menu closed

        # the 360 page stacks its panels: each starts below the other, none beside it
        page.goto(live_server.url + f"/customers/{data['zhang'].pk}/")
        boxes = page.locator(".detail-grid > *").evaluate_all(
            "items => items.map(item => { const r = item.getBoundingClientRect(); return [r.left, r.width]; })")
        assert all(left < 40 and width > 300 for left, width in boxes)

        # an account manager's home: the sections one below the other, no wider than the screen
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "django_language", "value": language,
                                   "domain": live_server.url.split("//", 1)[1].split(":")[0], "path": "/"}])
        _login(page, live_server, users["account_manager"])
        expect(page.locator("#home-figures")).to_be_visible()
        assert _overflow(page)[0] <= PHONE["width"]
        shot(page, f"phone-{language}-home-account-manager")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_desktop_header_is_a_row_of_links(browser, live_server, data, users, language):
    from playwright.sync_api import expect

    context = _context(browser, live_server, language=language, viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _login(page, live_server, users["administrator"])
        expect(page.locator("label.nav-toggle-button")).to_be_hidden()
        items = page.locator("nav.mainnav .nav-list > li")
        tops = items.evaluate_all("items => items.map(item => Math.round(item.getBoundingClientRect().top))")
        assert len(set(tops)) == 1, f"the header's items are not on one row: {tops}"
        header = page.locator("header.topbar").bounding_box()
        assert header is not None and header["height"] <= 60
        for name, path in _pages(data):
            page.goto(live_server.url + path)
            width, culprits = _overflow(page)
            shot(page, f"desktop-{language}-{name}")
            assert width <= DESKTOP["width"], f"{path} is {width} px wide: {culprits}"
        page.locator("nav.mainnav a[href='/customers/']").click()
        expect(page.locator("#customer-results")).to_be_visible()
    finally:
        context.close()
