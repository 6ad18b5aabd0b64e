"""Merging through the pages: which record survives is labelled, conflicts default to the kept value, and the kept
customer's change history and timeline tell of the merge, in both languages."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from kehu.customers.models import Customer, MergeRecord


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' messages are asserted in English; the pages ask for their language per request."""
    from django.utils import translation

    with translation.override("en"):
        yield


def client_for(user, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def _section(page: str, marker: str, length: int = 4000) -> str:
    start = page.index(marker)
    return page[start:start + length]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_duplicates_list_labels_which_record_survives(make_customer, users, language):
    make_customer("张三", mobile="13800138000")
    make_customer("张叁", mobile="13800138000")
    page = text(client_for(users["branch_manager"], language).get("/customers/duplicates/?by=mobile"))
    header = _section(page, "<thead>", 400)
    if language == "en":
        assert "Keep (survives)" in header and "Remove (merged into the kept one)" in header
        assert "Merge into it" not in page
    else:
        assert "保留（存续）" in header and "移除（并入保留的客户）" in header
        assert "合并到此客户" not in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_merge_page_marks_the_survivor_and_defaults_each_conflict_to_it(make_customer, users, language):
    keep = make_customer("张三", mobile="13800138000", person={"employer": "甲公司"})
    merge = make_customer("张叁", mobile="13800138000", person={"employer": "乙公司"})
    page = text(client_for(users["branch_manager"], language).get(f"/customers/merge/?keep={keep.pk}&merge={merge.pk}"))
    header = _section(page, "<thead>", 800)
    kept_label, removed_label = (("Kept: survives", "Removed: merged into the kept customer") if language == "en"
                                 else ("保留：存续", "移除：并入保留的客户"))
    assert header.index(kept_label) < header.index(keep.code) < header.index(removed_label) < header.index(merge.code)
    # each conflicting field's radio for the surviving record is checked, the other not
    for name in ("name", "employer"):
        radios = re.findall(rf'<input type="radio" name="choice_{name}" value="(keep|merge)"([^>]*)>', page)
        assert [(value, "checked" in rest) for value, rest in radios] == [("keep", True), ("merge", False)]


def test_merge_with_the_defaults_keeps_the_survivors_values_and_writes_its_history(make_customer, users):
    keep = make_customer("张三", mobile="13800138000", person={"employer": "甲公司"})
    merge = make_customer("张叁", mobile="13800138000", person={"employer": "乙公司"})
    manager = client_for(users["branch_manager"])
    form = text(manager.get(f"/customers/merge/?keep={keep.pk}&merge={merge.pk}"))
    # submit what the browser would: every checked radio, plus a reason
    checked = dict(re.findall(r'<input type="radio" name="(choice_\w+)" value="(\w+)"[^>]*checked', form))
    assert checked == {"choice_name": "keep", "choice_employer": "keep"}
    done = manager.post(f"/customers/merge/?keep={keep.pk}&merge={merge.pk}", {"reason": "同一人", **checked})
    assert done.status_code == 302 and not Customer.objects.filter(pk=merge.pk).exists()
    keep.refresh_from_db()
    assert keep.name == "张三" and keep.person.employer == "甲公司"
    # merged by an English-speaking manager, read in either language
    for language, said in (("en", f"Merged with {merge.code}: 同一人"), ("zh-hans", f"已与 {merge.code} 合并：同一人")):
        page = text(client_for(users["branch_manager"], language).get(f"/customers/{keep.pk}/"))
        history = _section(page, 'id="history"')
        history = history[:history.index("</section>")]
        assert said in history
        timeline = _section(page, 'id="timeline"' if 'id="timeline"' in page else "timeline")
        assert merge.code in timeline and merge.name in timeline


def test_a_long_merge_reason_is_kept_as_text_in_the_history(make_customer, users):
    from kehu.customers.merge import customer_merge
    from kehu.customers.selectors import customer_history

    keep = make_customer("张三", mobile="13800138000")
    merge = make_customer("张三", mobile="13800138000")
    reason = "同一人，" * 30
    customer_merge(keep=keep, merge=merge, actor=users["administrator"], choices={}, reason=reason)
    reasons = [entry.reason for entry in customer_history(customer=keep) if merge.code in entry.reason]
    assert reasons and reasons[0].startswith(f"Merged with {merge.code}: 同一人") and "{" not in reasons[0]


def test_duplicates_list_and_merge_page(make_customer, users, django_assert_max_num_queries):
    keep = make_customer("张三", mobile="13800138000", person={"employer": "甲公司"})
    merge = make_customer("张叁", mobile="13800138000", person={"employer": "乙公司"})
    for index in range(3):
        make_customer(f"王{index}", mobile="13900139000")
    manager = client_for(users["branch_manager"])
    with django_assert_max_num_queries(15):
        page = manager.get("/customers/duplicates/?by=mobile")
    assert page.status_code == 200
    assert "138****8000" in text(page) and "13800138000" not in text(page)
    assert client_for(users["account_manager"]).get("/customers/duplicates/").status_code == 403
    form = manager.get(f"/customers/merge/?keep={keep.pk}&merge={merge.pk}")
    assert form.status_code == 200 and "乙公司" in text(form)
    refused = manager.post(f"/customers/merge/?keep={keep.pk}&merge={merge.pk}", {"reason": "同一人"})
    assert refused.status_code == 200 and Customer.objects.filter(pk=merge.pk).exists()
    done = manager.post(f"/customers/merge/?keep={keep.pk}&merge={merge.pk}",
                        {"reason": "同一人", "choice_name": "keep", "choice_employer": "merge"})
    assert done.status_code == 302 and done["Location"] == f"/customers/{keep.pk}/"
    keep.refresh_from_db()
    assert keep.person.employer == "乙公司" and keep.name == "张三"
    assert MergeRecord.objects.get().field_choices["name"]["dropped_value"] == "张叁"
