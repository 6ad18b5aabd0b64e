"""Pinyin search keys: the fast phrase path gives exactly what pypinyin and the former implementation gave.

``_reference_keys`` below is the implementation before phrase runs stopped going through ``pypinyin.lazy_pinyin``
(kept here only as the reference); names come from the benchmark generator plus hand-picked hard cases.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from kehu.core import pinyin as fast
from kehu.core.pinyin import COMPOUND_SURNAMES, SURNAME_READINGS, name_search_keys

# -- the former implementation, as the reference (cached per character as it was) -------------------------------------

_NON_KEY = re.compile(r"[^a-z0-9]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_RUNS = re.compile(r"([\u3400-\u9fff]+)|([A-Za-z0-9]+)")


@cache
def _reference_char(char: str) -> str:
    if not _HAN.match(char):
        return char.lower()
    readings = lazy_pinyin(char, style=Style.NORMAL, errors="ignore") if char else []
    return readings[0] if readings else ""  # the former implementation raised IndexError here


@cache
def _reference_polyphonic(char: str) -> bool:
    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return bool(readings) and len(set(readings[0])) > 1


def _reference_has_phrase(run: str) -> bool:
    return any(run[start:stop] in PHRASES_DICT
               for start in range(len(run) - 1) for stop in range(start + 2, len(run) + 1))


def _reference_run(run: str) -> tuple[str, ...]:
    if not any(_reference_polyphonic(char) for char in run) or not _reference_has_phrase(run):
        return tuple(_reference_char(char) for char in run)
    readings = lazy_pinyin(run, style=Style.NORMAL, errors="ignore")
    return tuple(readings) if len(readings) == len(run) else tuple(_reference_char(char) for char in run)


def _reference_split_compound(reading: str, surname: str) -> list[str]:
    first = _reference_char(surname[0])
    if reading.startswith(first):
        return [first, reading[len(first) :]]
    for cut in range(1, len(reading)):
        if reading[cut] not in "aeiou" and reading[cut - 1] in "aeioung":
            return [reading[:cut], reading[cut:]]
    return [reading]


def _reference_syllables(name: str, *, is_person: bool) -> list[str]:
    text = name.strip()
    syllables: list[str] = []
    if is_person and text:
        for surname, reading in COMPOUND_SURNAMES.items():
            if text.startswith(surname):
                syllables = _reference_split_compound(reading, surname)
                text = text[len(surname) :]
                break
        else:
            if text[0] in SURNAME_READINGS:
                syllables.append(SURNAME_READINGS[text[0]])
                text = text[1:]
    for han_run, word in _RUNS.findall(text):
        if han_run:
            syllables.extend(_reference_run(han_run))
        elif word:
            syllables.append(word.lower())
    return syllables


def _reference_keys(name: str, *, is_person: bool = True) -> tuple[str, str]:
    syllables = [s for s in _reference_syllables(name or "", is_person=is_person) if s]
    full = _NON_KEY.sub("", "".join(syllables))
    initials = _NON_KEY.sub("", "".join(s[0] for s in syllables if s))
    return full[:200], initials[:60]


def _outcome(function, name: str, is_person: bool) -> object:
    """The keys, or the kind of error."""
    try:
        return function(name, is_person=is_person)
    except Exception as error:
        return type(error)


# -- names ---------------------------------------------------------------------------------------------------------

HARD_CASES = [
    "", " ", "  \t ", "\u3000张三\u3000", "张三", "长沙", "重庆", "银行", "重庆银行", "长沙银行股份有限公司",
    "长沙德润信息科技有限公司", "乐清市乐器厂", "朝阳区都市银行", "成都重型机械厂", "首都长安行", "行长", "长行",
    "曾小贤", "曾经科技有限公司", "单田芳", "单于", "单于飞", "欧阳修", "欧阳", "欧", "尉迟恭", "尉迟", "长孙无忌",
    "万俟卨", "澹台灭明", "令狐冲", "诸葛亮", "上官婉儿", "皇甫嵩", "东方不败", "司马光", "解缙", "乐嘉", "乐乐",
    "朝晖", "朝朝暮暮", "重阳", "重重", "都都", "行行", "长长久久", "张长青", "王乐然", "李重", "朴树", "查良镛",
    "Tom 王", "王 Tom", "Tom", "ABC123", "123", "王123", "王·小明", "王小明（财务）", "张三、李四", "a1b2张c3",
    "中国银行上海分行", "北京长城汽车", "重庆朝天门都市行", "乐山乐水", "长乐", "都江堰", "音乐", "快乐行",
    "㐀", "㐂", "张㐂", "䶵", "鿿", "龥", "一", "〇", "𠀀", "张\u4dc0", "\u4dc0", "长沙\u4dc0", "重庆䶵银行", "張三",
    "長沙銀行", "重慶", "Ｔｏｍ", "ÉCOLE 长沙", "长沙 重庆", "长沙\n重庆", "行" * 30, "长沙" * 120, "王" + "乐" * 80,
]


def _load_generator() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("kehu_bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated_names() -> list[tuple[str, bool]]:
    """3,000 person and 1,000 organisation names as the benchmark files have them."""
    generate = _load_generator()
    names: list[tuple[str, bool]] = []
    persons = organisations = 0
    index = 0
    while persons < 3000 or organisations < 1000:
        row = generate.customer_row(index)
        index += 1
        is_person = row[1] == "个人"
        if is_person and persons < 3000:
            persons += 1
        elif not is_person and organisations < 1000:
            organisations += 1
        else:
            continue
        names.append((row[2], is_person))
    return names


# -- tests ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("is_person", [True, False])
@pytest.mark.parametrize("name", HARD_CASES)
def test_hard_cases_unchanged(name, is_person):
    assert _outcome(name_search_keys, name, is_person) == _outcome(_reference_keys, name, is_person)


def test_generated_names_unchanged(generated_names):
    differences = [(name, is_person) for name, is_person in generated_names
                   for kind in (is_person, not is_person)
                   if name_search_keys(name, is_person=kind) != _reference_keys(name, is_person=kind)]
    assert differences == []


def test_rare_characters_unchanged():
    # every 23rd code point of the range, all without a reading in pypinyin, and the hexagrams it does not count as Han
    chars = {chr(code) for code in range(0x3400, 0xA000, 23)}
    chars |= {chr(code) for code in range(0x3400, 0xA000) if code not in PINYIN_DICT}
    chars |= {chr(code) for code in range(0x4DC0, 0x4E00)}
    for char in sorted(chars):
        for name in (char, f"长{char}", f"长沙{char}银行", f"{char}重庆"):
            for is_person in (True, False):
                assert _outcome(name_search_keys, name, is_person) == _outcome(_reference_keys, name, is_person), name


def _phrase_runs() -> list[str]:
    """Phrases with a polyphonic character, alone and run together with other phrases and single characters."""
    phrases = sorted(phrase for phrase in PHRASES_DICT if any(fast._is_polyphonic(char) for char in phrase))[::15]
    runs = list(phrases)
    runs += [first + second for first, second in zip(phrases, phrases[7:], strict=False)][::3]
    runs += [f"长{phrase}行" for phrase in phrases[::5]] + [f"{phrase}有限公司" for phrase in phrases[::5]]
    return runs


def test_phrase_readings_are_pypinyins():
    runs = _phrase_runs()
    assert len(runs) > 2000
    for run in runs:
        readings = lazy_pinyin(run, style=Style.NORMAL, errors="ignore")
        expected = tuple(readings) if len(readings) == len(run) else None
        assert fast._phrase_pinyin(run) == expected, run
        assert fast._has_phrase(run) == _reference_has_phrase(run), run
        assert fast._run_pinyin(run) == _reference_run(run), run


def test_has_phrase_of_generated_names(generated_names):
    runs = {run for name, _is_person in generated_names for run, _word in _RUNS.findall(name) if run}
    for run in runs:
        assert fast._has_phrase(run) == _reference_has_phrase(run), run


def test_compound_surnames_are_two_characters():
    # _syllables looks compound surnames up by the name's first two characters
    assert all(len(surname) == 2 for surname in COMPOUND_SURNAMES)


def test_cached_names_keep_kind_apart():
    assert name_search_keys("曾经", is_person=True) == ("zengjing", "zj")
    assert name_search_keys("曾经", is_person=False) == ("cengjing", "cj")
    assert name_search_keys("曾经", is_person=True) == ("zengjing", "zj")
    assert name_search_keys(None) == ("", "")  # type: ignore[arg-type]


def test_characters_without_a_reading_add_nothing_to_the_keys():
    assert name_search_keys("张\u3402三") == ("zhangsan", "zs")
    assert name_search_keys("\u4dc0") == ("", "")
    assert name_search_keys("王\u4dc0", is_person=False) == ("wang", "w")
