"""The agent's screen's two statements, written by hand: the page an agent keeps open answers every call, and
building the same reads through the ORM (nine queries, their joins, windows and prefetches) cost more than running
them (bench/agent_bench.py: about 11 ms of Python a request at 20,000 customers).

1. ``caller_rows``: the customers with the number that the user may see, each with its branch, owner, person
   profile, primary tier and latest scores (one row per customer, left joins).
2. ``caller_details``: for those customers, in one ``UNION ALL``, their tag names, current consents, open tickets
   (the first ``OPEN_TICKETS_SHOWN`` with the count) and newest contacts (with their staff member).

Portable SQL (window functions and ``UNION ALL`` exist on SQLite and PostgreSQL); rows come back as model instances
whose fields are converted as the ORM converts them (``Columns``). The row scopes are those of ``visible_to``, in SQL
(``customer_view_scope_sql``, ``ticket_view_scope_sql``; tests compare each with its ``visible_to``)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model

from kehu.core.validators import normalize_phone
from kehu.customers.models import Consent, Contact, Customer, CustomerTier, PersonProfile, Tag
from kehu.customers.selectors import customer_view_scope_sql
from kehu.org.models import Branch, User
from kehu.relations.models import ContactRecord
from kehu.relations.panels import RECENT as CONTACTS_SHOWN  # the contacts panel's newest contacts per customer
from kehu.scoring.models import CustomerSummary

from ..models import Ticket
from ..models.tickets import OPEN_STATUSES, ticket_view_scope_sql
from ..panels import OPEN_TICKETS_SHOWN


class Columns:
    """Some columns of a model under a table alias of a hand-written ``SELECT`` (``sql``), and the model instance
    built from their values (``build``), each converted by the backend's and the field's converters as a queryset
    converts them (dates and decimals on SQLite, JSON). The fields left out are deferred on the instance."""

    def __init__(self, model: type[Model], alias: str, names: list[str] | None = None) -> None:
        wanted = set(names) if names is not None else None
        self.model = model
        self.alias = alias
        self.fields = [field for field in model._meta.concrete_fields
                       if wanted is None or field.name in wanted or field.attname in wanted]
        self.attnames = [field.attname for field in self.fields]
        self._converters: dict[str, list[list[tuple[Any, Any]]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def converters(self) -> list[list[tuple[Any, Any]]]:
        """Per column, its converters with the expression they are called with (computed once per database)."""
        key = f"{connection.alias}:{connection.vendor}"
        if key not in self._converters:
            per_column = []
            for field in self.fields:
                column = field.get_col(self.alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                per_column.append([(converter, column) for converter in found])
            self._converters[key] = per_column
        return self._converters[key]

    def convert(self, values: Any) -> list[Any]:
        converted = list(values)
        for position, converters in enumerate(self.converters()):
            for converter, column in converters:
                converted[position] = converter(converted[position], column, connection)
        return converted

    def build(self, values: Any) -> Any:
        """The instance from these values (in ``fields`` order); None when its primary key is NULL (a left join
        that found no row)."""
        values = self.convert(values)
        pk = self.model._meta.pk
        if pk is not None and pk.attname in self.attnames and values[self.attnames.index(pk.attname)] is None:
            return None
        return self.model.from_db(connection.alias, self.attnames, values)


CUSTOMER = Columns(Customer, "c")
BRANCH = Columns(Branch, "b", ["id", "name"])
OWNER = Columns(User, "o", ["id", "username", "first_name", "last_name", "display_name"])
PERSON = Columns(PersonProfile, "p", ["customer", "id_number", "birth_date"])
TIER = Columns(CustomerTier, "t", ["customer", "tier", "label"])
SCORES = Columns(CustomerSummary, "s", ["customer", "total_amount", "clv", "p_alive", "last_purchase"])
_JOINED = (BRANCH, OWNER, PERSON, TIER, SCORES)


def _ids_by_number() -> str:
    """The ids of the customers whose mobile or phone is the number (three parameters, the number each time) or who
    have a contact with it: a UNION of three index lookups (as one "mobile = %s OR phone = %s" SQLite scanned every
    customer when most have no other phone)."""
    quote = connection.ops.quote_name
    customers, contacts = quote(Customer._meta.db_table), quote(Contact._meta.db_table)
    return (f"SELECT id FROM {customers} WHERE mobile = %s UNION SELECT id FROM {customers} WHERE phone = %s "  # noqa: S608
            f"UNION SELECT customer_id FROM {contacts} WHERE mobile = %s")


def caller_rows(*, user: User, phone: str, limit: int) -> list[Customer]:
    """The newest ``limit`` customers (visible to the user) whose mobile or phone is the number, or who have a
    contact with it; each with ``branch``, ``owner``, ``person``, ``primary_tier`` and ``score_summary`` cached
    (the three last None where the customer has none). Raises ``ValidationError`` for a number that is not one."""
    number = normalize_phone(phone)
    scope = customer_view_scope_sql(user=user, alias="c")
    if scope is None:
        return []
    condition, scope_parameters = scope
    quote = connection.ops.quote_name
    table = lambda model: quote(model._meta.db_table)  # noqa: E731
    # one id list as a UNION of index lookups (customer_lookup_by_phone says why not "OR … IN"); the customers are
    # limited in a subquery of their own before the joins, which planning then orders for those rows alone
    # (PostgreSQL planned the one-level join in 1.0 ms, this in 0.4 ms, each executed in under 0.1 ms)
    sql = (
        f"SELECT {CUSTOMER.sql()}, {', '.join(part.sql() for part in _JOINED)} FROM ("  # noqa: S608
        f"SELECT * FROM {table(Customer)} c WHERE c.id IN ({_ids_by_number()})"
        f"{' AND ' + condition if condition else ''} ORDER BY c.id DESC LIMIT {int(limit)}) c "
        f"INNER JOIN {table(Branch)} b ON b.id = c.branch_id "
        f"LEFT JOIN {table(User)} o ON o.id = c.owner_id "
        f"LEFT JOIN {table(PersonProfile)} p ON p.customer_id = c.id "
        f"LEFT JOIN {table(CustomerTier)} t ON t.customer_id = c.id "
        f"LEFT JOIN {table(CustomerSummary)} s ON s.customer_id = c.id ORDER BY c.id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [number, number, number, *scope_parameters])
        rows = cursor.fetchall()
    customers = []
    branch_cache = Customer.branch.field  # type: ignore[attr-defined]
    owner_cache = Customer.owner.field  # type: ignore[attr-defined]
    person_cache = Customer.person.related  # type: ignore[attr-defined]
    tier_cache = Customer.primary_tier.related  # type: ignore[attr-defined]
    scores_cache = Customer.score_summary.related  # type: ignore[attr-defined]
    for row in rows:
        start = len(CUSTOMER)
        customer = CUSTOMER.build(row[:start])
        joined = []
        for part in _JOINED:
            joined.append(part.build(row[start:start + len(part)]))
            start += len(part)
        branch, owner, person, tier, scores = joined
        branch_cache.set_cached_value(customer, branch)
        owner_cache.set_cached_value(customer, owner)
        person_cache.set_cached_value(customer, person)
        tier_cache.set_cached_value(customer, tier)
        scores_cache.set_cached_value(customer, scores)
        customers.append(customer)
    return customers


def caller_count(*, user: User, phone: str) -> int:
    """How many customers the user may see have the number (asked only when more than a screen's worth do)."""
    number = normalize_phone(phone)
    scope = customer_view_scope_sql(user=user, alias="c")
    if scope is None:
        return 0
    condition, scope_parameters = scope
    customers = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {customers} c WHERE c.id IN ({_ids_by_number()})"  # noqa: S608
            f"{' AND ' + condition if condition else ''}",
            [number, number, number, *scope_parameters],
        )
        return int(cursor.fetchone()[0])


