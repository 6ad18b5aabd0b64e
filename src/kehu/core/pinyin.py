"""Pinyin search keys for Chinese names, so 张三 is found by ``zhangsan`` and ``zs``.

Keys are computed once on save and stored in indexed columns; nothing is converted at query time. Conversion is cached
per character (pypinyin per name is ~20× slower) except for runs containing a polyphonic character, which are read with
pypinyin's phrase dictionary (长沙 chang sha, not zhang sha); surnames with a special reading (曾 zeng, 单 shan) are
read from a small table because pypinyin's default reading is wrong for them (python-pinyin issue #297).

Phrase readings are what ``lazy_pinyin(run, errors="ignore")`` returns, computed the way it does (pypinyin's own
segmenter, then its phrase and character dictionaries) but without its per-call converter and style machinery (~0.3 ms
a run): the toneless form of each tone-marked syllable is computed once by pypinyin's style conversion and cached.
Whole names are cached too (bounded), since imports repeat names; ``tests/core/test_pinyin.py`` checks every path
against pypinyin and the former implementation.

pypinyin is imported on first use (its dictionaries take ~0.25 s to load): a ``kehu`` command that converts no name
does not pay for it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import SimpleNamespace

# Surname readings that differ from the character's most common reading.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha", "盖": "ge",
    "任": "ren", "缪": "miao", "翟": "zhai", "折": "she", "种": "chong", "覃": "qin", "乐": "yue", "召": "shao",
    "尉": "yu", "冼": "xian", "长": "chang", "沈": "shen", "秘": "bi", "繁": "po", "员": "yun", "句": "gou",
    "祭": "zhai", "谌": "chen", "藏": "zang", "阚": "kan", "燕": "yan", "宿": "su", "纪": "ji", "过": "guo",
    "华": "hua", "万": "wan", "尹": "yin", "薄": "bo", "叶": "ye", "柏": "bai", "孙": "sun", "隗": "wei",
}
COMPOUND_SURNAMES: dict[str, str] = {
    "尉迟": "yuchi", "万俟": "moqi", "单于": "chanyu", "长孙": "zhangsun", "澹台": "tantai", "令狐": "linghu",
    "欧阳": "ouyang", "司马": "sima", "上官": "shangguan", "诸葛": "zhuge", "皇甫": "huangfu", "东方": "dongfang",
}
_NON_KEY = re.compile(r"[^a-z0-9]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_RUNS = re.compile(r"([\u3400-\u9fff]+)|([A-Za-z0-9]+)")


@lru_cache(maxsize=1)
def _pypinyin() -> SimpleNamespace:
    """pypinyin's functions and dictionaries, imported on first use."""
    from pypinyin import Style, lazy_pinyin, pinyin
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS
    from pypinyin.converter import UltimateConverter
    from pypinyin.seg import mmseg

    return SimpleNamespace(
        Style=Style, lazy_pinyin=lazy_pinyin, pinyin=pinyin, PHRASES_DICT=PHRASES_DICT, PINYIN_DICT=PINYIN_DICT,
        RE_HANS=RE_HANS, mmseg=mmseg,
        converter=UltimateConverter(),  # what lazy_pinyin converts styles with (no v→ü, no tone sandhi)
    )


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    if not _HAN.match(char):
        return char.lower()
    # a character pypinyin has no reading for (㐂, U+4DC0 hexagrams) adds nothing to the keys
    py = _pypinyin()
    readings = py.lazy_pinyin(char, style=py.Style.NORMAL, errors="ignore") if char else []
    return readings[0] if readings else ""


@lru_cache(maxsize=65536)
def _is_polyphonic(char: str) -> bool:
    """True when a character has more than one toneless reading (长 chang/zhang, 重 chong/zhong)."""
    py = _pypinyin()
    readings = py.pinyin(char, style=py.Style.NORMAL, heteronym=True, errors="ignore")
    return bool(readings) and len(set(readings[0])) > 1


@lru_cache(maxsize=131072)
def _run_pinyin(run: str) -> tuple[str, ...]:
    """Readings of a run of Han characters: per character from the cache when none is polyphonic or when no part of
    the run is a phrase of pypinyin's dictionary (pypinyin then reads each character alone too: most given names),
    otherwise pypinyin's phrase reading of the whole run (长沙 → chang sha, 重庆 → chong qing)."""
    if any(_is_polyphonic(char) for char in run) and _has_phrase(run):
        readings = _phrase_pinyin(run)
        if readings is not None:
            return readings
    return tuple(_char_pinyin(char) for char in run)


