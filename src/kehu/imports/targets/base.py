"""What every import target shares: the column mapping, parsing a row into fields, duplicate keys, chunk outcomes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages
from kehu.org.models import User

from ..fields import FieldError, FieldSpec, auto_map, header_index
from ..readers import cell_text

Problem = tuple[str, str, str]  # column header, value as the user wrote it, reason
Prepared = tuple[int, dict[str, Any], list[Problem]]  # row number, parsed fields, problems


def is_blank(value: Any) -> bool:
    """An empty cell as its parser returns it ("", None, no tags); 0 and False are values."""
    return value is None or (value.__class__ in (str, tuple) and not value)


@dataclass
class RowOutcome:
    """What happened to one row (kept only for previews)."""

    row: int
    action: str  # created / updated / unchanged / failed (or would be, in a preview)
    values: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # an update's changed fields: (label, stored value, new value), personal data masked as the user must see it
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    # a matched customer whose name the row changes: (stored name, name in the file), to be confirmed
    renamed: tuple[str, str] | None = None
    # what the row is stored without, or stored with a doubt (an account manager not found): (column, value, reason)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ChunkOutcome:
    """Counts and problems of one chunk of rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, column, value, reason
    warnings: list[tuple[int, str, str, str]] = field(default_factory=list)  # rows stored, but worth a look
    rows: list[RowOutcome] = field(default_factory=list)
    # with ``apply(defer=True)``: the chunk's writes, to be called in the transaction that commits the chunk
    pending: Callable[[], None] | None = None

    def fail(self, row: int, problems: Iterable[Problem]) -> None:
        self.failed += 1
        for column, value, reason in problems:
            self.errors.append((row, column, value, reason))


class Target:
    """Base of the import targets. Subclasses define ``name``, ``keys``, :meth:`field_specs` and :meth:`apply` (and
    may add checks across a row's fields in :meth:`check_row`).

    ``columns`` is the field name of each file column (``""``: not imported), as produced by :meth:`map_columns`.
    """

    name = ""
    keys: tuple[str, ...] = ()
    # the field a key needs mapped when it is not the key's own name (transactions link by ``customer_code``...)
    key_fields: dict[str, str] = {}
    # tables the target looks rows up in; their planner statistics are refreshed while a big import fills them
    lookup_tables: tuple[str, ...] = ()
    # the columns of those tables rows are looked up by (refreshed alone on the way); a table not named: every column
    lookup_columns: dict[str, tuple[str, ...]] = {}
    # whether ``apply(defer=True)`` hands the chunk's writes back (``ChunkOutcome.pending``) instead of writing:
    # its writes then touch nothing the next chunk's lookups need (see ``services._ChunkWriter``)
    defers_writes = False

    def __init__(self, *, headers: list[str], columns: list[str], key: str, actor: User | None,
                 options: dict[str, Any] | None = None, job_id: int | None = None) -> None:
        self.headers = headers
        self.columns = columns
        self.key = key
        self.actor = actor
        self.options = options or {}
        self.job_id = job_id
        # an empty cell leaves the stored value alone unless the user asked that empty cells clear stored values
        self.clear_empty = bool(self.options.get("clear_empty"))
        self.specs = {spec.name: spec for spec in self.field_specs()}
        self.mapped: list[tuple[int, FieldSpec]] = [
            (index, self.specs[name]) for index, name in enumerate(columns) if name and name in self.specs
        ]
        self.mapped_names = {spec.name for _index, spec in self.mapped}
        self.header_of = {spec.name: headers[index] for index, spec in self.mapped}
        self._plan = [(index, spec.name, spec.parse, headers[index]) for index, spec in self.mapped]
        # keys of rows stored successfully in earlier chunks: a later row with the same key is a duplicate
        self.seen: dict[Any, int] = {}
        # prepare() may do costly derived work (pinyin keys) ahead when rows are prepared in parallel processes;
        # sequentially it is left to the database step, which does it only for rows that are created or changed
        self.prepare_search_keys = False

    # -- mapping -------------------------------------------------------------------------------------------------
    def field_specs(self) -> list[FieldSpec]:
        raise NotImplementedError

    @classmethod
    def extra_aliases(cls) -> dict[str, str]:
        return {}

    def map_columns(self, headers: list[str], explicit: dict[str, str] | None = None) -> list[str]:
        return auto_map(headers, header_index(self.field_specs(), self.extra_aliases()), explicit=explicit)

    def mapping_problems(self) -> list[str]:
        """Why this mapping cannot be imported (empty when it can)."""
        return []

    def display_fields(self) -> list[str]:
        """Fields the preview shows besides the mapped columns (derived from them)."""
        return []

    def value_choices(self, field: str) -> list[tuple[str, Any]]:
        """What a cell value of ``field`` may be mapped onto (none: the field takes no value mapping)."""
        return []

    def guess_value(self, field: str, raw: Any) -> str:
        """The value a cell of ``field`` is read as without a value mapping ("" when not recognised)."""
        return ""

    def column_label(self, name: str) -> str:
        """The file's header of a mapped field, or the field's label when the field is not mapped."""
        if name in self.header_of:
            return self.header_of[name]
        spec = self.specs.get(name)
        return str(spec.label) if spec else name

    # -- rows ----------------------------------------------------------------------------------------------------
    def parse(self, values: list[Any]) -> tuple[dict[str, Any], list[Problem]]:
        """The mapped cells of a row parsed into field values, and the problems found.

        Rows come padded to the header's width by the reader.
        """
        data: dict[str, Any] = {}
        problems: list[Problem] = []
        for index, name, parse, header in self._plan:
            raw = values[index]
            try:
                data[name] = parse(raw)
            except FieldError as error:
                problems.append((header, cell_text(raw), error.message))
        return data, problems

    def key_value(self, data: dict[str, Any]) -> Any:
        return data.get(self.key) or None

    def keeps_stored(self, value: Any) -> bool:
        """Whether a parsed cell leaves a stored value as it is when a row updates a record: an empty cell does,
        unless the import was asked to clear stored values with empty cells (option ``clear_empty``)."""
        return not self.clear_empty and is_blank(value)

    def remember_row(self, values: list[Any], row: int) -> None:
        """Remember the key of a row stored before a checkpoint (rebuilding :attr:`seen` when a job resumes)."""
        data, problems = self.parse(values)
        key = None if problems else self.key_value(data)
        if key is not None:
            self.seen.setdefault(key, row)

    def duplicate_problem(self, key: Any, first_row: int) -> Problem:
        value = str(key)
        return (self.column_label(self.key), value,
                _("Duplicate of row %(row)d: the same %(key)s appears twice in the file.")
                % {"row": first_row, "key": self.column_label(self.key)})

    def prepare(self, rows: list[tuple[int, list[Any]]]) -> list[Prepared]:
        """Parse and check rows on their own (no database access: may run in a background thread)."""
        prepared = []
        for row, values in rows:
            data, problems = self.parse(values)
            self.check_row(data, problems)
            prepared.append((row, data, problems))
        return prepared

    def check_row(self, data: dict[str, Any], problems: list[Problem]) -> None:
        """Checks across the fields of one row (subclasses); adds to ``problems``."""

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        """Match prepared rows with the database and (when ``write``) store them, or with ``defer`` (targets that
        :attr:`defers_writes`) return the writes to make as the outcome's ``pending``."""
        raise NotImplementedError

    def process(self, rows: list[tuple[int, list[Any]]], *, write: bool, preview: bool = False) -> ChunkOutcome:
        """:meth:`prepare` and :meth:`apply` in one (the preview's few rows)."""
        return self.apply(self.prepare(rows), write=write, preview=preview)
