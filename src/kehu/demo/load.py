"""Loading the demo: :func:`load_demo` writes the plan (:mod:`kehu.demo.plan`) and then every registered demo step.

Branches, staff, tags, categories and products are looked up by their natural keys (branch code, username, tag name,
category name, SKU) and created when missing. Customers and transactions are written only when the demo stores have
no customers yet: that is the marker that makes re-running a no-op instead of a duplicate. Everything is written in
one database transaction, so an interrupted run leaves nothing half-loaded.

The plan's values are valid by construction, so rows are bulk-inserted without per-row ``full_clean``. Customers,
profiles and contacts get their "created" audit-history row (django-simple-history) in bulk as well, dated when the
customer was acquired, so the first real edit of a demo customer shows as a change in its history.
"""


from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from kehu.core import divisions
from kehu.core.registry import demo_step_list
from kehu.customers.models import (
    CodeSettings,
    Consent,
    Contact,
    Customer,
    CustomerKind,
    CustomerRelationship,
    LifecycleChange,
    StatusRecord,
    Tag,
)
from kehu.customers.services import customer_code_allocate
from kehu.customers.timeline import activity_record_bulk
from kehu.customers.upsert import (
    CUSTOMER_DEFAULTS,
    ORGANISATION_DEFAULTS,
    PERSON_DEFAULTS,
    CustomerBulkWriter,
    NewCustomer,
    customer_write_scope,
)
from kehu.org.models import Branch, User
from kehu.org.services import branch_create, staff_set_roles
from kehu.purchases.models import Category, Product
from kehu.purchases.services import category_get_or_create, product_get_or_create, transaction_bulk_create

from . import data
from .plan import DEFAULT_CUSTOMERS, DEFAULT_SEED, DEFAULT_TRANSACTIONS, DemoPlan, build_plan

CHANGE_REASON = gettext_noop("Demo data import")  # stored in English, shown translated (stored_text)
BATCH_SIZE = 2000


@dataclass
class DemoResult:
    """What :func:`load_demo` did."""

    created: bool  # False when the demo customers were already there
    customers: int
    transactions: int
    seconds: float
    steps: list[tuple[str, float]] = field(default_factory=list)


def all_branch_codes() -> list[str]:
    return [data.GROUP_CODE] + [r.code for r in data.REGIONS] + [s.code for r in data.REGIONS for s in r.stores]


def ensure_branches() -> dict[str, Branch]:
    """The demo branch tree (group → regions → stores), created where a code is missing."""
    branches = {b.code: b for b in Branch.objects.filter(code__in=all_branch_codes())}
    districts = {d.code: d for d in data.DISTRICTS}
    if data.GROUP_CODE not in branches:
        branches[data.GROUP_CODE] = branch_create(code=data.GROUP_CODE, name=data.GROUP_NAME, kind=Branch.Kind.GROUP,
                                                  province="上海市", city="上海市")
    for region in data.REGIONS:
        if region.code not in branches:
            branches[region.code] = branch_create(code=region.code, name=region.name, kind=Branch.Kind.REGION,
                                                  parent=branches[data.GROUP_CODE])
        for store in region.stores:
            if store.code not in branches:
                district = districts[store.district_code]
                branches[store.code] = branch_create(code=store.code, name=store.name, kind=Branch.Kind.STORE,
                                                     parent=branches[region.code], province=district.province,
                                                     city=district.city)
    return branches


def ensure_staff(branches: dict[str, Branch]) -> dict[str, User]:
    """Demo staff by username; existing users are left as they are (their password is not reset)."""
    members = data.demo_staff()
    users = {u.username: u for u in User.objects.filter(username__in=[m.username for m in members])}
    password_hash = ""
    for member in members:
        if member.username in users:
            continue
        # one hash for all demo users: the password hasher is slow on purpose, and they share one password anyway
        password_hash = password_hash or make_password(data.DEMO_PASSWORD)
        is_administrator = member.role == "administrator"
        user = User(username=member.username, display_name=member.display_name, password=password_hash,
                    email=f"{member.username}@example.com", is_staff=is_administrator, is_superuser=is_administrator)
        user.save()
        staff_set_roles(user=user, roles=[member.role])
        if member.branch_code:
            user.branches.set([branches[member.branch_code]])
        users[member.username] = user
    return users


def ensure_catalogue() -> tuple[dict[str, Tag], dict[str, Product]]:
    tags = {}
    for name, color in data.TAGS:
        tags[name], _created = Tag.objects.get_or_create(name=name, defaults={"color": color})
    categories: dict[str, Category] = {}
    for name, parent in data.CATEGORIES:
        categories[name] = category_get_or_create(name=name, parent=categories.get(parent))
    products = {
        row.sku: product_get_or_create(sku=row.sku, name=row.name, category=categories[row.category],
                                       list_price=row.list_price)
        for row in data.PRODUCTS
    }
    return tags, products


