"""Finding customers: the one search box, the list's filters and sort keys, the list and one customer, the pickers
(tags, custom attributes, owners, customers one may change) and the home page's counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet

from kehu.core.validators import normalize_phone
from kehu.org.models import User

from ..models import Customer, CustomerTier

_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")


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


def custom_attribute_list(*, kind: str = "") -> QuerySet:
    """Active custom attribute definitions, those applying to ``kind`` when given, in display order."""
    from ..models import CustomAttribute

    attributes = CustomAttribute.objects.filter(is_active=True)
    if kind:
        attributes = attributes.filter(Q(applies_to="") | Q(applies_to=kind))
    return attributes.order_by("position", "id")


def tag_list() -> QuerySet:
    from ..models import Tag

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


def customer_dashboard(*, user: User) -> dict[str, Any]:
    """Counts for the home page in one aggregate query: customers in the user's scope and those they own, by status."""
    from ..models import CustomerKind, LifecycleStatus

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
