"""Field definitions of import targets: header matching and the per-cell parsers that validate and normalise values.

Parsers raise :class:`FieldError` with a message in the active language. They use the same validators as the forms
(``kehu.core.validators``, whose resident-ID and credit-code checks are the fast ones), with one fast path of their
own that gives the same result: an 11-digit Chinese mobile is matched against phonenumbers' own pattern for Chinese
mobiles. Anything refused goes through the form validator itself, so the messages are the forms' messages.

Cells from spreadsheets arrive typed: numbers as floats, dates as dates. A phone typed as a number
(13800138000.0) is read as text; an 18-digit ID number typed as a number has lost its last digits in the
spreadsheet (a double keeps 15–17 significant digits) and is rejected with a reason that says how to fix it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.functional import Promise

from kehu.core import validators
from kehu.core.messages import from_validation_error
from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages

from .aliases import CHOICE_ALIASES, FALSE_WORDS, REPORT_HEADERS, TRUE_WORDS
from .readers import cell_text


class FieldError(Exception):
    """A cell's value is not acceptable; ``message`` says why in the user's language."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        # a kehu.core.messages.Message (a str) keeps its code, to be shown in each reader's language
        self.message: str = message if isinstance(message, str) else str(message)


Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class FieldSpec:
    """One importable field: its name, label, the headers that map to it automatically and its cell parser."""

    name: str
    label: Promise | str
    aliases: tuple[str, ...]
    parse: Parser
    required: bool = False
    help: str = ""


# ---------------------------------------------------------------------------------------------------------- headers

_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|<.*?>")
_HEADER_NOISE = re.compile(r"[\s_*:：\-.。/\\#]")


