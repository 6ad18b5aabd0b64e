"""Every write to the customer information base. Each service is one transaction and validates what it stores.

Services take the acting user (``actor``) and check row-level permission themselves, so every entry point (UI,
API, command, task) gets the same rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core import validators
from kehu.core.exceptions import ConcurrentUpdateError
from kehu.org.models import Branch, User

from . import rules
from .models import (
    CodeSettings,
    Consent,
    Contact,
    Customer,
    CustomerKind,
    LifecycleChange,
    OrganisationProfile,
    OwnershipTransfer,
    PersonalDataAccess,
    PersonProfile,
    StatusRecord,
    Tag,
)

CUSTOMER_FIELDS = {
    "name", "mobile", "phone", "email", "province", "city", "district", "address", "owner", "branch",
    "lifecycle_status", "lifecycle_stage", "management_class", "marketing_type", "brand_attitude",
    "share_of_wallet", "relationship_stage", "custom_attributes", "notes", "province_code", "city_code",
    "district_code", "industry", "source", "customer_since",
}
DIVISION_NAMES = {"province", "city", "district"}
DIVISION_CODES = {"province_code", "city_code", "district_code"}
PERSON_FIELDS = {
    "gender", "birth_date", "id_type", "id_number", "employer", "position", "income_band", "household",
    "education", "preferences",
}
ORGANISATION_FIELDS = {
    "credit_code", "ownership_type", "industry", "main_business", "staff_count", "annual_revenue",
    "legal_representative", "founded_on", "other_banks_suppliers", "business_status",
}


class DuplicateCustomerError(Exception):
    """The customer looks like stored ones (visible to the actor) and the caller did not acknowledge all of them.

    ``matches`` lists every match found (``customers.duplicates.DuplicateMatch``), acknowledged or not, so that the
    caller can offer to acknowledge them all at once.
    """

    def __init__(self, matches: list[Any]) -> None:
        super().__init__(_("This looks like a customer we already have. Check the matches, or save anyway."))
        self.matches = matches


def _check_duplicates(
    actor: User, customer: Customer, profile: PersonProfile | OrganisationProfile | None, *, criteria: set[str],
    acknowledged: Collection[str], exclude_pk: int | None = None,
) -> None:
    """Raise :class:`DuplicateCustomerError` when the (validated, normalised) values of ``criteria`` match customers
    the actor can see and not every match is acknowledged. Customers out of the actor's sight never count."""
    from .duplicates import customer_duplicate_matches, unacknowledged_duplicates

    if not criteria:
        return
    person = profile if isinstance(profile, PersonProfile) else None
    organisation = profile if isinstance(profile, OrganisationProfile) else None
    matches = customer_duplicate_matches(
        user=actor, exclude_pk=exclude_pk,
        mobile=customer.mobile if "mobile" in criteria else "",
        id_number=person.id_number if person is not None and "id_number" in criteria else "",
        credit_code=organisation.credit_code if organisation is not None and "credit_code" in criteria else "",
        name=customer.name if person is not None and "name_birth_date" in criteria else "",
        birth_date=person.birth_date if person is not None and "name_birth_date" in criteria else None,
    )
    if unacknowledged_duplicates(matches, acknowledged):
        raise DuplicateCustomerError(matches)


_ALL_DUPLICATE_CRITERIA = {"mobile", "id_number", "credit_code", "name_birth_date"}


def customer_search_keys(customer: Customer) -> None:
    """Fill the stored search keys (pinyin, initials, mobile suffix) from the customer's name and mobile (the rules of
    :mod:`kehu.customers.rules`, as the bulk upsert applies them)."""
    customer.name_pinyin, customer.name_initials = rules.search_keys(customer.name, customer.kind)
    customer.mobile_last4 = rules.mobile_last4(customer.mobile)


