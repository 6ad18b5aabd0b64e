"""Masking of personal data for display (PIPL; GB/T 35273-2020 §7.2)."""

from __future__ import annotations

from typing import Any

import phonenumbers

from .validators import national_digits


def _is_mobile(e164: str) -> bool:
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mask_phone(e164: str) -> str:
    """138****5678 for a mobile; 0411****5397 for a landline (the area code stays visible)."""
    if not e164:
        return ""
    digits = national_digits(e164)
    if e164.startswith("+86") and digits and not _is_mobile(e164):
        digits = "0" + digits  # Chinese landlines are written with the trunk prefix
    if len(digits) <= 4:
        return "*" * len(digits)
    if digits.startswith("0"):
        keep_head = 3 if digits[1] in "12" else 4  # 010, 021… or 0411, 0755…
    else:
        keep_head = 3 if len(digits) >= 10 else 1
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_id_number(value: str) -> str:
    """1101**********1234: the first 4 and last 4 characters of an ID number."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_email(value: str) -> str:
    """z***@example.com: the first character of the local part and the domain."""
    if not value or "@" not in value:
        return value or ""
    local, domain = value.split("@", 1)
    return (local[:1] + "***") + "@" + domain


def mask_address(value: str) -> str:
    """The street address hidden whole (province, city and district are separate fields and stay visible); a fixed
    length, so the mask does not tell how long the address is."""
    return "****" if value and str(value).strip() else ""


def mask_birth_date(value: Any) -> str:
    """1985-**-**: the year only (an age band for marketing) without the day a birthday identifies."""
    if not value:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:4] + "-**-**" if len(text) >= 4 else "****"
