"""Survey tokens: ``django.core.signing`` of the invitation id and a random nonce (salted, timestamped). The nonce is
stored only hashed (SHA-256) on the invitation; the token exists only in the message sent to the customer.

``token_read`` tells altered or malformed tokens (:class:`TokenInvalid`) from well-formed ones naming an invitation;
expiry and single use are decided against the invitation's row (``services.survey_answer``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core import signing

SALT = "kehu.service.surveys.token"
MAX_LENGTH = 300


class TokenInvalid(Exception):
    """The token is altered, malformed or names no invitation."""


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def token_make(invitation_id: int) -> tuple[str, str]:
    """A new token for the invitation and the hash to store: ``(token, token_hash)``."""
    nonce = secrets.token_urlsafe(18)
    token = signing.dumps({"i": int(invitation_id), "n": nonce}, salt=SALT, compress=False)
    return token, nonce_hash(nonce)


def token_read(token: str) -> tuple[int, str]:
    """``(invitation_id, nonce_hash)`` of a token whose signature holds, else :class:`TokenInvalid`."""
    if not token or len(token) > MAX_LENGTH or "\x00" in token:
        raise TokenInvalid
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise TokenInvalid from None
    if not isinstance(payload, dict):
        raise TokenInvalid
    invitation_id, nonce = payload.get("i"), payload.get("n")
    if not isinstance(invitation_id, int) or not isinstance(nonce, str) or not 0 < invitation_id < 2**63:
        raise TokenInvalid
    return invitation_id, nonce_hash(nonce)


def hashes_match(stored: str, presented: str) -> bool:
    return bool(stored) and hmac.compare_digest(stored, presented)