def customer_code_allocate(*, kind: str, branch: Branch | None, count: int = 1) -> list[str]:
    """Allocate ``count`` customer codes from the configured pattern (row-locked counter, no gaps under races)."""
    with transaction.atomic():
        settings_row = CodeSettings.objects.select_for_update().filter(pk=1).first()
        if settings_row is None:
            CodeSettings.objects.get_or_create(pk=1)
            settings_row = CodeSettings.objects.select_for_update().get(pk=1)
        start = settings_row.next_number
        CodeSettings.objects.filter(pk=1).update(next_number=F("next_number") + count)
    today = timezone.localdate()
    codes = []
    for number in range(start, start + count):
        try:
            codes.append(settings_row.pattern.format(
                seq=number, year=today.year, month=f"{today.month:02d}", branch=branch.code if branch else "",
                kind="P" if kind == CustomerKind.PERSON else "O",
            ))
        except (KeyError, ValueError, IndexError):
            raise ValidationError(_("The customer code pattern “%(pattern)s” is invalid.")
                                  % {"pattern": settings_row.pattern}) from None
    return codes


def _require(actor: User, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))


def _check_can_change(actor: User, customer: Customer) -> None:
    if not Customer.objects.visible_to(actor, "change").filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer."))


def _check_branch_allowed(actor: User, branch: Branch | None) -> None:
    from kehu.org.selectors import branch_ids_in_scope

    if branch is None:
        return
    ids = branch_ids_in_scope(actor)
    if ids is not None and branch.pk not in ids:
        raise ValidationError({"branch": [_("You may only put customers in your own branches.")]})


def _check_transfer_allowed(actor: User, new_owner: User | None) -> None:
    """Giving a customer to another account manager: the transfer permission, and a new owner in the actor's scope."""
    from kehu.org.selectors import owner_list

    if not actor.has_perm("customers.transfer_customer"):
        raise PermissionDenied(_("Giving a customer to another account manager is a transfer: you do not have "
                                 "permission to transfer customers."))
    if new_owner is not None and not owner_list(user=actor).filter(pk=new_owner.pk).exists():
        raise ValidationError({"owner": [_("You may only give customers to staff of your own branches who may own "
                                           "customers.")]})


def _full_clean_all(customer: Customer, profile: PersonProfile | OrganisationProfile | None) -> None:
    errors: dict[str, list[str]] = {}
    for obj, exclude in ((customer, ["code", "tags"]), (profile, ["customer"])):
        if obj is None:
            continue
        try:
            obj.full_clean(exclude=exclude, validate_unique=obj is customer)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def customer_create(
    *, actor: User, kind: str, name: str, branch: Branch, owner: User | None = None, code: str = "",
    person: dict[str, Any] | None = None, organisation: dict[str, Any] | None = None,
    tags: Iterable[Tag] = (), check_duplicates: bool = False, acknowledged_duplicates: Collection[str] = (),
    **fields: Any,
) -> Customer:
    """Create a customer with its profile. Account managers become the owner of what they create.

    With ``check_duplicates`` (the forms and the API), nothing is written and :class:`DuplicateCustomerError` is
    raised when the customer looks like stored ones the actor can see, unless each match's keys are among
    ``acknowledged_duplicates`` (see ``DuplicateMatch.keys``).
    """
    _require(actor, "customers.add_customer")
    from kehu.org.selectors import user_is_read_only, user_roles

    if user_is_read_only(actor):
        raise PermissionDenied(_("You do not have permission to do this."))
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    _check_branch_allowed(actor, branch)
    if owner is None and "account_manager" in user_roles(actor):
        owner = actor
    customer = Customer(kind=kind, name=name, branch=branch, owner=owner, code=code or "pending", **fields)
    profile: PersonProfile | OrganisationProfile | None
    if kind == CustomerKind.PERSON:
        profile = PersonProfile(customer=customer, **_profile_fields(person or {}, PERSON_FIELDS))
    elif kind == CustomerKind.ORGANISATION:
        profile = OrganisationProfile(customer=customer, **_profile_fields(organisation or {}, ORGANISATION_FIELDS))
    else:
        raise ValidationError({"kind": [_("Choose a person or an organisation.")]})
    if not name or not name.strip():
        raise ValidationError({"name": [_("A name is required.")]})
    _full_clean_all(customer, profile)
    if check_duplicates:
        _check_duplicates(actor, customer, profile, criteria=_ALL_DUPLICATE_CRITERIA,
                          acknowledged=acknowledged_duplicates)
    if not code:
        customer.code = customer_code_allocate(kind=kind, branch=branch)[0]
    elif Customer.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("Another customer already has the code %(code)s.") % {"code": code}]})
    customer_search_keys(customer)
    customer._change_reason = gettext_noop("Record created")  # type: ignore[attr-defined]
    customer.save()
    profile.customer = customer
    profile.save()
    if tags:
        customer.tags.set(_capped_tags(tags))
    if customer.lifecycle_status:
        change = LifecycleChange.objects.create(
            customer=customer, field=LifecycleChange.Field.STATUS, old_value="",
            new_value=customer.lifecycle_status, reason=gettext_noop("Record created"), changed_by=actor,
        )
        _lifecycle_activity(customer, change, actor)
    return customer