def _has_phrase(run: str) -> bool:
    """True when some part of ``run`` (two characters or more) is in pypinyin's phrase dictionary. Parts are only
    extended while they begin some phrase (pypinyin's segmenter keeps the set of phrase prefixes)."""
    py = _pypinyin()
    for start in range(len(run) - 1):
        for stop in range(start + 2, len(run) + 1):
            part = run[start:stop]
            if part not in py.mmseg.p_set:
                break
            if part in py.PHRASES_DICT:
                return True
    return False


def _phrase_pinyin(run: str) -> tuple[str, ...] | None:
    """``lazy_pinyin(run, style=Style.NORMAL, errors="ignore")`` for a run of Han characters, or None when pypinyin
    would drop a character (one without a reading) and so read fewer syllables than characters. As in pypinyin: words
    from its segmenter (forward maximum matching over the phrase dictionary), a phrase read from ``PHRASES_DICT`` and
    any other character from ``PINYIN_DICT``, the first reading of each character, made toneless."""
    py = _pypinyin()
    if not py.RE_HANS.match(run):  # pypinyin drops what it does not count as Han (䷀, U+4DC0-U+4DFF)
        return None
    readings: list[str] = []
    for word in py.mmseg.seg.cut(run):
        word_readings = _word_pinyin(word)
        if word_readings is None:
            return None
        readings.extend(word_readings)
    return tuple(readings)


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...] | None:
    """Readings of a word of pypinyin's segmenter (a phrase or a character), None when a character has none."""
    py = _pypinyin()
    phrase = py.PHRASES_DICT.get(word)
    if phrase is not None:
        return tuple(_toneless(syllables[0]) for syllables in phrase)
    readings: list[str] = []
    for char in word:
        syllables = py.PINYIN_DICT.get(ord(char))
        if syllables is None:
            return None
        readings.append(_toneless(syllables.split(",", 1)[0]))
    return tuple(readings)


@lru_cache(maxsize=4096)
def _toneless(syllable: str) -> str:
    """Style.NORMAL of a tone-marked syllable (zhòng → zhong) by pypinyin's own conversion, which does not depend on
    the character the syllable belongs to (hence the empty ``han``)."""
    py = _pypinyin()
    return str(py.converter.convert_style("", syllable, style=py.Style.NORMAL, strict=True))


def _syllables(name: str, *, is_person: bool) -> list[str]:
    text = name.strip()
    syllables: list[str] = []
    if is_person and text:
        if text[:2] in COMPOUND_SURNAMES:  # all of two characters
            syllables = _split_compound(COMPOUND_SURNAMES[text[:2]], text[:2])
            text = text[2:]
        elif text[0] in SURNAME_READINGS:
            syllables.append(SURNAME_READINGS[text[0]])
            text = text[1:]
    for han_run, word in _RUNS.findall(text):
        if han_run:
            syllables.extend(_run_pinyin(han_run))
        elif word:  # a run of latin letters or digits counts as one syllable ("Tom 王" → tom, wang)
            syllables.append(word.lower())
    return syllables


def _split_compound(reading: str, surname: str) -> list[str]:
    first = _char_pinyin(surname[0])
    if reading.startswith(first):
        return [first, reading[len(first) :]]
    # readings that differ from the default (尉迟 yu-chi, 单于 chan-yu, 长孙 zhang-sun, 万俟 mo-qi)
    for cut in range(1, len(reading)):
        if reading[cut] not in "aeiou" and reading[cut - 1] in "aeioung":
            return [reading[:cut], reading[cut:]]
    return [reading]


def name_search_keys(name: str, *, is_person: bool = True) -> tuple[str, str]:
    """Return ``(full_pinyin, initials)`` for a name, lower-case ASCII only: 张三 → ("zhangsan", "zs")."""
    return _name_search_keys(name or "", bool(is_person))


@lru_cache(maxsize=200_000)
def _name_search_keys(name: str, is_person: bool) -> tuple[str, str]:
    syllables = _syllables(name, is_person=is_person)
    full = _NON_KEY.sub("", "".join(syllables))
    initials = _NON_KEY.sub("", "".join([s[0] for s in syllables if s]))
    return full[:200], initials[:60]
