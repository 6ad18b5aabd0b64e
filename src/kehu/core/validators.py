"""Validators for Chinese identifiers and contact data, raising ``ValidationError`` with translated messages.

Resident ID numbers and unified social credit codes are accepted by one fast check each (:func:`resident_id_fast`,
:func:`credit_code_fast`: pure arithmetic, no region lookup), used by the forms, the models and the import alike; a
value the fast check refuses goes through the detailed checks only to say why, with python-stdnum (``stdnum.cn.ric``,
``stdnum.cn.uscc``) naming what is wrong. The tests hold the fast checks against python-stdnum. Phone parsing comes
from phonenumbers; this module adapts them to Kehu's rules and messages.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric, uscc

RESIDENT_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")


def resident_id_check_digit(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID number.

    The weights 2^(17-i) mod 11 make the weighted sum the number's value in base 2 modulo 11, and since 13 ≡ 2
    (mod 11) Python's ``int(first17, 13)`` computes it in C: the check value is (1 − 2·sum) mod 11.
    """
    checksum = (1 - 2 * int(first17, 13)) % 11
    return "X" if checksum == 10 else str(checksum)


_TODAY: list[Any] = [0.0, dt.date.today()]


def cached_today() -> dt.date:
    """The system's date, looked up at most once a minute (``date.today()`` costs more than the rest of an ID check
    when a million rows are checked)."""
    now = time.monotonic()
    if now - _TODAY[0] > 60:
        _TODAY[:] = [now, dt.date.today()]
    return _TODAY[1]  # type: ignore[no-any-return]


def resident_id_fast(number: str) -> bool:
    """True when a normalised number is a valid resident ID number: 17 digits and the right check character, a
    birth date that exists, from 1900 up to today (an unknown region code is accepted: python-stdnum's region list is
    incomplete). The one acceptance check of resident ID numbers."""
    if len(number) != 18 or not number.isascii():
        return False
    body = number[:17]
    if not body.isdigit():
        return False
    checksum = (1 - 2 * int(body, 13)) % 11
    if number[17] != ("X" if checksum == 10 else str(checksum)):
        return False
    year = int(number[6:10])
    if year < 1900:
        return False
    try:
        born = dt.date(year, int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born <= cached_today()


def normalize_resident_id(value: str) -> str:
    """Strip spaces and upper-case the trailing x."""
    return re.sub(r"\s+", "", str(value or "")).upper()


def validate_resident_id(value: str, *, birth_date: dt.date | None = None, gender: str = "") -> str:
    """Validate an 18-digit PRC resident ID number and return it normalised.

    Checks the form, the check digit, the birth date it encodes and, when given, that it matches ``birth_date`` and
    that its 17th digit (odd for men, even for women) matches ``gender`` ("male" or "female").
    An unknown region code is accepted: python-stdnum's region list is incomplete.
    """
    number = normalize_resident_id(value)
    if resident_id_fast(number):
        _check_resident_id_matches(number, birth_date=birth_date, gender=gender)
        return number
    # refused: the detailed checks say why
    if len(number) == 15 and number.isdigit():
        raise ValidationError(_("Old 15-digit ID numbers are not accepted; enter the 18-digit number."), code="id_old")
    if not RESIDENT_ID_PATTERN.match(number):
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="id_format")
    if resident_id_check_digit(number[:17]) != number[17]:
        raise ValidationError(_("The ID number's check digit is wrong; please check the number."), code="id_checksum")
    try:
        encoded = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number contains an impossible birth date."), code="id_birth_date") from None
    if encoded > dt.date.today() or encoded.year < 1900:
        raise ValidationError(_("The ID number contains an impossible birth date."), code="id_birth_date")
    try:
        ric.validate(number)
    except stdnum_exceptions.InvalidComponent:
        pass  # unknown region: stdnum's table is incomplete, accept.
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("This is not a valid ID number."), code="id_invalid") from None
    raise ValidationError(_("This is not a valid ID number."), code="id_invalid")


