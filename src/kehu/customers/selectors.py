"""Every read of the customer information base that is more than a ``.get``. All take the acting user and scope."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.core.masking import mask_address, mask_birth_date, mask_email, mask_id_number, mask_phone
from kehu.core.messages import stored_text
from kehu.core.validators import normalize_phone
from kehu.org.models import User

from .duplicates import (  # noqa: F401 - detection lives in .duplicates; these names stay importable from here
    DUPLICATE_CRITERIA,
    customer_duplicate_groups,
    customer_duplicate_members,
    customer_likely_duplicates,
)
from .models import (
    Consent,
    ConsentChannel,
    Contact,
    Customer,
    CustomerTier,
    LifecycleChange,
    OwnershipTransfer,
    PersonalDataAccess,
)

HISTORY_ACTIONS = {
    "+": _("%(object)s created"),
    "~": _("%(object)s changed"),
    "-": _("%(object)s deleted"),
}
CENT = Decimal("0.01")
# masked for everyone (the plain current values are revealed on request, with a reason, and logged)
MASKED_HISTORY_FIELDS = {"mobile": mask_phone, "phone": mask_phone, "id_number": mask_id_number, "email": mask_email}
# masked also for roles without the personal-data permission (service agents, marketers, auditors)
RESTRICTED_FIELDS = {"address": mask_address, "birth_date": mask_birth_date}
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def money(value: Decimal | None) -> Decimal | None:
    """Round a money sum to cents (SQLite's SUM of decimals comes back with spurious places)."""
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def prefix_q(field_name: str, prefix: str) -> Q:
    """A prefix match that can use a B-tree index on both databases.

    PostgreSQL uses ``LIKE 'x%'`` with the ``varchar_pattern_ops`` indexes declared on the model; SQLite's LIKE is
    case-insensitive and cannot use a BINARY index, so there the prefix becomes a range ``x <= v < x + U+10FFFF``.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field_name}__startswith": prefix})


def customer_search_q(query: str) -> Q:
    """The condition for the one search box: name, pinyin, initials, code, phone or its last 4 digits, credit code."""
    text = query.strip()
    if not text:
        return Q()
    digits = re.sub(r"[\s\-+()]", "", text)
    condition = prefix_q("code", text.upper())
    if digits.isdigit():
        if len(digits) == 4:
            condition |= Q(mobile_last4=digits)
        if len(digits) >= 7:
            try:
                number = normalize_phone(text)
                condition |= Q(mobile=number) | Q(phone=number) | Q(contacts__mobile=number)
            except ValidationError:
                pass
        return condition
    upper = text.upper()
    if _CREDIT_CODE.match(upper):
        return condition | Q(organisation__credit_code=upper)
    if re.fullmatch(r"[A-Za-z]+", text):
        key = text.lower()
        return condition | prefix_q("name_initials", key) | prefix_q("name_pinyin", key)
    key = re.sub(r"\s+", "", text.lower())
    if re.fullmatch(r"[a-z0-9]+", key):
        return condition | prefix_q("name_pinyin", key)
    return condition | prefix_q("name", text)


_RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")


def searched_identifier(query: str) -> str:
    """Which personal identifier a search text is in full, if any: ``"phone"`` (a number of 7 digits or more that
    reads as a phone, as :func:`customer_search_q` matches it) or ``"id_number"`` (18 characters shaped like a
    resident ID); ``""`` otherwise (names, codes, the last 4 digits). Finding customers by one is logged."""
    text = (query or "").strip()
    if _RESIDENT_ID.match(text):
        return "id_number"
    digits = re.sub(r"[\s\-+()]", "", text)
    if digits.isdigit() and len(digits) >= 7:
        try:
            normalize_phone(text)
        except ValidationError:
            return ""
        return "phone"
    return ""


@dataclass
class CustomerFilters:
    """The list filters (all optional)."""

    query: str = ""
    kind: str = ""
    branch: int | None = None
    owner: int | None = None
    lifecycle_status: str = ""
    management_class: str = ""
    tag: int | None = None
    relationship_stage: str = ""
    tier: str = ""  # tier under the primary tier scheme (CustomerTier, kept by the scoring runs)
    extra: dict[str, Any] = field(default_factory=dict)


# The customer list's sort keys (``?sort=name``, ``?sort=-created``): each a whitelisted ordering, made stable by the
# id. Anything else is ignored (newest first). Names sort by their pinyin, as people look for them in Chinese.
CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name_pinyin", "name"),
    "code": ("code",),
    "created": ("created_at",),
    "owner": ("owner__display_name", "owner__username"),
    "branch": ("branch__path",),
    "status": ("lifecycle_status",),
    "class": ("management_class",),
    "tier": ("primary_tier__tier",),
}


def customer_sort_key(sort: str | None) -> str:
    """``sort`` when it is one of :data:`CUSTOMER_SORTS` (with or without a leading ``-``), else ``""``."""
    text = (sort or "").strip()
    return text if text.lstrip("-") in CUSTOMER_SORTS and text.count("-") <= 1 else ""


def customer_sort_order(sort: str) -> list[str]:
    """The ``order_by`` of a (whitelisted) sort key, with the id last so that pages never overlap."""
    key = customer_sort_key(sort)
    if not key:
        return ["-id"]
    descending = key.startswith("-")
    fields = CUSTOMER_SORTS[key.lstrip("-")]
    return [f"-{name}" if descending else name for name in fields] + ["-id" if descending else "id"]


def customer_list(*, user: User, filters: CustomerFilters | None = None, sort: str = "") -> QuerySet[Customer]:
    """Customers the user may see, filtered and searched, with what list pages show loaded in the same query; in
    the order of the whitelisted ``sort`` key (:data:`CUSTOMER_SORTS`), newest first by default."""
    from kehu.org.models import Branch
    from kehu.org.selectors import branch_subtree_q

    filters = filters or CustomerFilters()
    customers = Customer.objects.visible_to(user).select_related("owner", "branch", "primary_tier")
    if filters.query:
        condition = customer_search_q(filters.query)
        customers = customers.filter(condition)
        if "contacts__" in str(condition):
            customers = customers.distinct()
    if filters.kind:
        customers = customers.filter(kind=filters.kind)
    if filters.branch:
        branch = Branch.objects.filter(pk=filters.branch).first()
        customers = (
            customers.filter(branch__in=Branch.objects.filter(branch_subtree_q([branch])))
            if branch
            else customers.none()
        )
    if filters.owner:
        customers = customers.filter(owner_id=filters.owner)
    if filters.lifecycle_status:
        customers = customers.filter(lifecycle_status=filters.lifecycle_status)
    if filters.management_class:
        customers = customers.filter(management_class=filters.management_class)
    if filters.relationship_stage:
        customers = customers.filter(relationship_stage=filters.relationship_stage)
    if filters.tier:
        customers = customers.filter(primary_tier__tier=filters.tier)
    if filters.tag:
        customers = customers.filter(tags__id=filters.tag)
    return customers.order_by(*customer_sort_order(sort))


TIER_CHOICES_CACHE_KEY = "kehu:customer-tier-choices"


def customer_tier_choices() -> list[tuple[str, str]]:
    """The tiers customers hold under the primary scheme, as (code, "code label") for a filter; cached for five
    minutes (scoring runs and a change of primary scheme clear it: ``services.customer_tier_choices_changed``)."""
    from django.core.cache import cache
    from django.utils.translation import gettext

    def read() -> list[tuple[str, str]]:
        return sorted(set(CustomerTier.objects.order_by().values_list("tier", "label").distinct()))

    stored = cache.get_or_set(TIER_CHOICES_CACHE_KEY, read, 300) or []
    from kehu.core.templatetags.kehu_ui import is_grade_code

    # a grade code (A, HH) before its label; a word code (gold) only by its label, in the reader's language
    return [(code, (f"{code} {gettext(label)}" if is_grade_code(code) else gettext(label)) if label else code)
            for code, label in stored]


def customer_list_few(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """:func:`customer_list`'s order for a list whose capped count showed that few customers match (see
    ``kehu.core.pagination.order_few_rows``): the same order, read through the search indexes and sorted."""
    from kehu.core.pagination import order_few_rows

    return order_few_rows(customers, "-id")


def customer_get(*, user: User, pk: int, action: str = "view") -> Customer:
    """One customer the user may see (or change); raises ``Customer.DoesNotExist`` otherwise (views answer 404)."""
    return (
        Customer.objects.visible_to(user, action)
        .select_related("owner", "branch", "person", "organisation", "primary_tier")
        .prefetch_related("tags")
        .get(pk=pk)
    )


def customer_can_change(*, user: User, customer: Customer) -> bool:
    return Customer.objects.visible_to(user, "change").filter(pk=customer.pk).exists()


def customer_current_consents(*, customer: Customer) -> dict[str, Consent | None]:
    """The newest consent event per channel (None where nothing was ever recorded)."""
    current: dict[str, Consent | None] = {channel: None for channel in ConsentChannel.values}
    for consent in Consent.objects.filter(customer=customer).select_related("recorded_by").order_by(
        "-recorded_at", "-id"
    ):
        if current.get(consent.channel) is None:
            current[consent.channel] = consent
    return current


def customer_contacts(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("-is_primary", "id")


def customer_lifecycle_changes(*, customer: Customer) -> QuerySet[LifecycleChange]:
    return LifecycleChange.objects.filter(customer=customer).select_related("changed_by")


def customer_transfers(*, customer: Customer) -> QuerySet[OwnershipTransfer]:
    return OwnershipTransfer.objects.filter(customer=customer).select_related(
        "from_owner", "to_owner", "transferred_by"
    )


@dataclass
class HistoryEntry:
    """One saved change of a customer or its profile/contacts, with personal data masked."""

    when: Any
    who: str
    what: str
    reason: str
    changes: list[tuple[str, str, str]]


def may_see_personal_data(user: User | None) -> bool:
    """Whether the user's role may see personal data: street address and birth date in full, phones, e-mail and ID
    numbers after a logged reveal (``customers.view_personal_data``)."""
    return user is not None and user.has_perm("customers.view_personal_data")


def restricted_field_maskers(user: User | None) -> dict[str, Any]:
    """The fields masked for this user on top of phones, e-mail and ID numbers (masked for everyone until revealed):
    street address and birth date for roles without the personal-data permission; none for the others."""
    return {} if may_see_personal_data(user) else dict(RESTRICTED_FIELDS)


def _history_value(field_name: str, value: Any, maskers: dict[str, Any] | None = None) -> str:
    if value in (None, ""):
        return ""
    masker = MASKED_HISTORY_FIELDS.get(field_name) or (maskers or {}).get(field_name)
    return masker(str(value)) if masker else str(value)


def _event_reason(reason: str | None) -> bool:
    """Whether a history record's change reason names an event worth showing even when no stored field changed (a
    merge that kept every value, a change of tags), rather than the default reason of an edit."""
    from django.conf import settings
    from django.utils import translation

    if not reason:
        return False
    defaults = {"Edited"}  # stored as the English message; older rows in the editor's language
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            defaults.add(translation.gettext("Edited"))
    return reason not in defaults


def customer_history(*, customer: Customer, limit: int = 50, user: User | None = None) -> list[HistoryEntry]:
    """The audit history of a customer: its own records and its profile's and contacts', newest first.

    Reads the newest ``limit + 1`` records of each source (the extra one is the baseline the oldest shown change is
    diffed against). Choice values are shown with their labels and foreign keys with the related object's name;
    phones, e-mail addresses and ID numbers are masked, and so are the street address and birth date unless ``user``
    may see personal data (without a user they are masked too).
    """
    maskers = restricted_field_maskers(user)
    from .models import OrganisationProfile, PersonProfile

    def newest(records: QuerySet) -> list[Any]:
        return list(reversed(records.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]))

    sources = [
        (newest(customer.history.all()), Customer),
        (newest(PersonProfile.history.filter(customer_id=customer.pk)), PersonProfile),
        (newest(OrganisationProfile.history.filter(customer_id=customer.pk)), OrganisationProfile),
        (newest(Contact.history.filter(customer_id=customer.pk)), Contact),
    ]
    raw: list[tuple[Any, Any, list[tuple[Any, Any, Any]]]] = []
    related_ids: dict[Any, set[Any]] = {}
    for records, model in sources:
        previous_by_object: dict[Any, Any] = {}
        for index, record in enumerate(records):
            object_id = getattr(record, model._meta.pk.attname)
            previous = previous_by_object.get(object_id)
            previous_by_object[object_id] = record
            changes: list[tuple[Any, Any, Any]] = []
            if record.history_type == "~":
                if previous is None:
                    continue  # the baseline record of the window, or its object's first record is older
                for change in record.diff_against(previous).changes:
                    try:
                        field = model._meta.get_field(change.field)
                    except Exception:  # noqa: BLE001 - a field removed since
                        field = None
                    if field is not None and getattr(field, "related_model", None) is not None:
                        related_ids.setdefault(field.related_model, set()).update(
                            v for v in (change.old, change.new) if v not in (None, "")
                        )
                    changes.append((field or change.field, change.old, change.new))
                if not changes and not (model is Customer and _event_reason(record.history_change_reason)):
                    continue  # a save that changed nothing, unless it records an event (a merge, new tags)
            elif index == 0 and len(records) > limit:
                continue  # baseline only
            raw.append((record, model, changes))
    related_names = {
        (related_model, obj.pk): str(obj)
        for related_model, ids in related_ids.items()
        for obj in related_model._default_manager.filter(pk__in=ids)
    }

    def show(field: Any, value: Any) -> str:
        if value in (None, ""):
            return ""
        if isinstance(field, str):
            return str(value)
        if getattr(field, "related_model", None) is not None:
            return related_names.get((field.related_model, value), str(value))
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return _history_value(field.name, value, maskers)

    entries = [
        HistoryEntry(
            when=record.history_date,
            who=str(record.history_user) if record.history_user else "",
            what=HISTORY_ACTIONS[record.history_type] % {"object": model._meta.verbose_name},
            reason=stored_text(record.history_change_reason),
            changes=[
                (str(getattr(field, "verbose_name", field)), show(field, old), show(field, new))
                for field, old, new in changes
            ],
        )
        for record, model, changes in raw
    ]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


def customer_lookup_by_phone(*, user: User, phone: str) -> QuerySet[Customer]:
    """Customers (visible to the user) with this mobile or phone, or a contact with it; for call-centre screen pops.

    Their tags and the rest of the screen pop come from :func:`customer_360_summary`.
    """
    number = normalize_phone(phone)
    # one id list as a UNION: PostgreSQL answers it from the mobile, phone and contact indexes, where
    # "id IN (…) OR id IN (…)" made it scan every customer (measured: 50–300 ms at a million customers)
    by_customer = Customer.objects.filter(Q(mobile=number) | Q(phone=number)).order_by().values("pk")
    by_contact = Contact.objects.filter(mobile=number).order_by().values("customer_id")
    return (
        Customer.objects.visible_to(user)
        .filter(pk__in=by_customer.union(by_contact))
        .select_related("owner", "branch", "person", "organisation")
    )


# The words for the field names the access log stores raw ("mobile,phone,id_number,email"); a name not listed here
# (a field added later) is shown as stored.
ACCESS_LOG_FIELD_WORDS: dict[str, Any] = {
    "mobile": _("mobile"),
    "phone": _("other phone"),
    "id_number": _("ID number"),
    "email": _("email"),
    "address": _("address"),
    "birth_date": _("birth date"),
    "access_log": _("access log"),
}


def access_log_field_words(fields: str) -> str:
    """``"mobile,id_number"`` → ``"mobile, ID number"`` in the request's language."""
    from django.utils.translation import gettext

    names = [name.strip() for name in (fields or "").split(",") if name.strip()]
    return gettext(", ").join(str(ACCESS_LOG_FIELD_WORDS.get(name, name)) for name in names)


