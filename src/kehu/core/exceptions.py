"""Exceptions shared by the services of several apps, each mapped to one HTTP answer by the API and the views."""

from __future__ import annotations


class IdempotencyConflictError(Exception):
    """A retried write carried a known idempotency key (an ``external_ref``) with a different body.

    An identical replay returns the first result; a different request under the same key is a client error (HTTP 409
    ``idempotency_conflict``), never silently answered with the first result.
    """

    def __init__(self, message: str, *, key: str, fields: list[str]) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields
