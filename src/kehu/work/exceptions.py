"""Errors of the work machinery."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError


class RecordChangedError(ConcurrentUpdateError):
    """A task or approval was changed by someone else since the caller read it (409 in the API)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(current_version)
        self.args = (_("This record was changed by someone else in the meantime. Reload and apply your change "
                       "again."),)

    def __str__(self) -> str:
        return str(self.args[0])