# The details' statement is a UNION ALL of differently shaped rows, so its columns are typed slots: after the kind,
# the customer, the rank in its list and a count (the open tickets'), so many integers, texts and times; each model
# part puts each of its fields in the next free slot of the field's type and leaves the others NULL (cast to the
# slot's type: PostgreSQL types a UNION's columns from its first branches).
SLOTS = {"i": 4, "s": 7, "d": 2}
SLOT_FIELD_TYPES = {"i": "BigIntegerField", "s": "TextField", "d": "DateTimeField"}


def _slot_kind(field: Any) -> str:
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind == "DateTimeField":
        return "d"
    if kind in ("CharField", "TextField", "EmailField", "SlugField"):
        return "s"
    return "b" if kind == "BooleanField" else "i"


class SlotPart:
    """One or more model parts of a branch of the details' statement placed in the typed slots."""

    def __init__(self, *parts: Columns) -> None:
        self.parts = parts
        self.positions: list[list[int]] = []  # per part, per field: its slot's index among all slots
        used = dict.fromkeys(SLOTS, 0)
        offsets = {"i": 0, "s": SLOTS["i"], "d": SLOTS["i"] + SLOTS["s"]}
        self.expressions: dict[int, str] = {}
        quote = connection.ops.quote_name
        for part in parts:
            positions = []
            for field in part.fields:
                kind = _slot_kind(field)
                slot = "i" if kind == "b" else kind
                position = offsets[slot] + used[slot]
                used[slot] += 1
                if used[slot] > SLOTS[slot]:
                    raise ValueError(f"too many {slot} columns for the details' slots")
                column = f"{part.alias}.{quote(field.column)}"
                self.expressions[position] = f"CASE WHEN {column} THEN 1 ELSE 0 END" if kind == "b" else column
                positions.append(position)
            self.positions.append(positions)

    def sql(self) -> str:
        expressions = []
        for slot, count in SLOTS.items():
            offset = {"i": 0, "s": SLOTS["i"], "d": SLOTS["i"] + SLOTS["s"]}[slot]
            cast = connection.data_types[SLOT_FIELD_TYPES[slot]]
            expressions += [self.expressions.get(offset + n, f"CAST(NULL AS {cast})") for n in range(count)]
        return ", ".join(expressions)

    def build(self, slots: list[Any]) -> list[Any]:
        """Each part's instance from a row's slots."""
        built = []
        for part, positions in zip(self.parts, self.positions, strict=True):
            values = [slots[position] for position in positions]
            for index, field in enumerate(part.fields):
                if _slot_kind(field) == "b" and values[index] is not None:
                    values[index] = bool(values[index])
            built.append(part.build(values))
        return built