def _lifecycle_activity(customer: Customer, change: LifecycleChange, actor: User | None) -> None:
    from .timeline import activity_record

    activity_record(customer=customer, kind="lifecycle", occurred_at=change.changed_at, actor=actor, subject=change,
                    data={"field": change.field, "old": change.old_value, "new": change.new_value,
                          "reason": str(change.reason)})


def _profile_fields(data: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    return data


@transaction.atomic
def customer_update(
    *, customer: Customer, actor: User, expected_version: int | None = None, reason: str = "",
    person: dict[str, Any] | None = None, organisation: dict[str, Any] | None = None,
    tags: Iterable[Tag] | None = None, check_duplicates: bool = False,
    acknowledged_duplicates: Collection[str] = (), transfer_reason: str = "", **fields: Any,
) -> Customer:
    """Update a customer and its profile.

    ``expected_version`` is the version the caller read: when someone else saved in between, nothing is written and
    :class:`ConcurrentUpdateError` is raised. Lifecycle status/stage changes are recorded with ``reason``.
    ``check_duplicates`` as in :func:`customer_create`, for the criteria whose values this update changes (a
    customer is never its own duplicate, and an unchanged mobile does not warn again at every edit).

    A new ``owner`` is a transfer, as on the transfer page: it needs the transfer permission (``PermissionDenied``
    otherwise), must be a staff member of the actor's branches, and is recorded as an :class:`OwnershipTransfer`
    with ``transfer_reason`` (default: ``reason``).
    """
    _check_can_change(actor, customer)
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    if DIVISION_NAMES & set(fields) and not DIVISION_CODES & set(fields):
        # divisions given by name only (an older API client): their codes are found again from the names
        fields.update(province_code="", city_code="", district_code="")
    elif DIVISION_CODES & set(fields):
        # a level given by code without the levels below it clears them (a new province has other cities)
        if "province_code" in fields:
            fields.setdefault("city_code", "")
        if "city_code" in fields:
            fields.setdefault("district_code", "")
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentUpdateError(locked.version)
    if "branch" in fields and fields["branch"] != locked.branch:
        _check_branch_allowed(actor, fields["branch"])
    new_owner = fields.get("owner")
    owner_changes = "owner" in fields and (new_owner.pk if new_owner else None) != locked.owner_id
    if owner_changes:
        _check_transfer_allowed(actor, new_owner)
    old_status, old_stage = locked.lifecycle_status, locked.lifecycle_stage
    for field, value in fields.items():
        setattr(customer, field, value)
    customer.version = locked.version
    profile: PersonProfile | OrganisationProfile | None = None
    if customer.kind == CustomerKind.PERSON:
        profile = PersonProfile.objects.filter(customer=customer).first() or PersonProfile(customer=customer)
        before: dict[str, Any] = {"id_number": profile.id_number, "birth_date": profile.birth_date}
        for field, value in _profile_fields(person or {}, PERSON_FIELDS).items():
            setattr(profile, field, value)
    else:
        profile = OrganisationProfile.objects.filter(customer=customer).first() or OrganisationProfile(
            customer=customer
        )
        before = {"credit_code": profile.credit_code}
        for field, value in _profile_fields(organisation or {}, ORGANISATION_FIELDS).items():
            setattr(profile, field, value)
    if not customer.name or not customer.name.strip():
        raise ValidationError({"name": [_("A name is required.")]})
    _full_clean_all(customer, profile)
    if check_duplicates:
        changed = {name for name, old in before.items() if getattr(profile, name) != old}
        criteria = {name for name in ("id_number", "credit_code") if name in changed}
        if customer.mobile != locked.mobile:
            criteria.add("mobile")
        if customer.name != locked.name or "birth_date" in changed:
            criteria.add("name_birth_date")
        _check_duplicates(actor, customer, profile, criteria=criteria, acknowledged=acknowledged_duplicates,
                          exclude_pk=customer.pk)
    customer_search_keys(customer)
    customer.version = locked.version + 1
    # the history's reason column holds 100 characters (PostgreSQL refuses more)
    customer._change_reason = (reason or gettext_noop("Edited"))[:100]  # type: ignore[attr-defined]
    customer.save()
    # the reason also goes on the profile's history record: an edit may change only profile fields
    profile._change_reason = customer._change_reason  # type: ignore[attr-defined,union-attr]
    profile.save()
    if tags is not None:
        customer.tags.set(_capped_tags(tags))
    if owner_changes:
        OwnershipTransfer.objects.create(
            customer=customer, batch=uuid.uuid4().hex, from_owner_id=locked.owner_id, to_owner=new_owner,
            from_branch_id=locked.branch_id,
            to_branch=customer.branch if customer.branch_id != locked.branch_id else None,
            reason=(transfer_reason or reason or gettext_noop("Edited")).strip()[:255], transferred_by=actor,
        )
    for field, old, new in (
        (LifecycleChange.Field.STATUS, old_status, customer.lifecycle_status),
        (LifecycleChange.Field.STAGE, old_stage, customer.lifecycle_stage),
    ):
        if old != new:
            change = LifecycleChange.objects.create(customer=customer, field=field, old_value=old, new_value=new,
                                                    reason=reason, changed_by=actor)
            _lifecycle_activity(customer, change, actor)
    return customer


@transaction.atomic
def customer_transfer(
    *, customers: Iterable[Customer], new_owner: User, actor: User, reason: str, new_branch: Branch | None = None,
) -> int:
    """Give customers to another account manager (and optionally another branch), recording each transfer.

    Returns the number of customers moved; customers already owned by ``new_owner`` are left alone.
    """
    _require(actor, "customers.transfer_customer")
    if not reason or not reason.strip():
        raise ValidationError({"reason": [_("Say why the customers are transferred.")]})
    _check_transfer_allowed(actor, new_owner)
    if not new_owner.is_active:
        raise ValidationError({"new_owner": [_("The new account manager is not an active staff member.")]})
    _check_branch_allowed(actor, new_branch)
    ids = [c.pk for c in customers]
    allowed = Customer.objects.visible_to(actor, "change").filter(pk__in=ids)
    rows = list(allowed.select_for_update().values("pk", "owner_id", "branch_id"))
    if len(rows) != len(set(ids)):
        raise PermissionDenied(_("You may not transfer some of these customers."))
    batch = uuid.uuid4().hex
    to_move = [r for r in rows if r["owner_id"] != new_owner.pk or (new_branch and r["branch_id"] != new_branch.pk)]
    transfers = OwnershipTransfer.objects.bulk_create([
        OwnershipTransfer(
            customer_id=r["pk"], batch=batch, from_owner_id=r["owner_id"], to_owner=new_owner,
            from_branch_id=r["branch_id"], to_branch=new_branch or None, reason=reason.strip(), transferred_by=actor,
        )
        for r in to_move
    ])
    _transfer_activities(transfers, new_owner=new_owner, actor=actor)
    changes: dict[str, Any] = {"owner": new_owner, "version": F("version") + 1, "updated_at": timezone.now()}
    if new_branch is not None:
        changes["branch"] = new_branch
    moved_ids = [r["pk"] for r in to_move]
    for start in range(0, len(moved_ids), 1000):
        Customer.objects.filter(pk__in=moved_ids[start : start + 1000]).update(**changes)
    return len(moved_ids)


def _transfer_activities(transfers: list[OwnershipTransfer], *, new_owner: User, actor: User) -> None:
    """One timeline activity per transfer, in one INSERT."""
    from .timeline import activity_record_bulk

    names = {user.pk: str(user) for user in User.objects.filter(
        pk__in={t.from_owner_id for t in transfers if t.from_owner_id})}
    now = timezone.now()
    activity_record_bulk(
        {"customer_id": t.customer_id, "kind": "transfer", "occurred_at": t.transferred_at or now,
         "actor_id": actor.pk, "branch_id": t.to_branch_id or t.from_branch_id,
         "subject_type": "customers.ownershiptransfer", "subject_id": t.pk,
         "data": {"from_owner": names.get(t.from_owner_id or 0, ""), "to_owner": str(new_owner), "reason": t.reason}}
        for t in transfers
    )


def customer_transfer_all_from(*, from_owner: User, new_owner: User, actor: User, reason: str) -> int:
    """The "staff member leaves" case: move every customer of ``from_owner`` that the actor may change."""
    customers = Customer.objects.visible_to(actor, "change").filter(owner=from_owner).only("pk")
    return customer_transfer(customers=list(customers), new_owner=new_owner, actor=actor, reason=reason)


def _check_contact_role(contact: Contact) -> None:
    """A person's contacts are related to them (spouse, assistant, guardian, other); an organisation's hold a role
    there."""
    if contact.role not in Contact.roles_for(contact.customer.kind):
        raise ValidationError({"role": [_("“%(role)s” is not a role for a contact of this kind of customer.")
                                        % {"role": contact.get_role_display()}]})


@transaction.atomic
def contact_create(*, customer: Customer, actor: User, name: str, **fields: Any) -> Contact:
    """Add a contact to a person (a spouse, assistant, guardian) or an organisation (its staff)."""
    _require(actor, "customers.add_contact")
    _check_can_change(actor, customer)
    contact = Contact(customer=customer, name=name, **fields)
    contact.full_clean()
    _check_contact_role(contact)
    if contact.is_primary:
        customer.contacts.update(is_primary=False)
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: User, **fields: Any) -> Contact:
    _require(actor, "customers.change_contact")
    _check_can_change(actor, contact.customer)
    for field, value in fields.items():
        setattr(contact, field, value)
    contact.full_clean()
    if "role" in fields:
        _check_contact_role(contact)
    if contact.is_primary:
        contact.customer.contacts.exclude(pk=contact.pk).update(is_primary=False)
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor: User) -> None:
    _require(actor, "customers.delete_contact")
    _check_can_change(actor, contact.customer)
    contact.delete()