def demo_customers_exist() -> bool:
    """The re-run marker: customers in the demo stores mean the demo was loaded already."""
    stores = [s.code for r in data.REGIONS for s in r.stores]
    return Customer.objects.filter(branch__code__in=stores).exists()


def _allocate_codes(plan: DemoPlan, branches: dict[str, Branch]) -> list[str]:
    """Customer codes from the configured pattern, in plan order (so a fresh database gets the same codes)."""
    settings_row = CodeSettings.objects.filter(pk=1).first()
    pattern = settings_row.pattern if settings_row else CodeSettings._meta.get_field("pattern").get_default()
    if "{kind" not in pattern and "{branch" not in pattern:
        return customer_code_allocate(kind=CustomerKind.PERSON, branch=None, count=len(plan.customers))
    codes = [""] * len(plan.customers)
    groups: dict[tuple[str, str], list[int]] = {}
    for customer in plan.customers:
        groups.setdefault((customer.kind, customer.store), []).append(customer.index)
    for (kind, store), indexes in groups.items():
        for index, code in zip(indexes, customer_code_allocate(kind=kind, branch=branches[store], count=len(indexes)),
                               strict=True):
            codes[index] = code
    return codes


def _backdate(objects: list[Any], field_name: str, values: list[dt.datetime]) -> None:
    """Set an ``auto_now_add`` field to the planned time (bulk insert stamps every row with now).

    One prepared UPDATE executed for many rows: ``bulk_update`` builds a CASE expression per row and was a quarter of
    the whole load time.
    """
    if not objects:
        return
    model = type(objects[0])
    model_field = model._meta.get_field(field_name)
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(model._meta.db_table)} SET {quote(model_field.column)} = %s "
           f"WHERE {quote(model._meta.pk.column)} = %s")
    rows = []
    for obj, value in zip(objects, values, strict=True):
        setattr(obj, field_name, value)
        rows.append((model_field.get_db_prep_save(value, connection), obj.pk))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Choice members (``LifecycleStatus.CURRENT``) as their stored values: the bulk writer's COPY stores what it
    is given, and psycopg writes an enum member by its name."""
    return {key: value.value if isinstance(value, enum.Enum) else value for key, value in values.items()}


def _write_customers(plan: DemoPlan, branches: dict[str, Branch], users: dict[str, User]) -> list[Customer]:
    """The planned customers with their profiles and tags through the customers app's bulk writer (the one writer of
    customers: search keys, relationship stage and history as for any other customer), created and with their
    "created" history rows dated when they were acquired; then their contacts."""
    codes = _allocate_codes(plan, branches)
    writer = CustomerBulkWriter(scope=customer_write_scope(None), reason=CHANGE_REASON, now=timezone.now(),
                                first_status_record=False)  # the plan has each customer's lifecycle history
    rows = []
    for planned, code in zip(plan.customers, codes, strict=True):
        province, city, district = divisions.path(planned.district_code)
        customer = {
            **CUSTOMER_DEFAULTS, "code": code, "kind": planned.kind, "name": planned.name, "mobile": planned.mobile,
            "phone": planned.phone, "email": planned.email, "province": planned.province, "city": planned.city,
            "district": planned.district, "province_code": province.code if province else "",
            "city_code": city.code if city else "", "district_code": district.code if district else "",
            "industry": planned.industry, "customer_since": planned.acquired_at.date(), "address": planned.address,
            "owner_id": users[planned.owner].pk, "branch_id": branches[planned.store].pk,
            "lifecycle_status": planned.lifecycle_status, "lifecycle_stage": planned.lifecycle_stage,
            "management_class": planned.management_class, "marketing_type": planned.marketing_type,
            "brand_attitude": planned.brand_attitude, "share_of_wallet": planned.share_of_wallet,
            "relationship_stage": planned.relationship_stage,
        }
        person = _plain({**PERSON_DEFAULTS, **planned.person}) if planned.person is not None else None
        organisation = (_plain({**ORGANISATION_DEFAULTS, **(planned.organisation or {})})
                        if planned.person is None else None)
        rows.append(NewCustomer(customer=_plain(customer), person=person, organisation=organisation,
                                tags=tuple(planned.tags), created_at=planned.acquired_at))
    ids = writer.create(rows)
    stored = Customer.objects.in_bulk(ids)
    customers = [stored[pk] for pk in ids]

    contacts, contact_times = [], []
    for planned, written in zip(plan.customers, customers, strict=True):
        for planned_contact in planned.contacts:
            contact = Contact(customer=written, name=planned_contact.name, role=planned_contact.role,
                              title=planned_contact.title, mobile=planned_contact.mobile, phone=planned_contact.phone,
                              email=planned_contact.email, is_primary=planned_contact.is_primary)
            contact._history_date = planned.acquired_at  # type: ignore[attr-defined]  # read by bulk_history_create
            contact_times.append(planned.acquired_at)
            contacts.append(contact)
    contacts = bulk_create_with_history(contacts, Contact, batch_size=BATCH_SIZE, default_change_reason=CHANGE_REASON)
    _backdate(contacts, "created_at", contact_times)
    return customers


def _write_customer_records(plan: DemoPlan, customers: list[Customer], users: dict[str, User]) -> None:
    """Consents, lifecycle history, status records and "works for" links."""
    consents, changes, change_times, records, record_times, links = [], [], [], [], [], []
    for planned, customer in zip(plan.customers, customers, strict=True):
        owner = users[planned.owner]
        for consent in planned.consents:
            consents.append(Consent(customer=customer, channel=consent.channel, granted=consent.granted,
                                    source=consent.source, purpose=consent.purpose,
                                    notice_version=consent.notice_version, recorded_at=consent.recorded_at,
                                    recorded_by=owner))
        for change in planned.changes:
            changes.append(LifecycleChange(customer=customer, field=change.field, old_value=change.old_value,
                                           new_value=change.new_value, reason=change.reason, changed_by=owner))
            change_times.append(change.changed_at)
        if planned.status_record is not None:
            values = dict(planned.status_record)
            record_times.append(values.pop("recorded_at"))
            records.append(StatusRecord(customer=customer, recorded_by=owner, **values))
        if planned.employer_index is not None:
            links.append(CustomerRelationship(from_customer=customer, to_customer=customers[planned.employer_index],
                                              kind=CustomerRelationship.Kind.EMPLOYER))
    Consent.objects.bulk_create(consents, batch_size=BATCH_SIZE)
    changes = LifecycleChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    _backdate(changes, "changed_at", change_times)
    activity_record_bulk(
        ({"customer_id": c.customer_id, "kind": "lifecycle", "occurred_at": when, "actor_id": c.changed_by_id,
          "branch_id": c.customer.branch_id, "subject_type": "customers.lifecyclechange", "subject_id": c.pk,
          "data": {"field": c.field, "old": c.old_value, "new": c.new_value, "reason": str(c.reason)}}
         for c, when in zip(changes, change_times, strict=True)), batch_size=BATCH_SIZE)
    records = StatusRecord.objects.bulk_create(records, batch_size=BATCH_SIZE)
    _backdate(records, "recorded_at", record_times)
    CustomerRelationship.objects.bulk_create(links, batch_size=BATCH_SIZE)


def _write_transactions(plan: DemoPlan, customers: list[Customer], branches: dict[str, Branch],
                        products: dict[str, Product]) -> int:
    rows = [
        {
            "customer_id": customers[t.customer].pk, "occurred_at": t.occurred_at, "amount": t.amount,
            "margin": t.margin, "quantity": t.quantity, "product_id": products[t.sku].pk,
            "branch_id": branches[t.store].pk, "channel": t.channel, "external_ref": t.external_ref,
        }
        for t in plan.transactions
    ]
    return transaction_bulk_create(rows=rows, batch_size=BATCH_SIZE)


def load_demo(*, seed: int = DEFAULT_SEED, customers: int = DEFAULT_CUSTOMERS,
              transactions: int = DEFAULT_TRANSACTIONS, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Create the demo organisation, staff, catalogue, customers and transactions (see the module docstring)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []

    def step(label: str, since: float) -> float:
        now = time.perf_counter()
        steps.append((label, now - since))
        say(_("%(step)s: %(seconds).1f s") % {"step": label, "seconds": now - since})
        return now

    with transaction.atomic():
        mark = time.perf_counter()
        branches = ensure_branches()
        users = ensure_staff(branches)
        _tags, products = ensure_catalogue()
        mark = step(_("Branches, staff and products"), mark)
        if demo_customers_exist():
            say(_("The demo customers are already there; nothing else to do."))
            return DemoResult(created=False, customers=0, transactions=0, seconds=time.perf_counter() - started,
                              steps=steps)
        plan = build_plan(seed=seed, customers=customers, transactions=transactions)
        mark = step(_("Drawing %(customers)d customers and %(transactions)d transactions")
                    % {"customers": len(plan.customers), "transactions": len(plan.transactions)}, mark)
        written = _write_customers(plan, branches, users)
        mark = step(_("Customers, profiles and contacts"), mark)
        _write_customer_records(plan, written, users)
        mark = step(_("Consents and lifecycle history"), mark)
        count = _write_transactions(plan, written, branches, products)
        mark = step(_("Transactions"), mark)
        for demo_step in demo_step_list():
            demo_step.loader(customers=written, users=users, seed=seed)
            mark = step(str(demo_step.label), mark)
    return DemoResult(created=True, customers=len(written), transactions=count,
                      seconds=time.perf_counter() - started, steps=steps)