def normalise_header(text: str) -> str:
    """Headers compare without case, spaces, ``*``, punctuation and bracketed remarks: 手机号码（必填）= 手机号码."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    stripped = _HEADER_NOISE.sub("", _BRACKETED.sub("", value)).lower()
    return stripped or _HEADER_NOISE.sub("", value).lower()


def header_index(specs: Iterable[FieldSpec], extra: dict[str, str] | None = None) -> dict[str, str]:
    """Normalised header → field name, from the aliases and the field labels in Chinese and English."""
    index: dict[str, str] = {}
    specs = list(specs)
    for spec in specs:
        for alias in spec.aliases:
            index.setdefault(normalise_header(alias), spec.name)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for spec in specs:
                index.setdefault(normalise_header(str(spec.label)), spec.name)
    for alias, name in (extra or {}).items():
        index.setdefault(normalise_header(alias), name)
    for ignored in REPORT_HEADERS:
        index[normalise_header(ignored)] = ""
    return index


def auto_map(headers: list[str], index: dict[str, str], *, explicit: dict[str, str] | None = None) -> list[str]:
    """The field of each column: from ``explicit`` (a saved or adjusted mapping, by header) or matched automatically.

    A field gets at most one column: when two columns match the same field, the first one wins and the other is
    ignored (the preview shows it as not imported).
    """
    explicit = explicit or {}
    explicit_normalised = {normalise_header(header): field for header, field in explicit.items()}
    taken: set[str] = set()
    columns: list[str] = []
    for header in headers:
        if header in explicit:
            field = explicit[header]
        elif normalise_header(header) in explicit_normalised:
            field = explicit_normalised[normalise_header(header)]
        else:
            field = index.get(normalise_header(header), "")
        if field and field in taken:
            field = ""
        if field:
            taken.add(field)
        columns.append(field)
    return columns


# ---------------------------------------------------------------------------------------------------------- parsers

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_CN_MOBILE = re.compile(
    "(?:" + str(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern) + ")"  # type: ignore[union-attr]
)
_MOBILE_SEPARATORS = str.maketrans("", "", " -")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:T?\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DECIMAL_NOISE = str.maketrans("", "", ",，¥￥元 \u3000")
_AMOUNT_NOISE = str.maketrans({"，": ",", "¥": None, "￥": None, "元": None, " ": None, "\u3000": None})
# a currency written as a code or a word before or after the amount: "RMB 88", "CNY88", "人民币 1,234.50", "88 RMB"
_CURRENCY_WORD = re.compile(r"^\s*(?:RMB|CNY|人民币)\s*|\s*(?:RMB|CNY|人民币)\s*$", re.IGNORECASE)
_TAG_SEPARATORS = re.compile(r"[,，;；、|/]")


def text_value(raw: Any) -> str:
    """A cell as stripped text."""
    if raw.__class__ is str:
        return raw.strip()
    return cell_text(raw).strip()


def text_parser(max_length: int) -> Parser:
    def parse(raw: Any) -> str:
        value = raw.strip() if raw.__class__ is str else cell_text(raw).strip()
        if len(value) > max_length:
            raise FieldError(_("Longer than %(max)d characters.") % {"max": max_length})
        if "\x00" in value:  # PostgreSQL cannot store it (kehu.core.validators.text_problem)
            raise FieldError(_("Null characters are not allowed."))
        return value

    return parse


def identifier_text(raw: Any, *, what: str = "number") -> str:
    """Text of a cell holding an identifier (phone, ID, code), refusing values a spreadsheet mangled."""
    if raw.__class__ is str:
        text = raw.strip()
    elif isinstance(raw, float):
        if not raw.is_integer() or abs(raw) >= 1e15:
            raise FieldError(_lost_digits(cell_text(raw), what))
        return str(int(raw))
    elif isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    else:
        text = cell_text(raw).strip()
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).strip()  # full-width digits and letters (１３８…, Ｘ) as typed
        if not text:
            return ""
    first = text[0]
    if first == "=" and text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()  # ="0123" keeps leading zeros in Excel
    elif first in "'\t":
        text = text.lstrip("'\t")
    if _SCIENTIFIC.match(text):
        raise FieldError(_lost_digits(text, what))
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def _lost_digits(shown: str, what: str) -> str:
    if what == "id":
        return _("The ID number was stored as a number and has lost its last digits (it reads %(value)s): format the "
                 "column as text and enter the numbers again.") % {"value": shown}
    return _("The number was stored as a number in scientific notation and has lost digits (it reads %(value)s): "
             "format the column as text and enter it again.") % {"value": shown}


def _fast_mobile(text: str) -> str | None:
    digits = text.translate(_MOBILE_SEPARATORS)
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) == 11 and digits.isascii() and digits.isdigit() and _CN_MOBILE.fullmatch(digits):
        return "+86" + digits
    return None


def parse_mobile(raw: Any) -> str:
    text = identifier_text(raw)
    if not text:
        return ""
    fast = _fast_mobile(text)
    if fast is not None:
        return fast
    try:
        return validators.normalize_mobile(text)
    except ValidationError as error:
        raise FieldError(from_validation_error(error)) from None


def parse_phone(raw: Any) -> str:
    text = identifier_text(raw)
    if not text:
        return ""
    fast = _fast_mobile(text)
    if fast is not None:
        return fast
    try:
        return validators.normalize_phone(text)
    except ValidationError as error:
        raise FieldError(from_validation_error(error)) from None


# A subset of what Django's EmailValidator accepts (dot-atom local part, letters-only top-level domain): addresses
# matching it are valid without running the validator; anything else goes through the validator.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def parse_email(raw: Any) -> str:
    text = raw.strip() if raw.__class__ is str else text_value(raw)
    if not text:
        return ""
    if len(text) > 254:
        raise FieldError(_("Longer than %(max)d characters.") % {"max": 254})
    if _PLAIN_EMAIL.fullmatch(text):
        return text.lower()
    try:
        return validators.validate_email(text)
    except ValidationError as error:
        raise FieldError(from_validation_error(error)) from None


def parse_resident_id(raw: Any) -> str:
    text = identifier_text(raw, what="id")
    if not text:
        return ""
    number = text.replace(" ", "").upper()
    if validators.resident_id_fast(number):
        return number
    try:
        return validators.validate_resident_id(number)
    except ValidationError as error:
        raise FieldError(from_validation_error(error)) from None


def parse_id_number_text(raw: Any) -> str:
    """An ID number of another document type (passport, permits): stripped and upper-cased."""
    text = identifier_text(raw, what="id")
    if text.isalnum():
        return text.upper()
    return _WHITESPACE.sub("", text).upper()


_WHITESPACE = re.compile(r"\s+")


def parse_credit_code(raw: Any) -> str:
    text = identifier_text(raw)
    if not text:
        return ""
    code = text.replace(" ", "").upper()
    if validators.credit_code_fast(code):
        return code
    try:
        return validators.validate_credit_code(text)
    except ValidationError as error:
        raise FieldError(from_validation_error(error)) from None


def parse_code(raw: Any) -> str:
    text = identifier_text(raw)
    if len(text) > 40:
        raise FieldError(_("Longer than %(max)d characters.") % {"max": 40})
    return text


def parse_date(raw: Any) -> dt.date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 19000101 <= raw <= 21001231 and float(raw).is_integer():
            return parse_date(str(int(raw)))
        if 1 <= raw < 2958466:
            return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise FieldError(_("Not a date: write it like 1990-01-31."))
    text = str(raw).strip()
    if not text:
        return None
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise FieldError(_("This date does not exist.")) from None
    raise FieldError(_("Not a date: write it like 1990-01-31."))


# ----------------------------------------------------------------- dates bounded as everywhere (kehu.core.validators)
def _bounded(day: dt.date, earliest: dt.date, latest: dt.date, check: Callable[[Any], None]) -> None:
    """Refuse ``day`` outside ``earliest``…``latest`` with the validator's own message (the bounds are compared here,
    per row, against a memoised today; the validator only words the error)."""
    if not earliest <= day <= latest:
        try:
            check(day)
        except ValidationError as error:
            raise FieldError(" ".join(error.messages)) from None
        raise FieldError(_("This date does not exist."))


def _latest_business_date() -> dt.date:
    today = validators.cached_today()
    try:
        return today.replace(year=today.year + validators.BUSINESS_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + validators.BUSINESS_YEARS_AHEAD, day=28)


def parse_birth_date(raw: Any) -> dt.date | None:
    """A birth date from 1900-01-01 up to today."""
    day = parse_date(raw)
    if day is not None:
        _bounded(day, validators.EARLIEST_BIRTH_DATE, validators.cached_today(), validators.validate_birth_date)
    return day


def parse_founding_date(raw: Any) -> dt.date | None:
    """A founding date from 1800-01-01 up to today."""
    day = parse_date(raw)
    if day is not None:
        _bounded(day, validators.EARLIEST_FOUNDING_DATE, validators.cached_today(), validators.validate_founding_date)
    return day


def parse_business_datetime(raw: Any) -> dt.datetime | None:
    """A time of business (a purchase) from 1900 up to a few years after today, in the current time zone."""
    moment = parse_datetime(raw)
    if moment is not None:
        _bounded(moment.date(), validators.EARLIEST_BUSINESS_DATE, _latest_business_date(),
                 validators.validate_business_date)
    return moment


def parse_datetime(raw: Any) -> dt.datetime | None:
    """A time in the current time zone (China time by default); a date alone is midnight."""
    if raw is None or raw == "":
        return None
    zone = timezone.get_current_timezone()
    if isinstance(raw, dt.datetime):
        return raw if timezone.is_aware(raw) else timezone.make_aware(raw, zone)
    if isinstance(raw, dt.date):
        return timezone.make_aware(dt.datetime(raw.year, raw.month, raw.day), zone)
    if isinstance(raw, float) and 1 <= raw < 2958466 and not (19000101 <= raw <= 21001231):
        moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=raw)
        return timezone.make_aware(moment.replace(microsecond=0), zone)
    text = text_value(raw)
    if not text:
        return None
    match = _DATE.match(text)
    if match:
        year, month, day, hour, minute, second = match.groups()
        try:
            moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            raise FieldError(_("This date does not exist.")) from None
        return timezone.make_aware(moment, zone)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        day = parse_date(text)  # raises the date message
        assert day is not None
        parsed = dt.datetime(day.year, day.month, day.day)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, zone)


def _decimal_comma(text: str) -> bool:
    """True when a comma of ``text`` is a decimal comma (1.234,50 / 1234,5), which dropping commas would misread.

    Commas are thousands separators (1,234.50): a comma after a dot, or followed by one or two digits at the end, is
    not one.
    """
    comma = text.rfind(",")
    tail = text[comma + 1:].rstrip("%")
    return "." in text[:comma] or (tail.isdigit() and len(tail) <= 2)


def decimal_parser(*, max_digits: int, places: int, minimum: Decimal | None = None,
                   maximum: Decimal | None = None) -> Parser:
    exponent = Decimal(1).scaleb(-places)
    limit = Decimal(10) ** (max_digits - places)

    def parse(raw: Any) -> Decimal | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, float):
            text = repr(raw)
        elif isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
            text = str(raw)
        else:
            source = raw if raw.__class__ is str else str(raw)
            if source[-1:].isalpha() or source.lstrip()[:1].isalpha() or "人民币" in source:
                source = _CURRENCY_WORD.sub("", source)
            text = source.translate(_DECIMAL_NOISE)
            if not text:
                return None
            if ("," in source or "，" in source) and _decimal_comma(source.strip().translate(_AMOUNT_NOISE)):
                raise FieldError(_("Not a number."))
            if text.endswith("%"):
                text = text[:-1]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FieldError(_("Not a number.")) from None
        if not number.is_finite():
            raise FieldError(_("Not a number."))
        number = number.quantize(exponent, rounding=ROUND_HALF_UP)
        if abs(number) >= limit:
            raise FieldError(_("The number is too large."))
        if minimum is not None and number < minimum:
            raise FieldError(_("The number must be at least %(minimum)s.") % {"minimum": minimum})
        if maximum is not None and number > maximum:
            raise FieldError(_("The number must be at most %(maximum)s.") % {"maximum": maximum})
        return number

    return parse


def parse_count(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip().replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        raise FieldError(_("Not a whole number of zero or more."))
    value = int(text)
    if value > 2147483647:
        raise FieldError(_("The number is too large."))
    return value


def parse_boolean(raw: Any) -> bool:
    text = text_value(raw).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise FieldError(_("Write 是 or 否 (yes or no)."))


def choice_parser(field: str, choices: Iterable[tuple[str, Any]], *, blank: str | None = "") -> Parser:
    """A parser accepting a choice's stored value, its label in Chinese or English, or a known alias.

    ``blank`` is returned for an empty cell (``None`` for fields where an empty cell means "leave as it is").
    """
    choices = list(choices)
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[str(value).lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup.setdefault(normalise_header(str(label)), value)
    for value, spellings in CHOICE_ALIASES.get(field, {}).items():
        for spelling in spellings:
            lookup.setdefault(normalise_header(spelling), value)

    def parse(raw: Any) -> str | None:
        text = text_value(raw)
        if not text:
            return blank
        value = lookup.get(text.lower()) or lookup.get(normalise_header(text))
        if value is None:
            labels = "、".join(str(label) for _value, label in choices)
            raise FieldError(_("Not one of: %(choices)s.") % {"choices": labels})
        return value

    return parse


def parse_tags(raw: Any) -> tuple[str, ...]:
    text = text_value(raw)
    if not text:
        return ()
    if "\x00" in text:
        raise FieldError(_("Null characters are not allowed."))
    names: list[str] = []
    for part in _TAG_SEPARATORS.split(text):
        name = part.strip()
        if not name:
            continue
        if len(name) > validators.TAG_LENGTH_MAX:
            raise FieldError(_("A tag has at most 50 characters."))
        if name not in names:
            names.append(name)
    if len(names) > validators.TAGS_PER_CUSTOMER_MAX:
        raise FieldError(_("A customer has at most %(max)s tags.") % {"max": validators.TAGS_PER_CUSTOMER_MAX})
    return tuple(sorted(names))


def lookup_parser(lookup: dict[str, Any], message: Callable[[str], str]) -> Parser:
    """A parser finding a value in ``lookup`` by the cell text (case-insensitive); unknown values are errors."""

    def parse(raw: Any) -> Any:
        text = text_value(raw)
        if not text:
            return None
        found = lookup.get(text)
        if found is None:
            found = lookup.get(text.lower())
        if found is None:
            raise FieldError(message(text))
        if found == "ambiguous":
            raise FieldError(_("“%(value)s” matches more than one record; use its code.") % {"value": text})
        return found

    return parse


def build_lookup(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A case-insensitive lookup; a name shared by two records is marked ambiguous."""
    lookup: dict[str, Any] = {}
    for text, value in pairs:
        if not text:
            continue
        for key in {text.strip(), text.strip().lower()}:
            if key in lookup and lookup[key] != value:
                lookup[key] = "ambiguous"
            else:
                lookup[key] = value
    return lookup
