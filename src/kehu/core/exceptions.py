"""Exceptions that services of several apps raise and every entry point (pages, API) knows how to answer."""

from __future__ import annotations

from django.utils.translation import gettext as _


class ConcurrentUpdateError(Exception):
    """The record was changed by someone else since the caller read it (optimistic concurrency: the API answers 409)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(_("This customer was changed by someone else in the meantime. Reload and apply your change "
                           "again."))
        self.current_version = current_version


class IdempotencyConflictError(Exception):
    """A retried write carried a known idempotency key (an ``external_ref``) with a different body.

    An identical replay returns the first result; a different request under the same key is a client error (HTTP 409
    ``idempotency_conflict``), never silently answered with the first result.
    """

    def __init__(self, message: str, *, key: str, fields: list[str]) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields
