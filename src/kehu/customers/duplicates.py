"""Duplicate detection: customers that look like one person or organisation (reads only).

Four criteria: the same mobile, the same resident ID number, the same unified social credit code, or the same name
and birth date. Used by the create and edit forms and the API (through ``customer_create``/``customer_update``
with ``check_duplicates``), by the import's warnings and by the managers' duplicates list.

Privacy: every read goes through ``Customer.objects.visible_to(user)``. A match the user may not see is treated as
if it did not exist (no detail, no "a customer exists elsewhere" hint): such a hint would tell anyone whether a
phone or ID number belongs to a customer anywhere, without a log entry. Duplicates across branches are found by the
roles that see both (the duplicates list of administrators and managers above both branches).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.core.bulkio.rows import in_list_size
from kehu.org.models import User

from .models import Customer

DUPLICATE_CRITERIA = {
    "mobile": _("Same mobile"),
    "id_number": _("Same ID number"),
    "credit_code": _("Same credit code"),
    "name_birth_date": _("Same name and birth date"),
}


@dataclass(frozen=True)
class DuplicateMatch:
    """A stored customer that looks like the one being entered, and why (criteria keys of ``DUPLICATE_CRITERIA``)."""

    customer: Customer
    reasons: tuple[str, ...]

    @property
    def keys(self) -> frozenset[str]:
        """What acknowledging this match means: ``"<customer id>:<criterion>"`` per reason. A changed input that
        matches another customer, or the same one for another reason, gives a key not acknowledged yet."""
        return frozenset(f"{self.customer.pk}:{reason}" for reason in self.reasons)

    @property
    def reason_labels(self) -> list[str]:
        return [str(DUPLICATE_CRITERIA[reason]) for reason in self.reasons]


def _wanted(*, name: str, mobile: str, id_number: str, credit_code: str, birth_date: Any) -> dict[str, Any]:
    """The usable criteria of the input, normalised as the forms normalise them; unusable values are left out."""
    from kehu.core.validators import normalize_credit_code, normalize_mobile, normalize_resident_id

    wanted: dict[str, Any] = {}
    if mobile:
        with contextlib.suppress(ValidationError):  # not a mobile number: nothing to compare
            wanted["mobile"] = normalize_mobile(mobile)
    if id_number and id_number.strip():
        wanted["id_number"] = normalize_resident_id(id_number)
    if credit_code and credit_code.strip():
        wanted["credit_code"] = normalize_credit_code(credit_code)
    if name and name.strip() and birth_date:
        wanted["name_birth_date"] = (name.strip(), birth_date)
    return wanted


def customer_duplicate_matches(
    *, user: User, name: str = "", mobile: str = "", id_number: str = "", credit_code: str = "",
    birth_date: Any = None, exclude_pk: int | None = None, limit: int = 10,
) -> list[DuplicateMatch]:
    """Stored customers visible to the user that share the mobile, ID number or credit code given, or the name
    together with the birth date; newest first, at most ``limit`` (always the same ones for the same input)."""
    wanted = _wanted(name=name, mobile=mobile, id_number=id_number, credit_code=credit_code, birth_date=birth_date)
    if not wanted:
        return []
    conditions = Q(pk__in=[])
    if "mobile" in wanted:
        conditions |= Q(mobile=wanted["mobile"])
    if "id_number" in wanted:
        conditions |= Q(person__id_number=wanted["id_number"])
    if "credit_code" in wanted:
        conditions |= Q(organisation__credit_code=wanted["credit_code"])
    if "name_birth_date" in wanted:
        match_name, match_date = wanted["name_birth_date"]
        conditions |= Q(name=match_name, person__birth_date=match_date)
    customers = (
        Customer.objects.visible_to(user).filter(conditions)
        .select_related("branch", "owner", "person", "organisation").order_by("-id")
    )
    if exclude_pk:
        customers = customers.exclude(pk=exclude_pk)
    found = []
    for customer in customers[:limit]:
        person = getattr(customer, "person", None) if customer.is_person else None
        organisation = getattr(customer, "organisation", None) if customer.is_organisation else None
        reasons = []
        if wanted.get("mobile") and customer.mobile == wanted["mobile"]:
            reasons.append("mobile")
        if person and wanted.get("id_number") and person.id_number == wanted["id_number"]:
            reasons.append("id_number")
        if organisation and wanted.get("credit_code") and organisation.credit_code == wanted["credit_code"]:
            reasons.append("credit_code")
        if person and wanted.get("name_birth_date") == (customer.name, person.birth_date):
            reasons.append("name_birth_date")
        if reasons:
            found.append(DuplicateMatch(customer, tuple(reasons)))
    return found


def customer_likely_duplicates(
    *, user: User, name: str = "", mobile: str = "", id_number: str = "", credit_code: str = "",
    birth_date: Any = None, exclude_pk: int | None = None, limit: int = 10,
) -> list[Customer]:
    """Stored customers (visible to the user) that look like the one described: same mobile, ID number or credit
    code, or same name and birth date. Each result carries ``duplicate_reasons`` (labels). Values are normalised as
    the forms normalise them; unusable values are ignored. For warnings on create, edit and import.
    """
    found = []
    for match in customer_duplicate_matches(user=user, name=name, mobile=mobile, id_number=id_number,
                                            credit_code=credit_code, birth_date=birth_date, exclude_pk=exclude_pk,
                                            limit=limit):
        match.customer.duplicate_reasons = [DUPLICATE_CRITERIA[r] for r in match.reasons]  # type: ignore[attr-defined]
        found.append(match.customer)
    return found


def unacknowledged_duplicates(matches: Sequence[DuplicateMatch], acknowledged: Collection[str]) -> bool:
    """Whether some match (or some reason of a match) is not among the acknowledged keys."""
    return any(not match.keys <= set(acknowledged) for match in matches)


# the column each identifier criterion compares, from Customer
_IDENTIFIER_FIELDS = {"mobile": "mobile", "id_number": "person__id_number", "credit_code": "organisation__credit_code"}


def customer_codes_by_identifier(*, user: User | None, criterion: str, values: Sequence[str]) -> dict[str, str]:
    """For a batch of already normalised mobiles, ID numbers or credit codes: value → the code of a stored customer
    (visible to ``user``; every customer when ``user`` is None, as for the operator's command-line import) that has
    it. Batched ``IN`` lists over the identifier's index; for the import's warnings."""
    field = _IDENTIFIER_FIELDS.get(criterion)
    if field is None:
        raise ValueError(f"unknown identifier criterion {criterion!r}")
    customers = Customer.objects.all() if user is None else Customer.objects.visible_to(user)
    size = in_list_size(5000)
    found: dict[str, str] = {}
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        part = unique[start:start + size]
        for value, code in customers.filter(**{f"{field}__in": part}).values_list(field, "code").order_by("id"):
            found.setdefault(value, code)
    return found


def customer_duplicate_groups(*, user: User, criterion: str) -> QuerySet:
    """Groups of customers (visible to the user) sharing a mobile, ID number, credit code or name and birth date,
    largest first: rows of ``{"key": …, "count": n}`` (``key`` a string; name and date joined by a tab). For the
    managers' duplicates list; paginate it and load the members of a page with :func:`customer_duplicate_members`.
    """
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Cast, Concat

    customers = Customer.objects.visible_to(user)
    if criterion == "mobile":
        rows = customers.exclude(mobile="").values(key=F("mobile"))
    elif criterion == "id_number":
        rows = customers.filter(person__isnull=False).exclude(person__id_number="").values(
            key=F("person__id_number"))
    elif criterion == "credit_code":
        rows = customers.filter(organisation__isnull=False).exclude(organisation__credit_code="").values(
            key=F("organisation__credit_code"))
    elif criterion == "name_birth_date":
        rows = customers.filter(person__birth_date__isnull=False).values(
            key=Concat("name", Value("\t"), Cast("person__birth_date", CharField()), output_field=CharField()))
    else:
        raise ValueError(f"unknown duplicate criterion {criterion!r}")
    return rows.annotate(count=Count("id")).filter(count__gt=1).order_by("-count", "key")


def customer_duplicate_members(*, user: User, criterion: str, keys: list[str]) -> dict[str, list[Customer]]:
    """The customers of each duplicate group key (one query for a page of groups)."""
    customers = Customer.objects.visible_to(user).select_related("branch", "owner", "person", "organisation")
    if criterion == "mobile":
        customers, key_of = customers.filter(mobile__in=keys), (lambda c: c.mobile)
    elif criterion == "id_number":
        customers, key_of = customers.filter(person__id_number__in=keys), (lambda c: c.person.id_number)
    elif criterion == "credit_code":
        customers = customers.filter(organisation__credit_code__in=keys)
        key_of = lambda c: c.organisation.credit_code  # noqa: E731
    elif criterion == "name_birth_date":
        condition = Q(pk__in=[])
        for key in keys:
            name, _tab, day = key.partition("\t")
            condition |= Q(name=name, person__birth_date=dt.date.fromisoformat(day[:10]))
        customers = customers.filter(condition)
        key_of = lambda c: f"{c.name}\t{c.person.birth_date.isoformat()}"  # noqa: E731
    else:
        raise ValueError(f"unknown duplicate criterion {criterion!r}")
    members: dict[str, list[Customer]] = {key: [] for key in keys}
    for customer in customers.order_by("id"):
        members.setdefault(key_of(customer), []).append(customer)
    return members