def _check_resident_id_matches(number: str, *, birth_date: dt.date | None, gender: str) -> None:
    """The birth date and gender a valid number encodes against those given."""
    encoded = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if birth_date is not None and birth_date != encoded:
        raise ValidationError(
            _("The ID number gives the birth date %(encoded)s, but the profile says %(given)s.")
            % {"encoded": encoded.isoformat(), "given": birth_date.isoformat()},
            code="id_birth_date_mismatch",
        )
    encoded_gender = resident_id_gender(number)
    if gender in GENDER_GIVEN and encoded_gender and gender != encoded_gender:
        raise ValidationError(
            _("The ID number belongs to %(owner)s, but the gender given is %(given)s.")
            % {"owner": GENDER_OWNER[encoded_gender], "given": GENDER_GIVEN[gender]},
            code="id_gender_mismatch",
        )


# how the gender check names each gender ("The ID number belongs to a man, but the gender given is Female.")
GENDER_OWNER = {"male": gettext_lazy("a man"), "female": gettext_lazy("a woman")}
GENDER_GIVEN = {"male": gettext_lazy("Male"), "female": gettext_lazy("Female")}


def resident_id_birth_date(value: str) -> dt.date | None:
    """Return the birth date encoded in a (valid) resident ID number, or None."""
    number = normalize_resident_id(value)
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except (ValueError, IndexError):
        return None


def resident_id_gender(value: str) -> str | None:
    """Return ``"male"`` or ``"female"`` from the 17th digit of a resident ID number."""
    number = normalize_resident_id(value)
    if len(number) != 18 or not number[16].isdigit():
        return None
    return "male" if int(number[16]) % 2 else "female"


def normalize_credit_code(value: str) -> str:
    return re.sub(r"\s+", "", str(value or "")).upper()


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {character: value for value, character in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_fast(code: str) -> bool:
    """True when a normalised code is a valid unified social credit code: 18 characters of the code's alphabet,
    eight digits first, and the right check character. The one acceptance check of credit codes."""
    if len(code) != 18 or not code[:8].isascii() or not code[:8].isdigit():
        return False
    values = _USCC_VALUES
    try:
        total = sum(values[character] * weight for character, weight in zip(code[:17], _USCC_WEIGHTS, strict=True))
        values[code[17]]
    except KeyError:
        return False
    return code[17] == _USCC_ALPHABET[(31 - total) % 31]


def validate_credit_code(value: str) -> str:
    """Validate an 18-character unified social credit code (统一社会信用代码) and return it normalised."""
    code = normalize_credit_code(value)
    if credit_code_fast(code):
        return code
    # refused: python-stdnum says why
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length")
    try:
        uscc.validate(code)
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(
            _("The credit code's check character is wrong; please check the code."), code="uscc_checksum"
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("This is not a valid unified social credit code."), code="uscc_invalid") from None
    raise ValidationError(_("This is not a valid unified social credit code."), code="uscc_invalid")


def parse_phone(value: str, *, region: str = "CN") -> phonenumbers.PhoneNumber:
    text = str(value or "").strip()
    # Excel often turns 13800138000 into 13800138000.0
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("This is not a phone number."), code="phone_invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This phone number does not exist; please check it."), code="phone_invalid")
    return number


def normalize_phone(value: str, *, region: str = "CN") -> str:
    """Return the phone number in E.164 form (+8613800138000), raising ValidationError if it is not valid."""
    return phonenumbers.format_number(parse_phone(value, region=region), phonenumbers.PhoneNumberFormat.E164)


