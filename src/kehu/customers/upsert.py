"""The bulk writer of customers: many new customers, or many changes of stored ones, in a fixed number of
statements whatever their number. The import writes through it; the single services (``customer_create``,
``customer_update`` in :mod:`kehu.customers.services`) write one customer through the ORM with the same rules.

What it does for the rows its caller has read, normalised and matched (``kehu.imports`` for a file):

* checks them against the actor's write scope (:class:`WriteScope`: branches, account managers, permissions; a row
  outside it is the caller's bug and raises ``PermissionDenied``, the caller reports such rows as problems);
* derives what a record derives from its values (:mod:`kehu.customers.rules`: search keys, mobile suffix,
  relationship stage, birth date and gender from the resident ID number), allocates codes from the configured
  pattern and ids up front, sets versions and times;
* writes customers, profiles, their history records (django-simple-history), lifecycle records, ownership transfers,
  tag links and the timeline's activities (lifecycle changes, transfers) with the vendor's bulk primitives
  (:mod:`kehu.core.bulkio.rows`: ``COPY`` on PostgreSQL, ``executemany`` on SQLite, one ``UPDATE … FROM`` per table
  and set of changed columns).

Rows are plain dicts of database columns (``branch_id``, ``owner_id`` …): no model instance per row.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.bulkio import rows as bulk
from kehu.org.models import Branch, User

from . import rules
from .models import Activity, Customer, LifecycleChange, OrganisationProfile, OwnershipTransfer, PersonProfile, Tag

CUSTOMER_COLUMNS = [field.column for field in Customer._meta.concrete_fields]
PERSON_COLUMNS = [field.column for field in PersonProfile._meta.concrete_fields]
ORGANISATION_COLUMNS = [field.column for field in OrganisationProfile._meta.concrete_fields]


def _history_columns(model: Any) -> list[str]:
    columns = [field.column for field in model.history.model._meta.concrete_fields if field.column != "history_id"]
    # the record's own columns first, simple-history's last (what _history_row relies on)
    assert columns[-4:] == ["history_date", "history_change_reason", "history_type", "history_user_id"], columns
    return columns


HISTORY_CUSTOMER_COLUMNS = _history_columns(Customer)
HISTORY_PERSON_COLUMNS = _history_columns(PersonProfile)
HISTORY_ORGANISATION_COLUMNS = _history_columns(OrganisationProfile)
LIFECYCLE_COLUMNS = ["id", "customer_id", "field", "old_value", "new_value", "reason", "changed_at", "changed_by_id"]
TAG_LINK_COLUMNS = ["customer_id", "tag_id"]
ACTIVITY_COLUMNS = ["customer_id", "occurred_at", "kind", "actor_id", "branch_id", "subject_type", "subject_id",
                    "data"]


def _defaults(model: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.has_default():
            default = model_field.get_default()
            values[model_field.column] = getattr(default, "value", default)
        elif model_field.null:
            values[model_field.column] = None
    return values


# the columns of a new record before the row's values: the models' defaults
CUSTOMER_DEFAULTS = _defaults(Customer)
PERSON_DEFAULTS = _defaults(PersonProfile)
ORGANISATION_DEFAULTS = _defaults(OrganisationProfile)


@lru_cache(maxsize=32)
def _cached_getter(columns: tuple[str, ...]) -> Any:
    getter = itemgetter(*columns)
    return getter if len(columns) > 1 else (lambda record: (getter(record),))


def _getter(columns: list[str]) -> Any:
    """A fast ``record -> tuple of these columns`` (operator.itemgetter)."""
    return _cached_getter(tuple(columns))


@dataclass(frozen=True)
class WriteScope:
    """What an actor may write: computed once per import job (or request), checked per row without queries.

    ``branch_ids`` and ``owner_ids`` are ``None`` for an actor who sees every branch (and for the operator's
    commands, ``actor`` None).
    """

    actor: User | None
    branch_ids: frozenset[int] | None
    owner_ids: frozenset[int] | None
    may_add: bool
    may_change: bool
    may_transfer: bool
    owner_by_default: int | None  # account managers own what they create

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if self.actor is not None else None


def customer_write_scope(actor: User | None) -> WriteScope:
    """The write scope of ``actor`` (``None``: the operator's command line, which may do everything)."""
    from kehu.org.roles import Role
    from kehu.org.selectors import branch_ids_in_scope, owner_list, user_is_read_only, user_roles

    if actor is None:
        return WriteScope(actor=None, branch_ids=None, owner_ids=None, may_add=True, may_change=True,
                          may_transfer=True, owner_by_default=None)
    read_only = user_is_read_only(actor)
    ids = branch_ids_in_scope(actor)
    may_change = actor.has_perm("customers.change_customer") and not read_only
    return WriteScope(
        actor=actor, branch_ids=None if ids is None else frozenset(ids),
        # account managers named must be staff of the actor's branches (as in the forms)
        owner_ids=None if ids is None else frozenset(owner_list(user=actor).values_list("pk", flat=True)),
        may_add=actor.has_perm("customers.add_customer") and not read_only, may_change=may_change,
        # changing the account manager of a stored customer is a transfer, as in the UI and the API
        may_transfer=may_change and actor.has_perm("customers.transfer_customer"),
        owner_by_default=actor.pk if Role.ACCOUNT_MANAGER in user_roles(actor) else None,
    )


@dataclass
class NewCustomer:
    """A customer to create: its columns (the models' defaults for those not given; ``code`` "" for one from the
    pattern), its profile's columns (the one of its kind), its tags' names and the row it came from."""

    customer: dict[str, Any]
    person: dict[str, Any] | None = None
    organisation: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    row: int = 0
    prepared_keys: tuple[str, str] | None = None  # pinyin keys computed ahead, for the customer's name and kind
    created_at: dt.datetime | None = None  # when the customer was acquired, if not now (the demo's past year)
    derived: bool = False  # derive_new has filled the derived values (the import does, to preview them)


@dataclass
class CustomerChange:
    """What changes in a stored customer: its changed columns, its profile's changed columns (every column when the
    customer has no profile yet), its new tags (None: unchanged) and, for a new account manager, the transfer."""

    customer_id: int
    changes: dict[str, Any] = field(default_factory=dict)
    person: dict[str, Any] | None = None
    organisation: dict[str, Any] | None = None
    tags: tuple[str, ...] | None = None
    # (from owner, to owner, from branch, to branch or None when the branch stays)
    transfer: tuple[int | None, int | None, int | None, int | None] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.changes and self.person is None and self.organisation is None and self.tags is None


def derive_new(new: NewCustomer, scope: WriteScope) -> None:
    """Fill what a new customer derives (idempotent): owner by default, relationship stage, search keys, mobile
    suffix, version, birth date and gender from the ID number."""
    customer = new.customer
    if customer.get("owner_id") is None:
        customer["owner_id"] = scope.owner_by_default
    rules.derive_new_customer(customer, prepared_keys=new.prepared_keys)
    new.prepared_keys = (customer["name_pinyin"], customer["name_initials"])
    customer["version"] = 1
    if new.person is not None:
        rules.derive_person(new.person)
    new.derived = True


class CustomerBulkWriter:
    """Writes new customers and changes of stored ones in bulk for one actor with one reason (an import job).

    Holds what stays the same across an import's chunks: the actor's scope, the time and reason of the writes, the
    tag ids found so far. Call :meth:`create` and :meth:`update` inside the caller's transaction (each is atomic).
    """

    def __init__(self, *, scope: WriteScope, reason: str, now: dt.datetime, transfer_batch: str = "",
                 first_status_record: bool = True) -> None:
        self.scope = scope
        self.reason = reason
        self.now = now
        self.transfer_batch = transfer_batch or uuid.uuid4().hex
        # a new customer's first lifecycle record (as customer_create writes it); off for a caller that writes the
        # customers' lifecycle history itself (the demo's planned history)
        self.first_status_record = first_status_record
        self._tag_ids: dict[str, int] = {}
        self._branches: dict[int, Branch] | None = None

    # -- checks ------------------------------------------------------------------------------------------------------
    def _check_new(self, rows: list[NewCustomer]) -> None:
        scope = self.scope
        if not scope.may_add:
            raise PermissionDenied(_("You do not have permission to do this."))
        if scope.branch_ids is not None and any(new.customer["branch_id"] not in scope.branch_ids for new in rows):
            raise PermissionDenied(_("You may only put customers in your own branches."))
        if scope.owner_ids is not None and any(
                new.customer["owner_id"] is not None and new.customer["owner_id"] not in scope.owner_ids
                and new.customer["owner_id"] != scope.owner_by_default for new in rows):
            raise PermissionDenied(_("You may only give customers to staff of your own branches."))

    def _check_changes(self, changes: list[CustomerChange]) -> None:
        scope = self.scope
        if not scope.may_change:
            raise PermissionDenied(_("You may not change this customer."))
        for change in changes:
            branch_id = change.changes.get("branch_id")
            if branch_id is not None and scope.branch_ids is not None and branch_id not in scope.branch_ids:
                raise PermissionDenied(_("You may only put customers in your own branches."))
            if change.transfer is not None or "owner_id" in change.changes:
                if not scope.may_transfer:
                    raise PermissionDenied(_("Giving a customer to another account manager is a transfer: you do not "
                                             "have permission to transfer customers."))
                owner_id = change.changes.get("owner_id")
                if owner_id is not None and scope.owner_ids is not None and owner_id not in scope.owner_ids:
                    raise PermissionDenied(_("You may only give customers to staff of your own branches."))
        if scope.actor is not None and not (scope.branch_ids is None and scope.actor.has_perm(
                "customers.change_customer")):
            ids = [change.customer_id for change in changes]
            allowed: set[int] = set()
            for start in range(0, len(ids), 5000):
                allowed.update(Customer.objects.visible_to(scope.actor, "change")
                               .filter(pk__in=ids[start:start + 5000]).values_list("pk", flat=True))
            if len(allowed) != len(set(ids)):
                raise PermissionDenied(_("You may not change this customer."))

    # -- helpers -----------------------------------------------------------------------------------------------------
    def tag_ids(self, names: set[str]) -> dict[str, int]:
        """The ids of these tags, created when new (remembered for the writer's later calls)."""
        missing = [name for name in names if name not in self._tag_ids]
        if missing:
            found = dict(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
            new = [name for name in missing if name not in found]
            if new:
                Tag.objects.bulk_create([Tag(name=name) for name in new], ignore_conflicts=True)
                found.update(Tag.objects.filter(name__in=new).values_list("name", "pk"))
            self._tag_ids.update(found)
        return self._tag_ids

    def _allocate_codes(self, rows: list[NewCustomer]) -> None:
        """Codes from the configured pattern for the new customers without one (a code a stored customer already
        has is skipped: codes given by hand or by an earlier import may sit on the pattern's numbers)."""
        from .services import customer_code_allocate

        groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for new in rows:
            if not new.customer.get("code"):
                groups[(new.customer["kind"], new.customer["branch_id"])].append(new.customer)
        if not groups:
            return
        if self._branches is None:
            self._branches = {branch.pk: branch for branch in Branch.objects.only("pk", "code")}
        for (kind, branch_id), customers in groups.items():
            pending = customers
            while pending:
                codes = customer_code_allocate(kind=kind, branch=self._branches.get(branch_id), count=len(pending))
                taken = set(Customer.objects.filter(code__in=codes).values_list("code", flat=True))
                retry = []
                for customer, code in zip(pending, codes, strict=True):
                    if code in taken:
                        retry.append(customer)
                    else:
                        customer["code"] = code
                pending = retry

    def _history_row(self, record: dict[str, Any], columns: list[str], history_type: str,
                     when: dt.datetime | None = None) -> tuple[Any, ...]:
        """A history row (simple-history's columns: the record's, then date, reason, type and user)."""
        return _getter(columns[:-4])(record) + (when or self.now, self.reason, history_type, self.scope.actor_id)

    def _lifecycle_rows(self, changes: list[tuple[int, int | None, str, str, str]]) -> None:
        """Lifecycle records and their timeline activities: (customer, branch, field, old value, new value)."""
        if not changes:
            return
        ids = bulk.allocate_ids(LifecycleChange, len(changes))
        actor_id = self.scope.actor_id
        bulk.insert_rows(LifecycleChange, LIFECYCLE_COLUMNS, [
            (pk, customer_id, field_name, old, new, self.reason, self.now, actor_id)
            for pk, (customer_id, _branch_id, field_name, old, new) in zip(ids, changes, strict=True)])
        # the activity's data as the services write it; few distinct values, each serialised once
        texts: dict[tuple[str, str, str], bulk.JsonText] = {}

        def data(field_name: str, old: str, new: str) -> bulk.JsonText:
            text = texts.get((field_name, old, new))
            if text is None:
                text = texts[(field_name, old, new)] = bulk.JsonText(json.dumps(
                    {"field": field_name, "old": old, "new": new, "reason": str(self.reason)}, ensure_ascii=False,
                    separators=(",", ":")))
            return text

        bulk.insert_rows(Activity, ACTIVITY_COLUMNS, [
            (customer_id, self.now, "lifecycle", actor_id, branch_id, "customers.lifecyclechange", pk,
             data(field_name, old, new))
            for pk, (customer_id, branch_id, field_name, old, new) in zip(ids, changes, strict=True)])

    # -- writes ------------------------------------------------------------------------------------------------------
    @transaction.atomic
    def create(self, rows: list[NewCustomer]) -> list[int]:
        """Insert new customers with their profiles, history, first lifecycle record and tags; their ids."""
        if not rows:
            return []
        for new in rows:
            if not new.derived:
                derive_new(new, self.scope)
        self._check_new(rows)
        self._allocate_codes(rows)
        ids = bulk.allocate_ids(Customer, len(rows))
        customers, people, organisations, history, person_history, organisation_history = [], [], [], [], [], []
        lifecycle, links = [], []
        tag_names = {name for new in rows for name in new.tags}
        tag_ids = self.tag_ids(tag_names) if tag_names else {}
        status_field = LifecycleChange.Field.STATUS.value
        for new, pk in zip(rows, ids, strict=True):
            customer = new.customer
            customer["id"] = pk
            created = new.created_at or self.now
            customer["created_at"], customer["updated_at"] = created, self.now
            customers.append(_getter(CUSTOMER_COLUMNS)(customer))
            history.append(self._history_row(customer, HISTORY_CUSTOMER_COLUMNS, "+", created))
            if new.person is not None:
                new.person["customer_id"] = pk
                people.append(_getter(PERSON_COLUMNS)(new.person))
                person_history.append(self._history_row(new.person, HISTORY_PERSON_COLUMNS, "+", created))
            if new.organisation is not None:
                new.organisation["customer_id"] = pk
                organisations.append(_getter(ORGANISATION_COLUMNS)(new.organisation))
                organisation_history.append(self._history_row(new.organisation, HISTORY_ORGANISATION_COLUMNS, "+",
                                                              created))
            if customer["lifecycle_status"] and self.first_status_record:
                lifecycle.append((pk, customer["branch_id"], status_field, "", customer["lifecycle_status"]))
            for name in new.tags:
                links.append((pk, tag_ids[name]))
        bulk.insert_rows(Customer, CUSTOMER_COLUMNS, customers)
        bulk.insert_rows(PersonProfile, PERSON_COLUMNS, people)
        bulk.insert_rows(OrganisationProfile, ORGANISATION_COLUMNS, organisations)
        bulk.insert_rows(Customer.history.model, HISTORY_CUSTOMER_COLUMNS, history)
        bulk.insert_rows(PersonProfile.history.model, HISTORY_PERSON_COLUMNS, person_history)
        bulk.insert_rows(OrganisationProfile.history.model, HISTORY_ORGANISATION_COLUMNS, organisation_history)
        self._lifecycle_rows(lifecycle)
        bulk.insert_rows(Customer.tags.through, TAG_LINK_COLUMNS, links)
        return ids

    def _stored_records(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Every column of these customers and their profiles (the snapshot history records keep); profile columns
        are prefixed ``person__`` and ``organisation__``."""
        from django.db import connection

        quote = connection.ops.quote_name
        fields = ([("c", f) for f in Customer._meta.concrete_fields]
                  + [("p", f) for f in PersonProfile._meta.concrete_fields]
                  + [("o", f) for f in OrganisationProfile._meta.concrete_fields])
        prefixes = {"c": "", "p": "person__", "o": "organisation__"}
        select = ", ".join(f"{alias}.{quote(model_field.column)}" for alias, model_field in fields)
        sql = (f"SELECT {select} FROM {quote(Customer._meta.db_table)} c "
               f"LEFT OUTER JOIN {quote(PersonProfile._meta.db_table)} p ON p.customer_id = c.id "
               f"LEFT OUTER JOIN {quote(OrganisationProfile._meta.db_table)} o ON o.customer_id = c.id WHERE")
        keys = [prefixes[alias] + model_field.column for alias, model_field in fields]
        return {record["id"]: record for record in (
            dict(zip(keys, row, strict=True))
            for row in bulk.select_rows(sql, "c.id", ids, [model_field for _alias, model_field in fields]))}

    @transaction.atomic
    def update(self, changes: list[CustomerChange]) -> int:
        """Apply the changes to the stored customers; every changed customer and profile gets a history record,
        changed lifecycle values a lifecycle record, a new account manager a transfer; each of those a timeline
        activity. Returns the number of customers changed."""
        changes = [change for change in changes if not change.is_empty]
        if not changes:
            return 0
        self._check_changes(changes)
        records = self._stored_records([change.customer_id for change in changes])
        for change in changes:
            rules.derive_changes(change.changes, records[change.customer_id])
        changed_columns = sorted({column for change in changes for column in change.changes})
        columns = [*changed_columns, "version", "updated_at"]
        customer_rows, history, lifecycle = [], [], []
        profile_updates: dict[Any, dict[frozenset[str], list[dict[str, Any]]]] = {
            PersonProfile: defaultdict(list), OrganisationProfile: defaultdict(list),
        }
        profile_inserts: dict[Any, list[dict[str, Any]]] = {PersonProfile: [], OrganisationProfile: []}
        profile_history: dict[Any, list[tuple[Any, ...]]] = {PersonProfile: [], OrganisationProfile: []}
        tag_changes: list[tuple[int, tuple[str, ...]]] = []
        for change in changes:
            pk = change.customer_id
            record = records[pk]
            customer = {column: record[column] for column in CUSTOMER_COLUMNS}
            customer.update(change.changes)
            customer["version"] = record["version"] + 1
            customer["updated_at"] = self.now
            customer_rows.append((*(customer[column] for column in columns), pk))
            history.append(self._history_row(customer, HISTORY_CUSTOMER_COLUMNS, "~"))
            for lifecycle_field, column in ((LifecycleChange.Field.STATUS, "lifecycle_status"),
                                            (LifecycleChange.Field.STAGE, "lifecycle_stage")):
                if column in change.changes and change.changes[column] != record[column]:
                    lifecycle.append((pk, customer["branch_id"], lifecycle_field.value, record[column],
                                      change.changes[column]))
            for model, prefix, profile_columns, history_columns, profile_changes in (
                (PersonProfile, "person__", PERSON_COLUMNS, HISTORY_PERSON_COLUMNS, change.person),
                (OrganisationProfile, "organisation__", ORGANISATION_COLUMNS, HISTORY_ORGANISATION_COLUMNS,
                 change.organisation),
            ):
                if profile_changes is None:
                    continue
                if record[f"{prefix}customer_id"] is None:
                    profile = {**profile_changes, "customer_id": pk}
                    if model is PersonProfile:
                        rules.derive_person(profile)
                    profile_inserts[model].append(profile)
                    profile_history[model].append(self._history_row(profile, history_columns, "+"))
                else:
                    profile = {column: record[prefix + column] for column in profile_columns}
                    profile.update(profile_changes)
                    profile_updates[model][frozenset(profile_changes)].append(profile)
                    profile_history[model].append(self._history_row(profile, history_columns, "~"))
            if change.tags is not None:
                tag_changes.append((pk, change.tags))
        bulk.update_rows(Customer, columns, customer_rows)
        bulk.insert_rows(Customer.history.model, HISTORY_CUSTOMER_COLUMNS, history)
        for model in (PersonProfile, OrganisationProfile):
            profile_columns = PERSON_COLUMNS if model is PersonProfile else ORGANISATION_COLUMNS
            history_columns = HISTORY_PERSON_COLUMNS if model is PersonProfile else HISTORY_ORGANISATION_COLUMNS
            for changed, profiles in profile_updates[model].items():
                value_columns = sorted(changed)
                bulk.update_rows(model, value_columns, [(*(profile[column] for column in value_columns),
                                                         profile["customer_id"]) for profile in profiles])
            bulk.insert_rows(model, profile_columns, [tuple(profile[column] for column in profile_columns)
                                                      for profile in profile_inserts[model]])
            bulk.insert_rows(model.history.model, history_columns, profile_history[model])
        self._lifecycle_rows(lifecycle)
        self._transfers([change for change in changes if change.transfer is not None])
        if tag_changes:
            tag_ids = self.tag_ids({name for _pk, tags in tag_changes for name in tags})
            Customer.tags.through.objects.filter(customer_id__in=[pk for pk, _tags in tag_changes]).delete()
            bulk.insert_rows(Customer.tags.through, TAG_LINK_COLUMNS,
                             [(pk, tag_ids[name]) for pk, tags in tag_changes for name in tags])
        return len(changes)

    def _transfers(self, changes: list[CustomerChange]) -> None:
        """A new account manager is a transfer, recorded as the transfer page records one, with its activity."""
        if not changes:
            return
        actor_id = self.scope.actor_id
        transfers = OwnershipTransfer.objects.bulk_create([
            OwnershipTransfer(customer_id=change.customer_id, batch=self.transfer_batch,
                              from_owner_id=change.transfer[0], to_owner_id=change.transfer[1],
                              from_branch_id=change.transfer[2], to_branch_id=change.transfer[3],
                              reason=self.reason[:255], transferred_by_id=actor_id)
            for change in changes if change.transfer is not None
        ], batch_size=1000)
        owner_ids = {owner for change in changes if change.transfer is not None
                     for owner in change.transfer[:2] if owner is not None}
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=owner_ids)}
        from .timeline import activity_record_bulk

        activity_record_bulk(
            {"customer_id": transfer.customer_id, "kind": "transfer", "occurred_at": self.now, "actor_id": actor_id,
             "branch_id": transfer.to_branch_id or transfer.from_branch_id,
             "subject_type": "customers.ownershiptransfer", "subject_id": transfer.pk,
             "data": {"from_owner": names.get(transfer.from_owner_id or 0, ""),
                      "to_owner": names.get(transfer.to_owner_id or 0, ""), "reason": transfer.reason}}
            for transfer in transfers
        )