@transaction.atomic
def consent_record(
    *, customer: Customer, actor: User, channel: str, granted: bool, source: str = Consent.Source.OTHER,
    purpose: str = "", notice_version: str = "", recorded_at: dt.datetime | None = None,
) -> Consent:
    """Append a consent (or withdrawal) for one channel; it takes effect at once as the channel's current state."""
    _require(actor, "customers.add_consent")
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer."))
    consent = Consent(
        customer=customer, channel=channel, granted=granted, source=source, purpose=purpose,
        notice_version=notice_version, recorded_at=recorded_at or timezone.now(), recorded_by=actor,
    )
    consent.full_clean()
    consent.save()
    return consent


@transaction.atomic
def status_record_create(*, customer: Customer, actor: User, **fields: Any) -> StatusRecord:
    _check_can_change(actor, customer)
    record = StatusRecord(customer=customer, recorded_by=actor, **fields)
    record.full_clean()
    record.save()
    return record


REVEALABLE_FIELDS = ("mobile", "phone", "id_number", "email")


@transaction.atomic
def personal_data_reveal(
    *, customer: Customer, actor: User, fields: Iterable[str], reason: str, ip_address: str | None = None,
) -> dict[str, str]:
    """Return unmasked personal data of a customer and write the access log.

    Needs the reveal permission, a customer in the actor's scope and a reason.
    """
    if not actor.has_perm("customers.view_personal_data"):
        raise PermissionDenied(_("You may not see personal data."))
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not see this customer."))
    wanted = [f for f in fields if f in REVEALABLE_FIELDS] or list(REVEALABLE_FIELDS)
    if not reason or len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("Give a reason for revealing personal data.")]})
    values: dict[str, str] = {}
    for field in wanted:
        if field == "id_number":
            profile = PersonProfile.objects.filter(customer=customer).only("id_number").first()
            values[field] = profile.id_number if profile else ""
        else:
            values[field] = getattr(customer, field)
    PersonalDataAccess.objects.create(
        user=actor, customer=customer, action=PersonalDataAccess.Action.REVEAL, fields=",".join(wanted),
        reason=reason.strip()[:255], ip_address=ip_address,
    )
    return values


