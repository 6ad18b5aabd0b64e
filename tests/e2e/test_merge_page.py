"""The merge page in a browser: the surviving record is labelled, conflicts default to it, the top bar does not hide
the browser's validation bubble (the field scrolled to sits below the bar), and the kept customer's history tells.

With ``KEHU_SCREENSHOTS`` set, screenshots go to /tmp/kehu-shots/.
"""

from __future__ import annotations

import re

import pytest

from .test_browser import PASSWORD, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_merge_in_the_browser(live_server, page, users, make_customer):
    from playwright.sync_api import expect

    from kehu.customers.models import Customer

    keep = make_customer("张三", mobile="13800138000", person={"employer": "甲公司"})
    merge = make_customer("张叁", mobile="13800138000", person={"employer": "乙公司"})
    for index in range(12):  # a long page: the form's first field is far below the top when submitting
        make_customer(f"王{index}", mobile=f"1390013{index:04d}")
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", users["branch_manager"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form-stack button[type=submit]")

    page.goto(f"{live_server.url}/customers/duplicates/?by=mobile")
    expect(page.locator("thead").first).to_contain_text("保留（存续）")
    expect(page.locator("thead").first).to_contain_text("移除（并入保留的客户）")
    shot(page, "duplicates-zh-hans")

    page.goto(f"{live_server.url}/customers/merge/?keep={keep.pk}&merge={merge.pk}")
    expect(page.locator("th.merge-kept")).to_contain_text("保留：存续")
    expect(page.locator("th.merge-removed")).to_contain_text("移除：并入保留的客户")
    expect(page.locator("input[name=choice_employer][value=keep]")).to_be_checked()
    shot(page, "merge-zh-hans", full_page=True)

    # an element the browser scrolls to (as for a validation bubble) is not under the sticky top bar
    bar = page.locator(".topbar").bounding_box()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.locator("input[name=choice_name][value=keep]").focus()
    page.evaluate("document.querySelector('input[name=choice_name][value=keep]').scrollIntoView()")
    box = page.locator("input[name=choice_name][value=keep]").bounding_box()
    assert bar is not None and box is not None and box["y"] >= bar["height"], (box, bar)

    page.click("button.btn-danger")
    expect(page).to_have_url(re.compile(rf"/customers/{keep.pk}/$"))
    assert not Customer.objects.filter(pk=merge.pk).exists()
    expect(page.locator("#history")).to_contain_text(merge.code)
    shot(page, "merged-customer-zh-hans")
