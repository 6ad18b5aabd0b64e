"""Exceptions that services raise and every entry point (pages, API) knows how to answer."""

from __future__ import annotations

from django.utils.translation import gettext as _


class ConcurrentUpdateError(Exception):
    """The record was changed by someone else since the caller read it (optimistic concurrency: the API answers 409)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(_("This customer was changed by someone else in the meantime. Reload and apply your change "
                           "again."))
        self.current_version = current_version
