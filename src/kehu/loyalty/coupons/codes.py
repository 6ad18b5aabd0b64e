"""Coupon codes: 12 characters drawn with ``secrets`` from Crockford's 32 letters and digits (no I, L, O, U: 60
random bits, so a code cannot be guessed from another) and a Luhn mod 32 check character (python-stdnum), which
catches every mistyped character and most swapped neighbours before the database is asked."""

from __future__ import annotations

import secrets

from stdnum import luhn

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 12
LENGTH = RANDOM_LENGTH + 1


def code_new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _i in range(RANDOM_LENGTH))
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def code_normalise(text: str) -> str | None:
    """The code as stored, from what was typed or scanned (spaces, hyphens, lower case; O→0, I/L→1), or None when
    it cannot be a coupon code (wrong length, other characters, a failing check character)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = "".join(text.split()).replace("-", "").upper().replace("O", "0").replace("I", "1").replace("L", "1")
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    try:
        return code if luhn.is_valid(code, alphabet=ALPHABET) else None
    except Exception:  # noqa: BLE001 - python-stdnum raises its own errors for malformed input
        return None
