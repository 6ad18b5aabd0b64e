"""The customer import target: chunks of read rows matched against the stored customers the importing user may see,
each row turned into a new customer or a change of a stored one, and written by the customers app's bulk writer.

A chunk is matched with a fixed number of queries whatever its size (see the package's docstring); the rules of
matching (keys, scope, codes, name changes, kinds) are documented for users in the package's docstring too.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from django.db import connection

from kehu.core.bulkio import rows as bulk
from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages
from kehu.customers import rules
from kehu.customers.models import Customer, CustomerKind, OrganisationProfile, PersonProfile, Tag
from kehu.customers.upsert import (
    CUSTOMER_DEFAULTS,
    ORGANISATION_COLUMNS,
    ORGANISATION_DEFAULTS,
    PERSON_COLUMNS,
    PERSON_DEFAULTS,
    CustomerBulkWriter,
    CustomerChange,
    NewCustomer,
    derive_new,
)

from ..base import ChunkOutcome, Prepared, Problem, RowOutcome
from .preview import CustomerPreview
from .reading import (
    ATTNAME,
    DIVISION_CODES,
    DIVISION_NAMES,
    KEEP_WHEN_BLANK,
    KEY_COLUMNS,
    _fields,
)


class CustomerTarget(CustomerPreview):
    """Customers with their person or organisation profile, tags and custom attributes."""

    lookup_tables = ("customers_customer", "customers_personprofile", "customers_organisationprofile")
    defers_writes = True
    lookup_columns = {"customers_customer": ("id", "code", "mobile"),
                      "customers_personprofile": ("customer_id", "id_number"),
                      "customers_organisationprofile": ("customer_id", "credit_code")}

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        outcome = ChunkOutcome()
        parsed: list[tuple[int, dict[str, Any], str]] = []
        first_in_chunk: dict[Any, int] = {}
        for row, data, problems in prepared:
            if not problems:
                key = data.get(self.key) or None
                if key is None:
                    problems.append((self.column_label(self.key), "",
                                     _("The key column (%(key)s) is empty.") % {"key": self.column_label(self.key)}))
                else:
                    first = self.seen.get(key) or first_in_chunk.get(key)
                    if first is not None:
                        problems.append(self.duplicate_problem(key, first))
                    else:
                        first_in_chunk[key] = row
            if problems:
                outcome.fail(row, problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))
                continue
            parsed.append((row, data, self.row_kind(data)))
        if parsed:
            self._match_chunk(parsed, outcome, write=write, preview=preview, defer=defer)
        return outcome

    # -- the database part of a chunk ------------------------------------------------------------------------------
    def _select(self, fields: list[tuple[str, Any]], where: str, values: list[Any]) -> list[dict[str, Any]]:
        """Customers with profiles joined: ``fields`` are (alias, model field); keys are ``person__x`` etc."""
        quote = connection.ops.quote_name
        prefixes = {"c": "", "p": "person__", "o": "organisation__"}
        select = ", ".join(f"{alias}.{quote(field.column)}" for alias, field in fields)
        sql = (f"SELECT {select} FROM {quote(Customer._meta.db_table)} c "
               f"LEFT OUTER JOIN {quote(PersonProfile._meta.db_table)} p ON p.customer_id = c.id "
               f"LEFT OUTER JOIN {quote(OrganisationProfile._meta.db_table)} o ON o.customer_id = c.id WHERE")
        keys = [prefixes[alias] + field.column for alias, field in fields]
        return [dict(zip(keys, row, strict=True))
                for row in bulk.select_rows(sql, where, values, [field for _alias, field in fields])]

    def _stored_by_key(self, keys: list[Any]) -> tuple[dict[Any, dict[str, Any]], set[Any]]:
        """The stored customers with the chunk's keys: the columns the file maps and those needed to compare.

        Only customers the importing user may see are found: a key that only customers outside the user's scope
        have reads as a key no customer has (their existence is never revealed; see :attr:`_hidden_keys`).
        """
        columns = {"id", "version", "kind", "code", "name", "share_of_wallet", "relationship_stage", "owner_id",
                   "branch_id"}
        if self.custom_mapped:
            columns.add("custom_attributes")
        fields = _fields(Customer, "c", sorted(columns | {ATTNAME.get(name, name) for name in self.customer_mapped}))
        if self.person_mapped:
            fields += _fields(PersonProfile, "p", PERSON_COLUMNS)
        if self.organisation_mapped:
            fields += _fields(OrganisationProfile, "o", ORGANISATION_COLUMNS)
        alias, column = KEY_COLUMNS[self.key]
        model = {"c": Customer, "p": PersonProfile, "o": OrganisationProfile}[alias]
        fields.append((alias, model._meta.get_field(column)))
        key_name = {"c": "", "p": "person__", "o": "organisation__"}[alias] + column
        found: dict[Any, dict[str, Any]] = {}
        ambiguous: set[Any] = set()
        records = self._select(fields, f"{alias}.{connection.ops.quote_name(column)}", keys)
        self._hidden_keys = set()
        if self.actor is not None and records:
            visible = self._visible_ids([record["id"] for record in records])
            self._hidden_keys = {record[key_name] for record in records if record["id"] not in visible}
            records = [record for record in records if record["id"] in visible]
            self._hidden_keys -= {record[key_name] for record in records}
        for record in records:
            key = record[key_name]
            if key in found and found[key]["id"] != record["id"]:
                ambiguous.add(key)
            found[key] = record
        return found, ambiguous

    def _visible_ids(self, ids: list[int]) -> set[int]:
        """Those of these customers the importing user may see."""
        if self.actor is None or (self.scope is None and self.actor.has_perm("customers.view_customer")):
            return set(ids)  # the operator, administrators and auditors see every customer
        visible: set[int] = set()
        for start in range(0, len(ids), 5000):
            visible.update(Customer.objects.visible_to(self.actor).filter(pk__in=ids[start:start + 5000])
                           .values_list("pk", flat=True))
        return visible

    def _match_chunk(self, parsed: list[tuple[int, dict[str, Any], str]], outcome: ChunkOutcome, *,
               write: bool, preview: bool, defer: bool = False) -> None:
        existing, ambiguous = self._stored_by_key([data[self.key] for _row, data, _kind in parsed])
        changeable: set[int] | None = None
        if self.actor is not None and existing:
            ids = [record["id"] for record in existing.values()]
            changeable = set(Customer.objects.visible_to(self.actor, "change").filter(pk__in=ids)
                             .values_list("pk", flat=True))
        codes_in_use: dict[str, int] = {}
        hidden_codes: set[str] = set()
        if "code" in self.mapped_names and self.key != "code":
            codes = [data["code"] for _row, data, _kind in parsed if data.get("code")]
            if codes:
                codes_in_use = dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))
                if self.actor is not None and codes_in_use:
                    visible = self._visible_ids(list(codes_in_use.values()))
                    hidden_codes = {code for code, pk in codes_in_use.items() if pk not in visible}
        current_tags: dict[int, tuple[str, ...]] = {}
        if "tags" in self.mapped_names and existing:
            names: dict[int, list[str]] = defaultdict(list)
            quote = connection.ops.quote_name
            sql = (f"SELECT t.customer_id, g.name FROM {quote(Customer.tags.through._meta.db_table)} t "
                   f"JOIN {quote(Tag._meta.db_table)} g ON g.id = t.tag_id WHERE")
            for customer_id, tag_name in bulk.select_rows(sql, "t.customer_id",
                                                          [record["id"] for record in existing.values()],
                                                          [None, None]):
                names[customer_id].append(tag_name)
            current_tags = {customer_id: tuple(sorted(values)) for customer_id, values in names.items()}

        creates: list[NewCustomer] = []
        updates: list[CustomerChange] = []
        for row, data, kind in parsed:
            key = data[self.key]
            problems: list[Problem] = []
            row_warnings = self._unmatched_values(row, data)
            record = existing.get(key)
            code = data.get("code") or ""
            if code and self.key != "code":
                owner_of_code = codes_in_use.get(code)
                first = self.seen_codes.get(code)
                if owner_of_code is not None and code in hidden_codes:
                    problems.append((self.header_of["code"], code, self._code_not_available(code)))
                elif owner_of_code is not None and (record is None or record["id"] != owner_of_code):
                    problems.append((self.header_of["code"], code,
                                     _("Another customer already has the code %(code)s.") % {"code": code}))
                elif first is not None:
                    problems.append((self.header_of["code"], code,
                                     _("Duplicate of row %(row)d: the same %(key)s appears twice in the file.")
                                     % {"row": first, "key": self.header_of["code"]}))
            if key in ambiguous:
                problems.append((self.column_label(self.key), str(key),
                                 _("Several stored customers have this %(key)s; import with another key.")
                                 % {"key": self.column_label(self.key)}))
            if problems:
                self._failed(outcome, row, data, problems, preview)
                continue
            if record is None:
                result = self._new_customer(row, data, kind, problems)
                if result is not None and not problems and self.key == "code" and key in self._hidden_keys:
                    # codes are unique company-wide: the code of a customer the user may not see cannot be taken
                    problems.append((self.column_label("code"), str(key), self._code_not_available(str(key))))
                if problems or result is None:
                    self._failed(outcome, row, data, problems, preview)
                    continue
                creates.append(result)
                if preview:
                    outcome.rows.append(RowOutcome(row, "created", self._display(data, result.customer)))
            else:
                if changeable is not None and record["id"] not in changeable or not self.may_change:
                    problems.append((self.column_label(self.key), str(key),
                                     _("You may not change the customer with this %(key)s.")
                                     % {"key": self.column_label(self.key)}))
                    self._failed(outcome, row, data, problems, preview)
                    continue
                change = self._customer_change(record, data, kind, current_tags.get(record["id"], ()), problems)
                if problems or change is None:
                    self._failed(outcome, row, data, problems, preview)
                    continue
                if change.is_empty:
                    outcome.unchanged += 1
                    if preview:
                        outcome.rows.append(RowOutcome(row, "unchanged",
                                                       self._display(data, self._as_stored(record))))
                else:
                    diff = self._diff(record, change, current_tags.get(record["id"], ())) if preview else []
                    renamed = (record["name"], change.changes["name"]) if "name" in change.changes else None
                    if renamed is not None and not self.accept_name_changes:
                        problems.append((self.column_label("name"), renamed[1],
                                         _("The file renames this customer from “%(old)s” to “%(new)s”: confirm the "
                                           "name changes to rename it, or correct the name in the file.")
                                         % {"old": renamed[0], "new": renamed[1]}))
                        outcome.fail(row, problems)
                        if preview:
                            outcome.rows.append(RowOutcome(row, "failed",
                                                           self._display(data, self._as_stored(record, change)),
                                                           problems, diff, renamed))
                        continue
                    updates.append(change)
                    if preview:
                        outcome.rows.append(RowOutcome(row, "updated",
                                                       self._display(data, self._as_stored(record, change)),
                                                       changes=diff, renamed=renamed))
            if code and self.key != "code":
                self.seen_codes.setdefault(code, row)
            outcome.warnings.extend(row_warnings)
            if preview and row_warnings and outcome.rows and outcome.rows[-1].row == row:
                outcome.rows[-1].warnings = [(column, value, reason) for _row, column, value, reason in row_warnings]
        outcome.created += len(creates)
        outcome.updated += len(updates)
        if creates:
            self._warn_likely_duplicates(creates, outcome)
        if write and defer:
            outcome.pending = partial(self._write_customers, creates, updates)
        elif write:
            self._write_customers(creates, updates)
        failed_rows = {error[0] for error in outcome.errors}
        for row, data, _kind in parsed:
            if row not in failed_rows:
                self.seen.setdefault(data[self.key], row)

    @staticmethod
    def _code_not_available(code: str) -> str:
        """The code of a customer outside the user's scope: said as it would be of any code not to be had."""
        return _("The code %(code)s is not available for a new customer: choose another code.") % {"code": code}

    def _owner_out_of_scope(self, owner_id: int) -> Problem:
        return (self.column_label("owner"), self._owner_names.get(owner_id, ""),
                _("You may only give customers to staff of your own branches."))

    def _warn_likely_duplicates(self, creates: list[NewCustomer], outcome: ChunkOutcome) -> None:
        """New rows whose mobile, ID number or credit code a stored customer already has: stored, with a warning.

        The detection is the customers app's (``customers.duplicates``): only customers the importer can see are
        named; one batched query per identifier over its index. The key itself never matches, or the row would be
        an update.
        """
        from kehu.customers.duplicates import customer_codes_by_identifier

        checks = [
            ("mobile", lambda create: create.customer.get("mobile")),
            ("id_number", lambda create: (create.person or {}).get("id_number")),
            ("credit_code", lambda create: (create.organisation or {}).get("credit_code")),
        ]
        for field_name, value_of in checks:
            if field_name == self.key or field_name not in self.mapped_names:
                continue
            values = {value_of(create): create for create in creates if value_of(create)}
            if not values:
                continue
            found = customer_codes_by_identifier(user=self.actor, criterion=field_name, values=list(values))
            label = self.column_label(field_name)
            for value, code in found.items():
                outcome.warnings.append((values[value].row, label, str(value),
                                         _("Looks like the stored customer %(code)s (same %(field)s): "
                                           "consider merging them.") % {"code": code, "field": label}))

    def _new_customer(self, row: int, data: dict[str, Any], kind: str, problems: list[Problem]) -> NewCustomer | None:
        if not self.may_add:
            problems.append((self.column_label(self.key), str(data.get(self.key, "")),
                             _("You may not create customers; this row matches no stored customer.")))
            return None
        kind = kind or CustomerKind.PERSON
        self._wrong_kind(kind, data, problems)
        customer = dict(CUSTOMER_DEFAULTS)
        for name in self.customer_mapped:
            value = data.get(name)
            if value is None and (name in KEEP_WHEN_BLANK or name in self.derived_only
                                  or CUSTOMER_DEFAULTS.get(name) is not None):
                continue
            customer[ATTNAME.get(name, name)] = value
        customer["kind"] = kind
        if not customer.get("name"):
            problems.append((self.column_label("name"), "", _("A name is required.")))
        if customer.get("branch_id") is None:
            customer["branch_id"] = self.default_branch_id
        if customer["branch_id"] is None:
            problems.append((self.column_label("branch"), "", _("A branch is required.")))
        elif self.scope is not None and customer["branch_id"] not in self.scope:
            problems.append((self.column_label("branch"), self._branch_names.get(customer["branch_id"], ""),
                             _("You may only put customers in your own branches.")))
        if customer.get("owner_id") is None:
            customer["owner_id"] = self.owner_by_default
        elif self.owner_scope is not None and customer["owner_id"] not in self.owner_scope:
            problems.append(self._owner_out_of_scope(customer["owner_id"]))
        customer["custom_attributes"] = self._custom_values(data, {}, kind, problems)
        if problems:
            return None
        person = organisation = None
        if kind == CustomerKind.PERSON:
            person = dict(PERSON_DEFAULTS)
            for name in self.person_mapped:
                value = data.get(name)
                if value is None and name in KEEP_WHEN_BLANK:
                    continue
                person[name] = value
        else:
            organisation = dict(ORGANISATION_DEFAULTS)
            for name in self.organisation_mapped:
                value = data.get(name)
                if value is None and name in KEEP_WHEN_BLANK:
                    continue
                organisation[name] = value
        tags = data.get("tags", ()) if "tags" in self.mapped_names else ()
        new = NewCustomer(customer=customer, person=person, organisation=organisation, tags=tags, row=row,
                          prepared_keys=self._prepared_keys(data, kind))
        # the customers app's rules: owner by default, relationship stage, search keys, birth date from the ID
        derive_new(new, self.write_scope)
        return new

    def _customer_change(self, record: dict[str, Any], data: dict[str, Any], kind: str, tags_now: tuple[str, ...],
                 problems: list[Problem]) -> CustomerChange | None:
        """What the row changes in a stored customer (``record`` holds the columns :meth:`_stored_by_key` fetched)."""
        stored_kind = record["kind"]
        if kind and kind != stored_kind and "kind" in self.mapped_names and data.get("kind"):
            problems.append((self.header_of["kind"], str(data["kind"]),
                             _("An import cannot change a customer's kind.")))
        code = data.get("code")
        if code and code != record["code"]:
            problems.append((self.header_of["code"], code,
                             _("This customer's code is %(code)s; an import does not change codes.")
                             % {"code": record["code"]}))
        self._wrong_kind(stored_kind, data, problems)
        changes: dict[str, Any] = {}
        for name in self.customer_mapped:
            if name in {"code", "kind"}:
                continue
            value = data.get(name)
            column = ATTNAME.get(name, name)
            if value is None and (name in KEEP_WHEN_BLANK or name in self.derived_only
                                  or CUSTOMER_DEFAULTS.get(column) is not None):
                continue  # no value (a value not recognised): the stored one stays, even with clear_empty
            if self.keeps_stored(value):
                continue
            if name == "notes" and name in self.derived_only:
                # a note the import adds (an industry not recognised) goes after the stored notes
                stored_notes = record["notes"] or ""
                if value in stored_notes:
                    continue
                value = f"{stored_notes}\n{value}".strip()
            if record[column] != value:
                changes[column] = value
        if set(DIVISION_NAMES) & set(changes):
            # a division named anew: its codes follow it, "" when the name is not recognised
            for code_name in DIVISION_CODES:
                if code_name in data and record[code_name] != (data[code_name] or ""):
                    changes[code_name] = data[code_name] or ""
        if "name" in changes and not changes["name"]:
            problems.append((self.column_label("name"), "", _("A name is required.")))
        if "branch_id" in changes and self.scope is not None and changes["branch_id"] not in self.scope:
            problems.append((self.column_label("branch"), self._branch_names.get(changes["branch_id"], ""),
                             _("You may only put customers in your own branches.")))
        if "owner_id" in changes:
            if not self.may_transfer:
                problems.append((self.column_label("owner"), self._owner_names.get(changes["owner_id"], ""),
                                 _("Giving a customer to another account manager is a transfer: you do not have "
                                   "permission to transfer customers.")))
            elif self.owner_scope is not None and changes["owner_id"] not in self.owner_scope:
                problems.append(self._owner_out_of_scope(changes["owner_id"]))
        if self.custom_mapped:
            stored_custom = record["custom_attributes"] or {}
            custom = self._custom_values(data, stored_custom, stored_kind, problems)
            if custom != stored_custom:
                changes["custom_attributes"] = custom
        if problems:
            return None
        # the customers app's rules: relationship stage, search keys and mobile suffix follow what changes
        rules.derive_changes(changes, record, prepared_keys=self._prepared_keys(data, stored_kind))
        update = CustomerChange(customer_id=record["id"], changes=changes)
        if "owner_id" in changes:
            update.transfer = (record["owner_id"], changes["owner_id"], record["branch_id"],
                               changes.get("branch_id"))
        if stored_kind == CustomerKind.PERSON and self.person_mapped:
            update.person = self._profile_change(record, "person__", PERSON_DEFAULTS, self.person_mapped, data)
        elif stored_kind == CustomerKind.ORGANISATION and self.organisation_mapped:
            update.organisation = self._profile_change(record, "organisation__", ORGANISATION_DEFAULTS,
                                                       self.organisation_mapped, data)
        if "tags" in self.mapped_names and tuple(data.get("tags", ())) != tags_now \
                and not self.keeps_stored(tuple(data.get("tags", ()))):
            update.tags = tuple(data.get("tags", ()))
        return update

    def _profile_change(self, record: dict[str, Any], prefix: str, defaults: dict[str, Any], mapped: set[str],
                        data: dict[str, Any]) -> dict[str, Any] | None:
        """The profile columns the row changes (all of them when the customer has no profile yet), or None."""
        missing = record[f"{prefix}customer_id"] is None
        stored = dict(defaults) if missing else {column: record[prefix + column] for column in defaults}
        profile = dict(stored)
        for name in mapped:
            value = data.get(name)
            if value is None and name in KEEP_WHEN_BLANK:
                continue
            if not missing and self.keeps_stored(value):
                continue
            profile[name] = value
        if prefix == "person__":
            rules.derive_person(profile)
        if missing:
            return profile
        changes = {column: value for column, value in profile.items() if stored[column] != value}
        return changes or None

    # -- writing ---------------------------------------------------------------------------------------------------
    def _bulk_writer(self) -> CustomerBulkWriter:
        """The customers app's bulk writer for this job (one per target: it remembers the tags it found)."""
        writer = getattr(self, "_writer", None)
        if writer is None:
            writer = self._writer = CustomerBulkWriter(
                scope=self.write_scope, reason=self.reason, now=self.now,
                transfer_batch=f"import-{self.job_id}" if self.job_id else "")
        return writer

    def _write_customers(self, creates: list[NewCustomer], updates: list[CustomerChange]) -> None:
        writer = self._bulk_writer()
        writer.create(creates)
        writer.update(updates)
