"""Import of purchases (transactions), linked to customers by customer code or mobile.

Idempotency: each transaction is identified by its ``external_ref`` (unique). A file with an order-number column
(流水号/订单号) uses it; without one, the reference is ``h:`` followed by a SHA-1 of the customer code, the time (UTC),
the amount and the product SKU, so importing the same file twice stores each purchase once. (Two purchases of the
same product for the same amount by the same customer in the same second are then taken to be one; files where that
happens need an order-number column.) A reference already stored for another customer is reported, not moved.

Customers are looked up among those the importing user may see; an unknown customer (or one outside the user's
branches) is reported per row as unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import Q
from django.utils import timezone

from kehu.core.bulkio import rows as bulk
from kehu.core.messages import gettext_message as _  # problems are stored with their code: see kehu.core.messages
from kehu.customers.models import Activity, Customer
from kehu.org.models import Branch
from kehu.purchases.models import Channel, Product, Transaction

from ..aliases import TRANSACTION_HEADERS
from ..fields import (
    FieldSpec,
    build_lookup,
    choice_parser,
    decimal_parser,
    lookup_parser,
    parse_business_datetime,
    parse_code,
    parse_mobile,
    text_parser,
)
from .base import ChunkOutcome, Prepared, Problem, RowOutcome, Target

INSERT_COLUMNS = ["customer_id", "occurred_at", "amount", "margin", "quantity", "product_id", "branch_id", "channel",
                  "external_ref", "created_at"]
# optional fields (file field: column) an update leaves alone when the file has no column or an empty cell for them
OPTIONAL_COLUMNS = {"margin": "margin", "quantity": "quantity", "product": "product_id", "branch": "branch_id",
                    "channel": "channel"}
KEPT = "_kept"  # a record's optional fields to keep as stored when the row updates a purchase
ACTIVITY_COLUMNS = ["customer_id", "occurred_at", "kind", "actor_id", "branch_id", "subject_type", "subject_id",
                    "data"]
AMBIGUOUS = "ambiguous"
COMPARED_COLUMNS = ["customer_id", "occurred_at", "amount", "margin", "quantity", "product_id", "branch_id", "channel"]


def _label(name: str) -> Any:
    return getattr(Transaction._meta.get_field(name), "verbose_name", name)


def _unknown_branch(text: str) -> str:
    return _("Unknown branch “%(value)s”: use a branch code or name.") % {"value": text}


class TransactionTarget(Target):
    """Purchases of customers found by code or mobile."""

    name = "transactions"
    keys = ("code", "mobile")
    key_fields = {"code": "customer_code", "mobile": "customer_mobile"}
    lookup_tables = ("purchases_transaction",)
    defers_writes = True

    def __init__(self, **kwargs: Any) -> None:
        self._branches = list(Branch.objects.filter(is_active=True).only("pk", "code", "name"))
        super().__init__(**kwargs)
        self.products: dict[str, Any] = {}
        self.now = timezone.now()
        from kehu.org.selectors import user_is_read_only

        self.may_add = self.actor is None or (
            self.actor.has_perm("purchases.add_transaction") and not user_is_read_only(self.actor)
        )

    @property
    def link_field(self) -> str:
        return self.key_fields["code" if self.key == "code" else "mobile"]

    def field_specs(self) -> list[FieldSpec]:
        headers = TRANSACTION_HEADERS
        branches = self._branches
        branch_lookup = build_lookup([(b.code, b.pk) for b in branches] + [(b.name, b.pk) for b in branches])
        return [
            FieldSpec("customer_code", _("customer code"), headers["customer_code"], parse_code),
            FieldSpec("customer_mobile", _("customer mobile"), headers["customer_mobile"], parse_mobile),
            FieldSpec("occurred_at", _label("occurred_at"), headers["occurred_at"], parse_business_datetime,
                      required=True),
            FieldSpec("amount", _label("amount"), headers["amount"], decimal_parser(max_digits=14, places=2),
                      required=True),
            FieldSpec("margin", _label("margin"), headers["margin"], decimal_parser(max_digits=14, places=2)),
            FieldSpec("quantity", _label("quantity"), headers["quantity"],
                      decimal_parser(max_digits=12, places=3, minimum=Decimal(0))),
            FieldSpec("product", _label("product"), headers["product"], text_parser(200)),
            FieldSpec("branch", _label("branch"), headers["branch"], lookup_parser(branch_lookup, _unknown_branch)),
            FieldSpec("channel", _label("channel"), headers["channel"],
                      choice_parser("channel", Channel.choices, blank=None)),
            FieldSpec("external_ref", _label("external_ref"), headers["external_ref"], text_parser(64)),
        ]

    def mapping_problems(self) -> list[str]:
        problems = []
        if self.key not in self.keys:
            problems.append(_("Link purchases to customers by code or by mobile."))
        elif self.link_field not in self.mapped_names:
            problems.append(_("The column that names the customer (%(field)s) is not in the file or not mapped.")
                            % {"field": self.specs[self.link_field].label})
        for name in ("occurred_at", "amount"):
            if name not in self.mapped_names:
                problems.append(_("The column %(field)s is required.") % {"field": self.specs[name].label})
        if not self.may_add:
            problems.append(_("You do not have permission to record purchases."))
        return problems

    def key_value(self, data: dict[str, Any]) -> Any:
        return data.get("external_ref") or None

    def _reference(self, data: dict[str, Any], customer_code: str, product_sku: str) -> str:
        if data.get("external_ref"):
            return data["external_ref"]
        moment = data["occurred_at"].astimezone(dt.UTC).isoformat()
        digest = hashlib.sha1(f"{customer_code}|{moment}|{data['amount']}|{product_sku}".encode()).hexdigest()
        return f"h:{digest}"

    def remember_row(self, values: list[Any], row: int) -> None:
        data, problems = self.parse(values)
        if problems:
            return
        if data.get("external_ref"):
            self.seen.setdefault(data["external_ref"], row)
        # hashed references need the customer's code: rebuilt lazily, a replayed duplicate is then "unchanged"

    def _products(self, names: set[str]) -> None:
        missing = [name for name in names if name not in self.products]
        if not missing:
            return
        found: dict[str, Any] = {}
        for pk, sku, name in Product.objects.filter(Q(sku__in=missing) | Q(name__in=missing)).values_list(
            "pk", "sku", "name"
        ):
            found.setdefault(sku, (pk, sku))
            if name in found and found[name] != (pk, sku) and name != sku:
                found[name] = "ambiguous"
            else:
                found.setdefault(name, (pk, sku))
        for name in missing:
            self.products[name] = found.get(name)

    def check_row(self, data: dict[str, Any], problems: list[Problem]) -> None:
        if problems:
            return
        for name in ("occurred_at", "amount"):
            if data.get(name) is None:
                problems.append((self.column_label(name), "", _("This value is required.")))
        if not data.get(self.link_field):
            problems.append((self.column_label(self.link_field), "", _("Say whose purchase this is.")))
        margin, amount = data.get("margin"), data.get("amount")
        if margin is not None and amount is not None and amount >= 0 and margin > amount:
            problems.append((self.column_label("margin"), str(margin),
                             _("The gross margin cannot be larger than the amount.")))

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        outcome = ChunkOutcome()
        parsed: list[tuple[int, dict[str, Any]]] = []
        for row, data, problems in prepared:
            if problems:
                outcome.fail(row, problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))
                continue
            parsed.append((row, data))
        if not parsed:
            return outcome
        self._products({data["product"] for _row, data in parsed if data.get("product")})
        links = list({data[self.link_field] for _row, data in parsed})
        customers = Customer.objects.all() if self.actor is None else Customer.objects.visible_to(self.actor)
        lookup = "code" if self.key == "code" else "mobile"
        found: dict[str, Any] = {}
        for start in range(0, len(links), 5000):
            rows = bulk.filter_in(customers, lookup, links[start:start + 5000])
            for pk, code, branch_id, value in rows.values_list("pk", "code", "branch_id", lookup):
                previous = found.get(value)
                if previous is None:
                    found[value] = (pk, code, branch_id)
                elif previous != AMBIGUOUS and previous[0] != pk:
                    found[value] = AMBIGUOUS
        records: list[tuple[int, dict[str, Any], str]] = []
        first_in_chunk: dict[str, int] = {}
        for row, data in parsed:
            row_problems: list[Problem] = []
            link = data[self.link_field]
            customer: Any = found.get(link)
            if customer is None:
                row_problems.append((self.column_label(self.link_field), link,
                                     _("Unknown customer “%(value)s”.") % {"value": link}))
            elif customer == AMBIGUOUS:
                row_problems.append((self.column_label(self.link_field), link,
                                     _("Several customers have this mobile; link by customer code.")))
            product: Any = None
            if data.get("product"):
                product = self.products.get(data["product"])
                if product is None:
                    row_problems.append((self.column_label("product"), data["product"],
                                         _("Unknown product “%(value)s”: use a SKU or product name.")
                                         % {"value": data["product"]}))
                elif product == AMBIGUOUS:
                    row_problems.append((self.column_label("product"), data["product"],
                                         _("“%(value)s” matches more than one record; use its code.")
                                         % {"value": data["product"]}))
            if row_problems:
                outcome.fail(row, row_problems)
                continue
            pk, code, branch_id = customer
            reference = self._reference(data, code, product[1] if product else "")
            first = self.seen.get(reference) or first_in_chunk.get(reference)
            if first is not None:
                outcome.fail(row, [(self.column_label("external_ref") if data.get("external_ref") else "",
                                    data.get("external_ref") or "",
                                    _("Duplicate of row %(row)d: the same purchase appears twice in the file.")
                                    % {"row": first})])
                continue
            first_in_chunk[reference] = row
            record = {
                "customer_id": pk, "occurred_at": data["occurred_at"], "amount": data["amount"],
                "margin": data.get("margin") if data.get("margin") is not None else Decimal("0.00"),
                "quantity": data.get("quantity") if data.get("quantity") is not None else Decimal("1.000"),
                "product_id": product[0] if product else None,
                "branch_id": data.get("branch") or branch_id,
                "channel": data.get("channel") or Channel.STORE.value,
                "external_ref": reference, "created_at": self.now,
                KEPT: tuple(name for name in OPTIONAL_COLUMNS
                            if name not in self.mapped_names or self.keeps_stored(data.get(name))),
            }
            records.append((row, record, reference))
        stored: dict[str, dict[str, Any]] = {}
        references = [reference for _row, _record, reference in records]
        for start in range(0, len(references), 5000):
            for values in bulk.filter_in(Transaction.objects.all(), "external_ref",
                                         references[start:start + 5000]).values("id", "external_ref",
                                                                               *COMPARED_COLUMNS):
                stored[values["external_ref"]] = values
        creates: list[dict[str, Any]] = []
        updates: list[tuple[Any, ...]] = []
        for row, record, reference in records:
            existing = stored.get(reference)
            if existing is None:
                creates.append(record)
                action = "created"
            elif existing["customer_id"] != record["customer_id"]:
                outcome.fail(row, [(self.column_label("external_ref"), reference,
                                    _("This reference belongs to another customer's purchase."))])
                continue
            elif self._keep_stored(record, existing) or all(existing[column] == record[column]
                                                              for column in COMPARED_COLUMNS):
                outcome.unchanged += 1
                action = "unchanged"
            else:
                updates.append((*(record[column] for column in COMPARED_COLUMNS[1:]), existing["id"]))
                action = "updated"
            self.seen.setdefault(reference, row)
            if preview:
                outcome.rows.append(RowOutcome(row, action, self._display(record)))
        outcome.created += len(creates)
        outcome.updated += len(updates)
        actor_id = self.actor.pk if self.actor is not None else None
        if write and defer:
            outcome.pending = partial(_write_transactions, creates, updates, actor_id)
        elif write:
            _write_transactions(creates, updates, actor_id)
        return outcome

    def _keep_stored(self, record: dict[str, Any], existing: dict[str, Any]) -> bool:
        """An update leaves alone the optional fields the file has no column for or an empty cell in (unless asked to
        clear stored values with empty cells). Returns False (so it can sit in a condition)."""
        for name in record.pop(KEPT, ()):
            column = OPTIONAL_COLUMNS[name]
            record[column] = existing[column]
        return False

    def _display(self, data: dict[str, Any]) -> dict[str, str]:
        shown = {}
        for _index, spec in self.mapped:
            value = data.get(spec.name, data.get(f"{spec.name}_id"))
            shown[str(spec.label)] = "" if value is None else str(value)
        return shown


def _write_transactions(creates: list[dict[str, Any]], updates: list[Any], actor_id: int | None = None) -> None:
    bulk.insert_rows(Transaction, INSERT_COLUMNS, [tuple(r[c] for c in INSERT_COLUMNS) for r in creates])
    bulk.update_rows(Transaction, COMPARED_COLUMNS[1:], updates)
    # the purchases' timeline activities in one more bulk insert (COPY on PostgreSQL); the transactions' ids are not
    # read back, so an imported purchase's activity names it by its external reference
    bulk.insert_rows(Activity, ACTIVITY_COLUMNS, [
        (r["customer_id"], r["occurred_at"], "transaction", actor_id, r["branch_id"], "purchases.transaction", None,
         {"amount": str(r["amount"]), "channel": r["channel"], "product_id": r["product_id"],
          "external_ref": r["external_ref"]})
        for r in creates
    ])
