"""Masking of personal data for display (PIPL; GB/T 35273-2020 §7.2)."""

from __future__ import annotations

from .validators import national_digits


def mask_phone(e164: str) -> str:
    """138****5678 for an 11-digit mobile; keep the first 3 and last 4 digits of other numbers."""
    if not e164:
        return ""
    digits = national_digits(e164)
    if len(digits) <= 4:
        return "*" * len(digits)
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
    if not value or "@" not in value:
        return value or ""
    local, domain = value.split("@", 1)
    return (local[:1] + "***") + "@" + domain