TICKET = SlotPart(Columns(Ticket, "x", ["id", "customer", "type", "status", "priority", "subject", "created_at",
                                        "resolution_due"]))
CONTACT = SlotPart(Columns(ContactRecord, "x", ["id", "customer", "staff", "channel", "direction", "occurred_at",
                                                "summary"]),
                   Columns(User, "u", ["id", "username", "first_name", "last_name", "display_name"]))
CONSENT = SlotPart(Columns(Consent, "x", ["id", "customer", "channel", "granted", "recorded_at"]))
TAG = SlotPart(Columns(Tag, "t", ["name"]))
KIND_TICKET, KIND_CONTACT, KIND_CONSENT, KIND_TAG = 0, 1, 2, 3


def caller_details(*, user: User, ids: list[int], tickets: bool, contacts: bool) -> dict[int, dict[str, Any]]:
    """Per customer id: ``tag_names`` (by name), ``consents`` (channel → the newest consent), ``open_tickets`` (the
    first ``OPEN_TICKETS_SHOWN`` the user may see, urgent first then oldest) with ``open_ticket_count``, and
    ``contacts`` (the ``CONTACTS_SHOWN`` newest, their staff member loaded); one statement. ``tickets`` and
    ``contacts``: whether to read those at all (whether the user may see them)."""
    details: dict[int, dict[str, Any]] = {
        pk: {"tag_names": [], "consents": {}, "open_tickets": [], "open_ticket_count": 0, "contacts": []}
        for pk in ids
    }
    if not ids:
        return details
    quote = connection.ops.quote_name
    table = lambda model: quote(model._meta.db_table)  # noqa: E731
    in_ids = ", ".join(["%s"] * len(ids))
    branches: list[str] = []
    parameters: list[Any] = []
    ticket_scope = ticket_view_scope_sql(user, "t") if tickets else None
    if ticket_scope is not None:
        condition, scope_parameters = ticket_scope
        statuses = [str(status) for status in OPEN_STATUSES]
        branches.append(
            f"SELECT {KIND_TICKET}, x.customer_id, x.kehu_rank, x.kehu_count, {TICKET.sql()} FROM ("  # noqa: S608
            f"SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.customer_id ORDER BY t.priority DESC, t.created_at, t.id) "
            f"AS kehu_rank, COUNT(*) OVER (PARTITION BY t.customer_id) AS kehu_count FROM {table(Ticket)} t "
            f"WHERE t.customer_id IN ({in_ids}) AND t.status IN ({', '.join(['%s'] * len(statuses))})"
            f"{' AND ' + condition if condition else ''}) x WHERE x.kehu_rank <= {OPEN_TICKETS_SHOWN}"
        )
        parameters += [*ids, *statuses, *scope_parameters]
    if contacts:
        branches.append(
            f"SELECT {KIND_CONTACT}, x.customer_id, x.kehu_rank, 0, {CONTACT.sql()} FROM ("  # noqa: S608
            f"SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.customer_id ORDER BY r.occurred_at DESC, r.id DESC) "
            f"AS kehu_rank FROM {table(ContactRecord)} r WHERE r.customer_id IN ({in_ids})) x "
            f"LEFT JOIN {table(User)} u ON u.id = x.staff_id WHERE x.kehu_rank <= {CONTACTS_SHOWN}"
        )
        parameters += ids
    branches.append(
        f"SELECT {KIND_CONSENT}, x.customer_id, 0, 0, {CONSENT.sql()} FROM ("  # noqa: S608
        f"SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.customer_id, c.channel ORDER BY c.recorded_at DESC, c.id DESC) "
        f"AS kehu_rank FROM {table(Consent)} c WHERE c.customer_id IN ({in_ids})) x WHERE x.kehu_rank = 1"
    )
    branches.append(
        f"SELECT {KIND_TAG}, ct.customer_id, 0, 0, {TAG.sql()} "  # noqa: S608
        f"FROM {quote(Customer.tags.through._meta.db_table)} ct INNER JOIN {table(Tag)} t ON t.id = ct.tag_id "
        f"WHERE ct.customer_id IN ({in_ids})"
    )
    parameters += [*ids, *ids]
    # by kind, customer and rank; the tags (rank 0) by name, the first text slot
    sql = " UNION ALL ".join(branches) + f" ORDER BY 1, 2, 3, {5 + SLOTS['i']}"
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    staff_cache = ContactRecord.staff.field  # type: ignore[attr-defined]
    for kind, customer_id, _rank, count, *slots in rows:
        entry = details[customer_id]
        if kind == KIND_TICKET:
            entry["open_ticket_count"] = count
            entry["open_tickets"].append(TICKET.build(slots)[0])
        elif kind == KIND_CONTACT:
            record, staff = CONTACT.build(slots)
            staff_cache.set_cached_value(record, staff)
            entry["contacts"].append(record)
        elif kind == KIND_CONSENT:
            consent = CONSENT.build(slots)[0]
            entry["consents"][consent.channel] = consent
        else:
            entry["tag_names"].append(slots[TAG.positions[0][0]])
    return details