@dataclass
class AccessLogFilters:
    """The access log's filters (all optional): who, whose (a customer id, or a code or name prefix), what, when
    (dates in the user's time zone, both ends included) and a search over the reason, staff and customer."""

    user: int | None = None
    customer: str = ""
    action: str = ""
    date_from: Any = None
    date_to: Any = None
    query: str = ""


def _day_start(day: Any) -> Any:
    import datetime as dt

    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def personal_data_access_list(*, user: User, filters: AccessLogFilters | None = None
                              ) -> QuerySet[PersonalDataAccess]:
    """The access log, newest first, filtered; only for users with the permission to read it (auditors,
    administrators). Entries about customers since deleted stay (their customer is empty)."""
    import datetime as dt

    if not user.has_perm("customers.view_personaldataaccess"):
        return PersonalDataAccess.objects.none()
    entries = PersonalDataAccess.objects.select_related("user", "customer")
    filters = filters or AccessLogFilters()
    if filters.user:
        entries = entries.filter(user_id=filters.user)
    customer = filters.customer.strip()
    if customer:
        if customer.isascii() and customer.isdigit():
            entries = entries.filter(customer_id=int(customer)) if len(customer) <= 18 else entries.none()
        else:
            entries = entries.filter(Q(customer__code=customer.upper()) | prefix_q("customer__name", customer))
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.date_from:
        entries = entries.filter(accessed_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        entries = entries.filter(accessed_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    query = filters.query.strip()
    if query:
        entries = entries.filter(
            Q(reason__icontains=query) | Q(user__username__icontains=query) | Q(user__display_name__icontains=query)
            | Q(customer__code=query.upper()) | prefix_q("customer__name", query)
        )
    return entries.order_by("-accessed_at", "-id")


def customer_dashboard(*, user: User) -> dict[str, Any]:
    """Counts for the home page in one aggregate query: customers in the user's scope and those they own, by status."""
    from .models import CustomerKind, LifecycleStatus

    aggregates: dict[str, Any] = {"total": Count("id"), "mine": Count("id", filter=Q(owner=user))}
    for status in LifecycleStatus.values:
        aggregates[f"status_{status}"] = Count("id", filter=Q(lifecycle_status=status))
        aggregates[f"mine_{status}"] = Count("id", filter=Q(lifecycle_status=status, owner=user))
    for kind in CustomerKind.values:
        aggregates[f"kind_{kind}"] = Count("id", filter=Q(kind=kind))
    counts = Customer.objects.visible_to(user).aggregate(**aggregates)
    return {
        "total": counts["total"],
        "mine": counts["mine"],
        "by_status": [
            {"value": value, "label": label, "count": counts[f"status_{value}"], "mine": counts[f"mine_{value}"]}
            for value, label in LifecycleStatus.choices
        ],
        "by_kind": [
            {"value": value, "label": label, "count": counts[f"kind_{value}"]} for value, label in CustomerKind.choices
        ],
    }


def customer_status_records(*, customer: Customer, limit: int = 5) -> QuerySet:
    """The newest status records of a customer, with who recorded them."""
    from .models import StatusRecord

    return (
        StatusRecord.objects.filter(customer=customer).select_related("recorded_by").order_by("-recorded_at", "-id")
    )[:limit]


def custom_attribute_list(*, kind: str = "") -> QuerySet:
    """Active custom attribute definitions, those applying to ``kind`` when given, in display order."""
    from .models import CustomAttribute

    attributes = CustomAttribute.objects.filter(is_active=True)
    if kind:
        attributes = attributes.filter(Q(applies_to="") | Q(applies_to=kind))
    return attributes.order_by("position", "id")


def tag_list() -> QuerySet:
    from .models import Tag

    return Tag.objects.order_by("name")


def customer_changeable_list(
    *, user: User, ids: list[int] | None = None, owner: User | None = None
) -> QuerySet[Customer]:
    """Customers the user may change, optionally only these ids or those of one owner (bulk transfer screens)."""
    customers = Customer.objects.visible_to(user, "change").select_related("owner", "branch")
    if ids is not None:
        customers = customers.filter(pk__in=ids)
    if owner is not None:
        customers = customers.filter(owner=owner)
    return customers.order_by("-id")


def customer_owner_list(*, user: User) -> QuerySet[User]:
    """Staff, active or not, owning customers the user may change: who a "staff member leaves" transfer moves from."""
    owner_ids = Customer.objects.visible_to(user, "change").filter(owner__isnull=False).values("owner_id")
    return User.objects.filter(pk__in=owner_ids).order_by("username")


def customer_consent_history(*, customer: Customer) -> QuerySet[Consent]:
    """Every consent event of a customer, newest first, with who recorded it."""
    return Consent.objects.filter(customer=customer).select_related("recorded_by").order_by("-recorded_at", "-id")


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
    from .models import Tag

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
