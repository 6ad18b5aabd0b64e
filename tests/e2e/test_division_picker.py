"""The province → city → district picker in a browser: choosing a province loads its cities, a city its districts
(``kehu/divisions.js``), and the customer is saved with the codes and names."""

from __future__ import annotations

import pytest

from .test_browser import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kehu-test-pass-1"


def test_choosing_a_province_then_a_city_then_a_district(live_server, page, users):
    from playwright.sync_api import expect

    from kehu.customers.models import Customer

    assert page.request.get(f"{live_server.url}/static/kehu/divisions.js").ok
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", users["account_manager"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form-stack button[type=submit]")
    page.goto(live_server.url + "/customers/new/organisation/")
    city = page.locator("select[name=city_code]")
    district = page.locator("select[name=district_code]")
    expect(city.locator("option")).to_have_count(1)
    page.select_option("select[name=province_code]", "440000")
    expect(city.locator("option[value='440100']")).to_have_text("广州市")
    page.select_option("select[name=city_code]", "440100")
    expect(district.locator("option[value='440106']")).to_have_text("天河区")
    page.select_option("select[name=district_code]", "440106")
    # another province empties the levels below and loads its own cities
    page.select_option("select[name=province_code]", "110000")
    expect(district.locator("option")).to_have_count(1)
    expect(city.locator("option[value='110100']")).to_have_text("北京市")
    page.select_option("select[name=city_code]", "110100")
    expect(district.locator("option[value='110105']")).to_have_text("朝阳区")
    page.select_option("select[name=district_code]", "110105")
    shot(page, "division-picker-zh-hans", full_page=True)
    page.fill("input[name=name]", "北京星河网络有限公司")
    page.fill("input[name=mobile]", "13800138000")
    page.click("form.customer-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("北京星河网络有限公司")
    customer = Customer.objects.get()
    assert (customer.province, customer.city, customer.district, customer.district_code) == (
        "北京市", "北京市", "朝阳区", "110105")
