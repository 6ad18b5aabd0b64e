"""Cell parsers: the fast paths agree with the form validators; header matching in Chinese and English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.core import validators
from kehu.imports import fields
from kehu.imports.fields import FieldError

from .conftest import CREDIT_CODE


def _form_mobile(text: str) -> str | None:
    try:
        return validators.normalize_mobile(text)
    except ValidationError:
        return None


def _import_mobile(text: str) -> str | None:
    try:
        return fields.parse_mobile(text)
    except FieldError:
        return None


@settings(max_examples=400)
@given(st.integers(min_value=10_000_000_000, max_value=19_999_999_999))
def test_mobile_fast_path_agrees_with_the_form_validator(number):
    text = str(number)
    assert _import_mobile(text) == _form_mobile(text)
    assert _import_mobile("+86 " + text[:3] + " " + text[3:7] + " " + text[7:]) == _form_mobile(text)


@pytest.mark.parametrize("prefix", [f"1{second}{third}" for second in range(10) for third in range(10)])
def test_every_mobile_prefix_agrees_with_the_form_validator(prefix):
    for suffix in ("00000000", "12345678", "99999999"):
        assert _import_mobile(prefix + suffix) == _form_mobile(prefix + suffix)


def test_credit_code_parser():
    assert fields.parse_credit_code(" 91110000600037341l ") == CREDIT_CODE
    with pytest.raises(FieldError):
        fields.parse_credit_code("91110000600037341M")


@pytest.mark.parametrize("address", ["zhang.san@example.com", "a+b@mail.example.cn", "X_Y-z@sub.domain.org"])
def test_plain_email_fast_path_is_what_django_accepts(address):
    assert fields.parse_email(address) == validators.validate_email(address)


@pytest.mark.parametrize("address", ["a..b@example.com", "no-at-sign", "a@b", "x@-bad.com", "张@例子.中国x"])
def test_bad_emails_get_the_form_message(address):
    with translation.override("en"), pytest.raises(FieldError) as error:
        fields.parse_email(address)
    assert error.value.message == "Enter a valid email address."


def test_identifiers_from_spreadsheets():
    assert fields.parse_mobile(13800138000.0) == "+8613800138000"
    assert fields.parse_mobile("13800138000.0") == "+8613800138000"
    assert fields.parse_mobile('="13800138000"') == "+8613800138000"
    with translation.override("en"):
        with pytest.raises(FieldError) as error:
            fields.parse_resident_id(1.1010519491231e17)
        assert "lost its last digits" in error.value.message
        with pytest.raises(FieldError) as error:
            fields.parse_resident_id("1.10105E+17")
        assert "lost its last digits" in error.value.message
        with pytest.raises(FieldError) as error:
            fields.parse_mobile("1.38001E+10")
        assert "scientific notation" in error.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1990-01-31", dt.date(1990, 1, 31)), ("1990/1/31", dt.date(1990, 1, 31)), ("1990年1月31日", dt.date(1990, 1, 31)),
     ("19900131", dt.date(1990, 1, 31)), ("1990.01.31 10:00", dt.date(1990, 1, 31)), (32904.0, dt.date(1990, 1, 31)),
     (dt.datetime(1990, 1, 31, 8), dt.date(1990, 1, 31)), ("", None)],
)
def test_dates(raw, expected):
    assert fields.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["1990-02-30", "31/01/1990", "yesterday"])
def test_bad_dates(raw):
    with pytest.raises(FieldError):
        fields.parse_date(raw)


def test_decimals_and_counts():
    parse = fields.decimal_parser(max_digits=5, places=2, minimum=Decimal(0), maximum=Decimal(100))
    assert parse("¥1,2.5") == Decimal("12.50")
    assert parse("45%") == Decimal("45.00")
    assert parse(33.333) == Decimal("33.33")
    for bad in ("abc", "101", "-1", "NaN"):
        with pytest.raises(FieldError):
            parse(bad)
    assert fields.parse_count(12.0) == 12
    with pytest.raises(FieldError):
        fields.parse_count("-3")


def test_choices_accept_values_labels_and_chinese_words():
    from kehu.customers.models import LifecycleStatus

    parse = fields.choice_parser("lifecycle_status", LifecycleStatus.choices, blank=None)
    assert parse("现有客户") == "current"
    assert parse("Current") == "current"
    assert parse("lost") == "lost"
    assert parse("潜在") == "prospect"
    assert parse("") is None
    with pytest.raises(FieldError):
        parse("沉睡")


def test_header_matching_in_chinese_and_english():
    spec = [fields.FieldSpec("mobile", "mobile", ("手机号码", "手机", "mobile"), fields.parse_mobile),
            fields.FieldSpec("name", "name", ("姓名", "name"), fields.text_parser(10))]
    index = fields.header_index(spec)
    headers = ["手机号码（必填）", "Name ", "MOBILE", "备注", "错误原因"]
    assert fields.auto_map(headers, index) == ["mobile", "name", "", "", ""]
    assert fields.auto_map(["姓名", "手机"], index, explicit={"手机": ""}) == ["name", ""]
    assert fields.normalise_header(" 手机号码 * ") == fields.normalise_header("手机号码")