def personal_data_access_log(
    *, actor: User, action: str, reason: str, fields: str, customer: Customer | None = None,
    ip_address: str | None = None,
) -> PersonalDataAccess:
    """Write one access-log entry (used for exports and lookups)."""
    return PersonalDataAccess.objects.create(user=actor, customer=customer, action=action, fields=fields,
                                             reason=reason[:255], ip_address=ip_address)


def _capped_tags(tags: Iterable[Tag]) -> list[Tag]:
    """The tags of one customer, at most ``TAGS_PER_CUSTOMER_MAX`` of them (a ValidationError on ``tags`` else)."""
    chosen = list({tag.pk: tag for tag in tags}.values())
    if len(chosen) > validators.TAGS_PER_CUSTOMER_MAX:
        raise ValidationError({"tags": [_("A customer has at most %(max)s tags.")
                                        % {"max": validators.TAGS_PER_CUSTOMER_MAX}]})
    return chosen


def tag_get_or_create(*, name: str) -> Tag:
    """The tag with this name, created if new. A name is 1 to ``TAG_LENGTH_MAX`` characters of storable text."""
    text = name.strip()
    problem = validators.text_problem(text)
    if problem:
        raise ValidationError({"tags": [problem]})
    if not text or len(text) > validators.TAG_LENGTH_MAX:
        raise ValidationError({"tags": [_("A tag has 1 to %(max)s characters.") % {"max": validators.TAG_LENGTH_MAX}]})
    tag, _created = Tag.objects.get_or_create(name=text)
    return tag


def personal_data_lookup_log(
    *, actor: User, customers: Iterable[Customer], fields: str, reason: str, ip_address: str | None = None,
    action: str = PersonalDataAccess.Action.LOOKUP,
) -> int:
    """Log that ``actor`` found these customers by a personal datum (a call-centre phone lookup, or with ``action``
    ``search`` a search by a full phone or ID number): one insert."""
    entries = [
        PersonalDataAccess(user=actor, customer=customer, action=action, fields=fields,
                           reason=reason[:255], ip_address=ip_address)
        for customer in customers
    ]
    if len(entries) == 1:
        entries[0].save()  # the usual case: one INSERT, without the transaction bulk_create opens
    else:
        PersonalDataAccess.objects.bulk_create(entries)
    return len(entries)


def customer_tier_choices_changed() -> None:
    """Forget the cached tier filter choices (``selectors.customer_tier_choices``) once the transaction that rewrote
    the primary tiers commits (at once outside a transaction)."""
    from django.core.cache import cache

    from .selectors import TIER_CHOICES_CACHE_KEY

    transaction.on_commit(lambda: cache.delete(TIER_CHOICES_CACHE_KEY))
