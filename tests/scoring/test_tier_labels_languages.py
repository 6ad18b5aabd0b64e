"""Tier codes that are words (platinum, gold, key, potential…) are not shown on the Chinese interface: the value
pages, the 360 page's value panel and its timeline show the tiers' labels in the reader's language."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from kehu.scoring.services import scoring_run_execute

WORD_CODES = re.compile(r"\b(platinum|gold|silver|regular|key|potential|temporary|weighted-score|thresholds)\b")


@pytest.fixture(autouse=True)
def scoring_urls(settings):
    try:
        reverse("scoring:overview")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.scoring.ui_urls"


def visible_text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)  # attributes (links, titles) are not read
    return re.sub(r"\s+", " ", html.unescape(body))


@pytest.fixture
def scored(hundred, buy):
    scoring_run_execute(as_of=dt.date(2025, 11, 30))
    for customer in hundred[:10]:
        buy(customer, "2025-12-10 10:00", 20000)
    return scoring_run_execute(as_of=dt.date(2025, 12, 31))


def test_chinese_value_pages_and_360_page_show_labels_not_word_codes(scored, hundred, users):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(users["administrator"])
    pages = {
        "overview": reverse("scoring:overview"),
        "run": reverse("scoring:run", args=[scored.pk]),
        "tier": reverse("scoring:tier_customers", args=["thresholds", "gold"]),
        "360": f"/customers/{hundred[0].pk}/",
        "alerts": reverse("scoring:alerts"),
        "list": reverse("customers:list"),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = visible_text(response)
        assert not WORD_CODES.findall(text), (name, WORD_CODES.findall(text))
    customer_page = visible_text(client.get(pages["360"]))
    assert "黄金" in customer_page and "关键客户" in customer_page  # thresholds and weighted score
    assert "加权价值评分" in customer_page and "临时客户 → 关键客户" in customer_page  # the timeline's tier change
    assert "A · 顶级客户" in visible_text(client.get(pages["overview"]))  # a grade code stays before its label


def test_customer_list_shows_a_word_code_by_its_label(hundred, buy, users):
    from kehu.scoring.models import TierScheme

    TierScheme.objects.update(is_primary=False)
    TierScheme.objects.filter(name="thresholds").update(is_primary=True)
    buy(hundred[0], "2025-12-10 10:00", 20000)
    scoring_run_execute(as_of=dt.date(2025, 12, 31))
    for language, label in (("zh-hans", "黄金"), ("en", "Gold")):
        client = Client(headers={"Accept-Language": language})
        client.force_login(users["administrator"])
        text = visible_text(client.get(reverse("customers:list")))
        assert label in text and not WORD_CODES.findall(text), WORD_CODES.findall(text)


def test_english_pages_show_english_labels(scored, hundred, users):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(users["administrator"])
    page = visible_text(client.get(f"/customers/{hundred[0].pk}/"))
    assert "Gold" in page and "Key customer" in page and "Temporary customer → Key customer" in page
