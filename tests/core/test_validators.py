import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.core import masking, validators
from kehu.core.pinyin import name_search_keys

VALID_ID = "11010519491231002X"


def test_valid_resident_id_normalised():
    assert validators.validate_resident_id(" 11010519491231002x ") == VALID_ID


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "id_checksum"),
        ("11010519491231002", "id_format"),
        ("1101051949123100XX", "id_format"),
        ("110105491231002", "id_old"),
        ("11010519491331002" + validators.resident_id_check_digit("11010519491331002"), "id_birth_date"),
        ("11010520991231002" + validators.resident_id_check_digit("11010520991231002"), "id_birth_date"),
    ],
)
def test_bad_resident_ids(number, code):
    with pytest.raises(ValidationError) as error:
        validators.validate_resident_id(number)
    assert error.value.code == code


def test_resident_id_birth_date_must_match_profile():
    with pytest.raises(ValidationError) as error:
        validators.validate_resident_id(VALID_ID, birth_date=dt.date(1950, 1, 1))
    assert error.value.code == "id_birth_date_mismatch"
    assert validators.validate_resident_id(VALID_ID, birth_date=dt.date(1949, 12, 31)) == VALID_ID


def test_resident_id_gender_must_match_profile():
    encoded = validators.resident_id_gender(VALID_ID)
    other = "female" if encoded == "male" else "male"
    with pytest.raises(ValidationError) as error:
        validators.validate_resident_id(VALID_ID, gender=other)
    assert error.value.code == "id_gender_mismatch"
    assert validators.validate_resident_id(VALID_ID, gender=encoded) == VALID_ID
    assert validators.validate_resident_id(VALID_ID, gender="") == VALID_ID


def test_unknown_region_is_accepted():
    # region 990000 is not in stdnum's table; the number is otherwise valid
    first17 = "99000019900101123"
    number = first17 + validators.resident_id_check_digit(first17)
    assert validators.validate_resident_id(number) == number


@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_check_digit_is_what_the_validator_expects(seed):
    first17 = f"110105{19000101 + seed % 1000000:08d}"[:14] + f"{seed % 1000:03d}"
    try:
        dt.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        return
    number = first17 + validators.resident_id_check_digit(first17)
    assert validators.validate_resident_id(number) == number


def test_credit_code():
    assert validators.validate_credit_code("91110000600037341l".upper()) == "91110000600037341L"
    with pytest.raises(ValidationError) as error:
        validators.validate_credit_code("91110000600037341M")
    assert error.value.code == "uscc_checksum"
    with pytest.raises(ValidationError) as error:
        validators.validate_credit_code("9111000060003734")
    assert error.value.code == "uscc_length"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("13800138000", "+8613800138000"), ("138-0013-8000", "+8613800138000"), ("+86 138 0013 8000", "+8613800138000"),
     ("13800138000.0", "+8613800138000")],
)
def test_mobile_normalised(raw, expected):
    assert validators.normalize_mobile(raw) == expected


def test_landline_normalised_but_not_a_mobile():
    assert validators.normalize_phone("010-65529988") == "+861065529988"
    with pytest.raises(ValidationError):
        validators.normalize_mobile("010-65529988")


@pytest.mark.parametrize("raw", ["12345", "1380013800", "abc", "95588"])
def test_bad_phones(raw):
    with pytest.raises(ValidationError):
        validators.normalize_phone(raw)


def test_email():
    assert validators.validate_email(" Zhang.San@Example.COM ") == "zhang.san@example.com"
    with pytest.raises(ValidationError):
        validators.validate_email("zhang@")


def test_masking():
    assert masking.mask_phone("+8613812345678") == "138****5678"
    assert masking.mask_id_number("110105194912311234") == "1101**********1234"
    assert masking.mask_phone("") == ""


@pytest.mark.parametrize(
    ("name", "keys"),
    [("张三", ("zhangsan", "zs")), ("曾小贤", ("zengxiaoxian", "zxx")), ("单田芳", ("shantianfang", "stf")),
     ("欧阳修", ("ouyangxiu", "oyx")), ("解缙", ("xiejin", "xj")), ("Tom 王", ("tomwang", "tw"))],
)
def test_pinyin_keys(name, keys):
    assert name_search_keys(name) == keys


def test_organisation_names_use_plain_readings():
    # 曾 in an organisation name is not a surname
    assert name_search_keys("曾经科技有限公司", is_person=False)[1].startswith("cj")


@pytest.mark.parametrize(
    ("name", "initials"),
    [("长沙德润信息科技有限公司", "csdrxxkjyxgs"), ("重庆银行", "cqyh"), ("张长青", "zcq"), ("乐清市乐器厂", "yqsyqc")],
)
def test_polyphonic_characters_read_in_context(name, initials):
    assert name_search_keys(name, is_person=False)[1] == initials


def test_landline_masking_keeps_the_area_code():
    assert masking.mask_phone("+8641155555397") == "0411****5397"
    assert masking.mask_phone("+861065529988") == "010****9988"


# --- the fast checks (the one acceptance check of each identifier) held against python-stdnum ---------------------


def _stdnum_resident_id(number: str) -> bool:
    """python-stdnum's resident ID check without its region table (Kehu accepts unknown regions), with Kehu's bounds
    on the birth date (1900 up to today)."""
    from stdnum import exceptions
    from stdnum.cn import ric

    if len(number) != 18 or not number[:17].isdigit() or not number.isascii():
        return False
    if ric.calc_check_digit(number) != number[17]:
        return False
    try:
        born = ric.get_birth_date(number)
    except exceptions.ValidationError:
        return False
    return born.year >= 1900 and born <= dt.date.today()


def _form_id(number: str) -> bool:
    try:
        validators.validate_resident_id(number)
    except ValidationError:
        return False
    return True


@settings(max_examples=400)
@given(st.text(alphabet="0123456789X", min_size=17, max_size=19))
def test_resident_id_fast_check_agrees_with_stdnum(number):
    assert validators.resident_id_fast(number) == _stdnum_resident_id(number)
    assert _form_id(number) == _stdnum_resident_id(number)


@settings(max_examples=300)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()), st.integers(0, 999))
def test_resident_id_fast_check_accepts_valid_numbers(born, sequence):
    first17 = f"440305{born.strftime('%Y%m%d')}{sequence:03d}"
    number = first17 + validators.resident_id_check_digit(first17)
    assert validators.resident_id_fast(number) is True
    assert _form_id(number)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert validators.resident_id_fast(wrong) is False and not _form_id(wrong)


@settings(max_examples=300)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV", min_size=18, max_size=18))
def test_credit_code_fast_check_agrees_with_stdnum(code):
    from stdnum.cn import uscc

    assert validators.credit_code_fast(code) == uscc.is_valid(code)
    try:
        validators.validate_credit_code(code)
        valid = True
    except ValidationError:
        valid = False
    assert valid == uscc.is_valid(code)
