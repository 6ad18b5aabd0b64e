"""Content-Security-Policy: every page carries it, and no template or rendered page needs what it forbids (inline
``<script>``/``<style>`` blocks, ``style=""`` attributes, ``on...=`` handlers, ``javascript:`` links)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import kehu

SOURCE = Path(kehu.__file__).resolve().parent
INLINE = [
    (re.compile(r"<style\b", re.I), "an inline <style> block"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: link"),
]


def inline_problems(text: str) -> list[str]:
    return [label for pattern, label in INLINE if pattern.search(text)]


def test_no_template_holds_inline_script_or_style():
    templates = [path for path in SOURCE.rglob("*.html") if "templates" in path.parts]
    assert len(templates) > 20
    found = {str(path.relative_to(SOURCE)): inline_problems(path.read_text("utf-8")) for path in templates}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_checker_finds_what_it_looks_for():
    assert inline_problems('<span style="color: red">') == ["a style attribute"]
    assert inline_problems("<script>alert(1)</script>") == ["an inline <script>"]
    assert inline_problems('<script src="/static/kehu/kehu.js" defer></script>') == []
    assert inline_problems('<a href="#" onclick="go()">') == ["an event handler attribute"]


def test_pages_carry_the_policy(client, users, make_customer):
    customer = make_customer("张三")
    client.force_login(users["administrator"])
    pages = [reverse("home"), reverse("customers:list"), reverse("customers:detail", args=[customer.pk]),
             reverse("scoring:overview"), reverse("imports:list"), reverse("customers:duplicates"),
             reverse("password_change"), reverse("api_tokens")]
    for url in pages:
        answer = client.get(url)
        assert answer.status_code == 200, url
        policy = answer["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert inline_problems(answer.content.decode()) == [], url
    assert "Content-Security-Policy" in client.get(reverse("login"))


@pytest.mark.parametrize("path", ["/api/customers", "/api/docs"])
def test_the_api_and_its_docs_carry_it_too(client, users, path):
    client.force_login(users["administrator"])
    answer = client.get(path)
    assert answer.status_code == 200
    assert "default-src 'self'" in answer["Content-Security-Policy"]
