"""Helpers for the staff UI tests: errors next to a field, page text, POST data from a form."""

from __future__ import annotations

import html
import re


def field_errors(content: bytes | str, name: str) -> list[str]:
    """The error messages rendered next to the form field ``name`` (inside its own field block)."""
    text = content.decode() if isinstance(content, bytes) else content
    match = re.search(rf'<ul class="errorlist" id="id_{re.escape(name)}_errors">(.*?)</ul>', text, re.S)
    if not match:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def form_data(form) -> dict:
    """POST data equal to what an unbound form shows (its initial values), to change a field or two and submit."""
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(item) for item in value] if isinstance(value, list | tuple) else str(value)
    return data
