"""The national industrial classification GB/T 4754-2017 (国民经济行业分类): sections (门类 A–T) and divisions (大类,
two digits), from ``core/data/gbt4754_2017.json``.

A customer's industry is stored as a section letter ("C": manufacturing, when only that much is known) or a division
code ("39": computers, communication and other electronic equipment). Names are given in Chinese and English;
:func:`match` reads what other systems write (the standard's names, short forms without 业, and the words of other
CRMs' industry pick-lists such as "Technology" or "制造") onto a code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "gbt4754_2017.json"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _entries() -> dict[str, dict[str, str]]:
    """code → {"zh", "en", "section"} for sections and divisions."""
    entries: dict[str, dict[str, str]] = {}
    for section in _data()["sections"]:
        entries[section["code"]] = {"zh": section["zh"], "en": section["en"], "section": section["code"]}
        for division in section["divisions"]:
            entries[division["code"]] = {"zh": division["zh"], "en": division["en"], "section": section["code"]}
    return entries


def _chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "zh-hans").lower().startswith("zh")


def name(code: str, *, chinese: bool | None = None) -> str:
    """The name of a section or division in the active language ("" for an unknown code)."""
    entry = _entries().get(code or "")
    if entry is None:
        return ""
    return entry["zh"] if (_chinese() if chinese is None else chinese) else entry["en"]


def section_of(code: str) -> str:
    entry = _entries().get(code or "")
    return entry["section"] if entry else ""


def choices() -> list[tuple[str, Any]]:
    """Grouped choices for a form or model field: per section, the section as a whole and then its divisions."""
    chinese = _chinese()
    groups: list[tuple[str, Any]] = []
    for section in _data()["sections"]:
        label = section["zh"] if chinese else section["en"]
        options = [(section["code"], f"{section['code']} {label}")]
        options += [(division["code"], f"{division['code']} {division['zh'] if chinese else division['en']}")
                    for division in section["divisions"]]
        groups.append((f"{section['code']} {label}", options))
    return groups


_NOISE = re.compile(r"[\s()（）\[\]【】/·・,，、&＆\-_]+")


def _key(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    # divisions before sections: a name both have (教育, 房地产业) reads as the more precise division
    for code, entry in sorted(_entries().items(), key=lambda item: item[0].isalpha()):
        lookup.setdefault(code.lower(), code)
        for text in (entry["zh"], entry["en"]):
            lookup.setdefault(_key(text), code)
            if text.endswith("业") and len(text) > 2:
                lookup.setdefault(_key(text[:-1]), code)  # 制造 for 制造业
    for alias, code in _data()["aliases"].items():
        lookup.setdefault(_key(alias), code)
    return lookup


@lru_cache(maxsize=4096)
def match(text: str) -> str:
    """The code of an industry written as its code ("C", "39", "C39", "I65"), its name in Chinese or English, or a
    word other CRMs use; "" when not recognised."""
    raw = (text or "").strip()
    if not raw:
        return ""
    found = _lookup().get(_key(raw))
    if found:
        return found
    compact = _key(raw).upper()
    if re.fullmatch(r"[A-T]\d{2}\d*", compact) and compact[1:3] in _entries():  # C39, I6510 (a class code)
        return compact[1:3]
    if re.fullmatch(r"\d{3,4}", compact) and compact[:2] in _entries():  # 6510: a group or class of division 65
        return compact[:2]
    return ""
