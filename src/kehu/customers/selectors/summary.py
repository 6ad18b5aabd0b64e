"""The call-centre screen pop: customers by phone number and their 360 summaries, with the registered panels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from kehu.core.validators import normalize_phone
from kehu.org.models import User

from ..models import Consent, ConsentChannel, Contact, Customer, CustomerTier


def customer_lookup_by_phone(*, user: User, phone: str) -> QuerySet[Customer]:
    """Customers (visible to the user) with this mobile or phone, or a contact with it; for call-centre screen pops.

    Their tags and the rest of the screen pop come from :func:`customer_360_summary`.
    """
    number = normalize_phone(phone)
    # one id list as a UNION: PostgreSQL answers it from the mobile, phone and contact indexes, where
    # "id IN (…) OR id IN (…)" made it scan every customer (measured: 50–300 ms at a million customers)
    # ("mobile = … OR phone = …" in one member made SQLite scan every customer: each is a member of its own)
    by_mobile = Customer.objects.filter(mobile=number).order_by().values("pk")
    by_phone = Customer.objects.filter(phone=number).order_by().values("pk")
    by_contact = Contact.objects.filter(mobile=number).order_by().values("customer_id")
    return (
        Customer.objects.visible_to(user)
        .filter(pk__in=by_mobile.union(by_phone, by_contact))
        .select_related("owner", "branch", "person", "organisation")
    )


def customer_view_scope_sql(*, user: User, alias: str) -> tuple[str, list[Any]] | None:
    """The condition of ``Customer.objects.visible_to(user)`` (``view``) in SQL on the customer table under
    ``alias``, for hand-written reads of a hot path (the agent's screen): ``("", [])`` when the user sees every
    customer, None when none. ``visible_to`` stays the one definition (tests compare the two)."""
    from kehu.org.selectors import branch_ids_in_scope

    if (not getattr(user, "is_authenticated", False) or not user.is_active
            or not user.has_perm("customers.view_customer")):
        return None
    ids = branch_ids_in_scope(user)
    if ids is None:
        return "", []
    branches = f"{alias}.branch_id IN ({', '.join(['%s'] * len(ids))}) OR " if ids else ""
    return f"({branches}{alias}.owner_id = %s)", [*ids, user.pk]


@dataclass
class PanelData:
    """A registered panel (``kehu.core.registry.CustomerPanel``) with its data for one customer."""

    panel: Any
    data: Any

    @property
    def key(self) -> str:
        return str(self.panel.key)


def customer_panels(*, user: User, customer_ids: list[int], full: bool) -> dict[int, list[PanelData]]:
    """The registered panels the user may see, each loaded once for all the customers (already scoped to the user):
    per customer id, the panels in their order with their data. ``full``: for the 360 page (every panel, all of its
    data) rather than the screen pop (the panels with an API schema, what their schema holds)."""
    from kehu.core.registry import panel_list

    by_customer: dict[int, list[PanelData]] = {pk: [] for pk in customer_ids}
    if not customer_ids:
        return by_customer
    for panel in panel_list(screen_pop=not full):
        if not panel.allowed(user):
            continue
        data = panel.loader(list(customer_ids), user, full=full)
        for pk in customer_ids:
            by_customer[pk].append(PanelData(panel=panel, data=data.get(pk)))
    return by_customer


class Customer360Summary:
    """What a call-centre screen pop shows of one customer (its tier is on the customer): its current consents and
    primary contacts, and the data of each registered panel with an API schema (``panels``), whose fields are also
    attributes of the summary (``summary.purchases`` is the purchases panel's ``purchases``).

    The customer carries its tag names, in name order, as ``tag_names``.
    """

    def __init__(self, *, customer: Customer, current_consents: dict[str, Consent | None],
                 primary_contacts: list[Contact], panels: list[PanelData]) -> None:
        self.customer = customer
        self.current_consents = current_consents
        self.primary_contacts = primary_contacts
        self.panels = panels
        for item in panels:
            for name in getattr(item.panel.schema, "model_fields", {}):
                data = item.data
                setattr(self, name, data.get(name) if isinstance(data, dict) else getattr(data, name, None))


def customer_360_summary(*, user: User, customers: list[Customer]) -> list[Customer360Summary]:
    """The 360 summaries of customers already scoped to the user (e.g. from :func:`customer_lookup_by_phone`).

    Three small queries whatever the number of customers, plus those of the registered panels (each loads all the
    customers at once): the tag names (set on each customer as ``tag_names``) with the primary tier (cached on the
    customer, for ``Customer.tier``); the newest consent per channel; the primary contacts.

    This is the call-centre screen pop's hot path, so the first two are written in SQL (portable: window functions
    exist on SQLite and PostgreSQL): building their ORM equivalents (windows, the QUALIFY emulation, prefetches) cost
    more than running them. Model rows still come back as model instances with their fields converted.
    """
    from ..models import Tag

    ids = [customer.pk for customer in customers]
    if not ids:
        return []
    quote = connection.ops.quote_name
    in_ids = ", ".join(["%s"] * len(ids))
    tags_by_customer: dict[int, list[str]] = {pk: [] for pk in ids}
    tiers: dict[int, CustomerTier] = {}
    with connection.cursor() as cursor:
        # the tags and, in the same statement, the primary tier (a join in the customers' own query doubled its
        # planning time: 1.4 → 3 ms)
        cursor.execute(
            f"SELECT 0, ct.customer_id, t.name, '' FROM {quote(Customer.tags.through._meta.db_table)} ct "  # noqa: S608
            f"INNER JOIN {quote(Tag._meta.db_table)} t ON t.id = ct.tag_id WHERE ct.customer_id IN ({in_ids}) "
            f"UNION ALL SELECT 1, customer_id, tier, label FROM {quote(CustomerTier._meta.db_table)} "
            f"WHERE customer_id IN ({in_ids}) ORDER BY 1, 3",
            [*ids, *ids],
        )
        for kind, customer_id, name, label in cursor.fetchall():
            if kind == 0:
                tags_by_customer[customer_id].append(name)
            else:
                tiers[customer_id] = CustomerTier(customer_id=customer_id, tier=name, label=label)
    primary_tier = Customer.primary_tier.related  # type: ignore[attr-defined]
    for customer in customers:
        customer.tag_names = tags_by_customer[customer.pk]  # type: ignore[attr-defined]
        primary_tier.set_cached_value(customer, tiers.get(customer.pk))
    panels = customer_panels(user=user, customer_ids=ids, full=False)
    consents_by_customer: dict[int, dict[str, Consent | None]] = {
        pk: {channel: None for channel in ConsentChannel.values} for pk in ids
    }
    current = Consent.objects.raw(
        f"SELECT * FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.customer_id, c.channel "  # noqa: S608
        f"ORDER BY c.recorded_at DESC, c.id DESC) AS kehu_rank FROM {quote(Consent._meta.db_table)} c "
        f"WHERE c.customer_id IN ({in_ids})) r WHERE r.kehu_rank = 1",
        ids,
    )
    for consent in current:
        consents_by_customer[consent.customer_id][consent.channel] = consent
    contacts_by_customer: dict[int, list[Contact]] = {pk: [] for pk in ids}
    for contact in Contact.objects.filter(customer_id__in=ids, is_primary=True).order_by("id"):
        contacts_by_customer[contact.customer_id].append(contact)
    return [
        Customer360Summary(
            customer=customer,
            current_consents=consents_by_customer[customer.pk],
            primary_contacts=contacts_by_customer[customer.pk],
            panels=panels[customer.pk],
        )
        for customer in customers
    ]