def normalize_mobile(value: str, *, region: str = "CN") -> str:
    """Like :func:`normalize_phone` but the number must be a mobile number."""
    number = parse_phone(value, region=region)
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValidationError(_("This is not a mobile number."), code="mobile_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """The national significant number of an E.164 string (+8613800138000 → 13800138000)."""
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)


def format_phone_display(e164: str) -> str:
    """Format a stored E.164 Chinese number for display (national format for +86, international otherwise)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_email(value: str) -> str:
    text = str(value or "").strip()
    try:
        django_validate_email(text)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address."), code="email_invalid") from None
    return text.lower()


# ------------------------------------------------------------------------------------------------- ranges of input
# Every date a user can enter is bounded here, in one place: model ``clean()``, forms, API schemas and import fields
# call these functions. Python's dates reach from year 1 to 9999, the database's further, but a time in year 1 or 9999
# cannot be converted between China time and UTC (OverflowError) and no such date is ever meant: they are typing
# mistakes or probes. The bounds are wide enough for any real record:
#   birth dates          1900-01-01 … today
#   founding dates       1800-01-01 … today (old firms: 同仁堂 and the like are older, but their records are not)
#   business dates/times 1900-01-01 … today + BUSINESS_YEARS_AHEAD years (transactions, consents, scoring dates,
#                        filters, custom date attributes; a few years ahead for planned or mistyped-but-plausible data)
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
EARLIEST_FOUNDING_DATE = dt.date(1800, 1, 1)
EARLIEST_BUSINESS_DATE = dt.date(1900, 1, 1)
BUSINESS_YEARS_AHEAD = 5

# tags: at most this many on one customer (and in one request), each at most TAG_LENGTH_MAX characters
TAGS_PER_CUSTOMER_MAX = 50
TAG_LENGTH_MAX = 50


def today() -> dt.date:
    """Today in the current time zone (China time by default)."""
    return timezone.localdate()


def latest_business_date() -> dt.date:
    day = today()
    try:
        return day.replace(year=day.year + BUSINESS_YEARS_AHEAD)
    except ValueError:  # 29 February
        return day.replace(year=day.year + BUSINESS_YEARS_AHEAD, day=28)


def local_date(value: dt.date | dt.datetime) -> dt.date:
    """The calendar day of ``value`` in the current time zone, without overflowing at the ends of the calendar.

    A naive datetime is taken as local time. Near year 1 or 9999 the conversion can overflow; the UTC day is then
    close enough, since such a value is far outside every bound anyway.
    """
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            try:
                return timezone.localtime(value).date()
            except (OverflowError, ValueError):
                return value.date()
        return value.date()
    return value


def _check_range(value: dt.date | dt.datetime | None, earliest: dt.date, latest: dt.date, message: str) -> None:
    if value is None:
        return
    day = local_date(value)
    if not earliest <= day <= latest:
        raise ValidationError(message % {"earliest": earliest.isoformat(), "latest": latest.isoformat()},
                              code="date_out_of_range")


def validate_birth_date(value: dt.date | None) -> None:
    """A birth date from 1900-01-01 up to today."""
    _check_range(value, EARLIEST_BIRTH_DATE, today(),
                 _("Enter a birth date between %(earliest)s and today (%(latest)s)."))


def validate_founding_date(value: dt.date | None) -> None:
    """A founding (registration) date from 1800-01-01 up to today."""
    _check_range(value, EARLIEST_FOUNDING_DATE, today(),
                 _("Enter a founding date between %(earliest)s and today (%(latest)s)."))


def validate_business_date(value: dt.date | dt.datetime | None) -> None:
    """A business date or time (a purchase, a consent, an as-of date, a filter): from 1900-01-01 up to a few years
    after today."""
    _check_range(value, EARLIEST_BUSINESS_DATE, latest_business_date(),
                 _("Enter a date between %(earliest)s and %(latest)s."))


def validate_past_business_date(value: dt.date | dt.datetime | None) -> None:
    """A business date or time that has happened: from 1900-01-01 up to today."""
    _check_range(value, EARLIEST_BUSINESS_DATE, today(), _("Enter a date between %(earliest)s and today (%(latest)s)."))


# ------------------------------------------------------------------------------------------ what text may contain
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None: a NUL character (PostgreSQL refuses it in text and JSON) or
    a lone surrogate (half of a UTF-16 pair: it cannot be encoded to UTF-8)."""
    if "\x00" in value:
        return _("Null characters are not allowed.")
    if _SURROGATE.search(value):
        return _("This text contains an invalid character (a lone surrogate); please type it again.")
    return None

