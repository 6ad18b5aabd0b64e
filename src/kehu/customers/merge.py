"""Merging two customers into one: the fields the merge decides (reads) and the merge itself (the write).

The duplicates that lead here are found by :mod:`kehu.customers.duplicates`; the managers' pages are in
:mod:`kehu.customers.merge_views`. Merging is a customer operation, so it lives in this app and knows no later module:
what happens to another app's rows that refer to the merged customer is that app's registered merge policy
(``kehu.core.registry.merge_policies``: re-point, post a transfer entry, or recompute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kehu.core.messages import as_stored_text, problem
from kehu.org.models import User

from .models import CustomAttribute, Customer, CustomerRelationship, MergeRecord, OrganisationProfile, PersonProfile

MERGE_CUSTOMER_FIELDS = ["name", "mobile", "phone", "email", "province", "city", "district", "address", "branch",
                         "owner", "lifecycle_status", "lifecycle_stage", "management_class", "marketing_type",
                         "brand_attitude", "share_of_wallet", "relationship_stage", "industry", "source",
                         "customer_since", "notes"]
MERGE_PERSON_FIELDS = ["gender", "birth_date", "id_type", "id_number", "employer", "position", "income_band",
                       "household", "education", "preferences"]
MERGE_ORGANISATION_FIELDS = ["credit_code", "ownership_type", "main_business", "staff_count", "annual_revenue",
                             "legal_representative", "founded_on", "other_banks_suppliers", "business_status"]
MERGE_PROFILE_FIELDS = {*MERGE_PERSON_FIELDS, *MERGE_ORGANISATION_FIELDS}
# fields stored as NULL when empty (the others as "")
NULLABLE_FIELDS = {"birth_date", "staff_count", "annual_revenue", "founded_on", "owner", "share_of_wallet",
                   "customer_since"}


# ------------------------------------------------------------------------------------------------------------ reads


def customer_field_label(field: str) -> Any:
    """The label of a field of the customer or of its person or organisation profile (``tags`` included)."""
    if field == "tags":
        return gettext_lazy("tags")
    for model in (Customer, PersonProfile, OrganisationProfile):
        try:
            return getattr(model._meta.get_field(field), "verbose_name", field)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: try the next model
            continue
    return field


@dataclass
class MergeField:
    """One field of two customers being merged: both values, whether they conflict and which one is kept."""

    name: str
    label: str
    keep_value: Any
    merge_value: Any
    keep_display: str
    merge_display: str
    conflict: bool

    @property
    def result_from_merged(self) -> bool:
        """Without a conflict, an empty value of the kept customer is filled from the merged one."""
        return not self.conflict and _is_empty(self.keep_value) and not _is_empty(self.merge_value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {}


def _display(instance: Any, name: str, value: Any) -> str:
    if _is_empty(value):
        return ""
    try:
        field = instance._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a model field (custom attribute)
        return str(value)
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def merge_maskers(*, user: User, revealed: bool) -> dict[str, Any]:
    """How the merge page shows personal data: phones, e-mail and ID numbers masked until the user reveals them
    (with a reason, logged as on the 360 page); street address and birth date as the user's role shows them."""
    from kehu.core.masking import mask_email, mask_id_number, mask_phone

    from .selectors import restricted_field_maskers

    maskers = restricted_field_maskers(user)
    if not revealed:
        maskers.update({"mobile": mask_phone, "phone": mask_phone, "email": mask_email, "id_number": mask_id_number})
    return maskers


def customer_merge_fields(*, keep: Customer, merge: Customer,
                          maskers: dict[str, Any] | None = None) -> list[MergeField]:
    """Every field the merge decides, customer, profile and custom attributes, in form order. The displayed values of
    the fields in ``maskers`` are masked (see :func:`merge_maskers`); the values compared and kept are not."""
    fields: list[MergeField] = []
    maskers = maskers or {}

    def shown(reference: Any, name: str, value: Any) -> str:
        display = _display(reference, name, value)
        return maskers[name](value) if display and name in maskers else display

    def add_field(instance_keep: Any, instance_merge: Any, name: str, label: Any) -> None:
        keep_value = getattr(instance_keep, name, None) if instance_keep is not None else None
        merge_value = getattr(instance_merge, name, None) if instance_merge is not None else None
        conflict = not _is_empty(keep_value) and not _is_empty(merge_value) and keep_value != merge_value
        reference = instance_keep if instance_keep is not None else instance_merge
        fields.append(MergeField(name, str(label), keep_value, merge_value, shown(reference, name, keep_value),
                                 shown(reference, name, merge_value), conflict))

    for name in MERGE_CUSTOMER_FIELDS:
        add_field(keep, merge, name, customer_field_label(name))
    profile_model: Any = PersonProfile if keep.is_person else OrganisationProfile
    names = MERGE_PERSON_FIELDS if keep.is_person else MERGE_ORGANISATION_FIELDS
    keep_profile = profile_model.objects.filter(customer=keep).first()
    merge_profile = profile_model.objects.filter(customer=merge).first()
    for name in names:
        add_field(keep_profile, merge_profile, name, customer_field_label(name))
    keep_custom, merge_custom = keep.custom_attributes or {}, merge.custom_attributes or {}
    for attribute in CustomAttribute.objects.filter(is_active=True).order_by("position", "id"):
        if attribute.key not in keep_custom and attribute.key not in merge_custom:
            continue
        keep_value, merge_value = keep_custom.get(attribute.key), merge_custom.get(attribute.key)
        conflict = not _is_empty(keep_value) and not _is_empty(merge_value) and keep_value != merge_value
        fields.append(MergeField(f"custom:{attribute.key}", attribute.label, keep_value, merge_value,
                                 "" if keep_value is None else str(keep_value),
                                 "" if merge_value is None else str(merge_value), conflict))
    return fields


def customer_may_merge(*, user: User) -> bool:
    """Merging is for administrators and branch managers (it deletes a customer record)."""
    from kehu.org.roles import SCOPE_CHANGE_ROLES
    from kehu.org.selectors import user_is_read_only, user_roles

    return (user.has_perm("customers.change_customer") and not user_is_read_only(user)
            and bool(user_roles(user) & SCOPE_CHANGE_ROLES))


# ------------------------------------------------------------------------------------------------------- the write


def _snapshot_value(value: Any) -> Any:
    """A stored value as the merge record's JSON keeps it (model instances and dates as text)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def _carry_over_related_rows(keep: Customer, merge: Customer, actor: User | None = None) -> dict[str, int]:
    """Deal with every row that refers to ``merge`` as its model's merge policy says
    (``kehu.core.registry.merge_policies``, registered by the app owning the model):

    - ``repoint`` (the default): point the rows at ``keep`` (contacts, transactions, consents, status and lifecycle
      records, transfers, access log, relationships, and whatever later apps add). A row that would duplicate one of
      ``keep``'s (a unique link both already have, a one-to-one row) is deleted instead, as derived data is;
    - ``transfer`` (ledgers): the rows are left alone and the policy's handler posts the entries that carry them over;
    - ``recompute`` (summaries): the rows are deleted and the policy's handler, if any, rebuilds ``keep``'s.

    Returns the number of re-pointed rows per model label.
    """
    from kehu.core.registry import merge_policy_for

    moved: dict[str, int] = {}
    for relation in Customer._meta.related_objects:
        model: Any = relation.related_model
        if relation.hidden or relation.many_to_many or model.__name__.startswith("Historical"):
            continue
        if relation.related_name in {"person", "organisation"}:
            continue  # the profiles are merged field by field
        field_name = relation.field.name
        rows = model._base_manager.filter(**{field_name: merge})
        label = model._meta.label
        policy = merge_policy_for(label)
        if policy.policy == "transfer":
            policy.handler(keep=keep, merge=merge, actor=actor, field_name=field_name)  # type: ignore[misc]
            continue
        if policy.policy == "recompute":
            rows.delete()
            if policy.handler is not None:
                policy.handler(keep=keep, merge=merge, actor=actor, field_name=field_name)
            continue
        if relation.one_to_one and model._base_manager.filter(**{field_name: keep}).exists():
            rows.delete()
            continue
        try:
            with transaction.atomic():
                count = rows.update(**{field_name: keep})
        except IntegrityError:
            count = 0
            for row in list(rows):
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk=row.pk).update(**{field_name: keep})
                        count += 1
                except IntegrityError:
                    model._base_manager.filter(pk=row.pk).delete()
        if count:
            moved[label] = moved.get(label, 0) + count
    # a relationship between the two customers would now link the customer to itself
    CustomerRelationship.objects.filter(from_customer=keep, to_customer=keep).delete()
    return moved


@transaction.atomic
def customer_merge(*, keep: Customer, merge: Customer, actor: User, choices: dict[str, str],
                   reason: str = "") -> MergeRecord:
    """Merge customer ``merge`` into ``keep`` and delete ``merge``; returns the :class:`MergeRecord`.

    ``choices`` names, for every field where both customers hold different values, which one wins (``"keep"`` or
    ``"merge"``); a field only the merged customer fills is taken from it. Everything referring to the merged customer
    moves to the kept one, tags are united, and the merge record keeps all stored values of the merged customer and
    the value dropped for each conflicting field, so nothing is lost silently. The kept customer gets a history
    record naming the merge; the deleted one keeps its history (with a deletion record).
    """
    from .services import customer_update
    from .timeline import activity_record

    if not customer_may_merge(user=actor):
        raise PermissionDenied(_("Only administrators and branch managers may merge customers."))
    if keep.pk == merge.pk:
        raise ValidationError(_("Choose two different customers."))
    locked = {customer.pk: customer for customer in Customer.objects.visible_to(actor, "change")
              .select_for_update().filter(pk__in=[keep.pk, merge.pk])}
    if len(locked) != 2:
        raise PermissionDenied(_("You may not change one of these customers."))
    keep, merge = (Customer.objects.select_related("person", "organisation", "owner", "branch").get(pk=pk)
                   for pk in (keep.pk, merge.pk))
    if keep.kind != merge.kind:
        raise ValidationError(_("A person cannot be merged with an organisation."))
    fields = customer_merge_fields(keep=keep, merge=merge)
    missing = [field.label for field in fields if field.conflict and choices.get(field.name) not in {"keep", "merge"}]
    if missing:
        raise ValidationError({"choices": [_("Choose which value to keep for: %(fields)s.")
                                           % {"fields": "、".join(missing)}]})
    snapshot: dict[str, Any] = {"code": merge.code, "kind": merge.kind, "tags": list(merge.tags.values_list(
        "name", flat=True)), "custom_attributes": merge.custom_attributes or {}}
    customer_values: dict[str, Any] = {}
    profile_values: dict[str, Any] = {}
    custom = dict(keep.custom_attributes or {})
    field_choices: dict[str, Any] = {}
    for field in fields:
        snapshot[field.name] = _snapshot_value(field.merge_value)
        take_merged = choices.get(field.name) == "merge" if field.conflict else field.result_from_merged
        value = field.merge_value if take_merged else field.keep_value
        if field.conflict:
            field_choices[field.name] = {
                "label": field.label, "chosen": "merge" if take_merged else "keep",
                "kept_value": field.merge_display if take_merged else field.keep_display,
                "dropped_value": field.keep_display if take_merged else field.merge_display,
            }
        if field.name.startswith("custom:"):
            if value is None:
                custom.pop(field.name[7:], None)
            else:
                custom[field.name[7:]] = value
        elif field.name in MERGE_PROFILE_FIELDS:
            profile_values[field.name] = "" if value is None and field.name not in NULLABLE_FIELDS else value
        else:
            customer_values[field.name] = "" if value is None and field.name not in NULLABLE_FIELDS else value
    if any(customer_values.get(name, getattr(keep, name)) != getattr(keep, name)
           for name in ("province", "city", "district")):
        # a division taken from the merged customer: the codes are found again from the names kept
        customer_values.update(province_code="", city_code="", district_code="")
    tags = list({*keep.tags.all(), *merge.tags.all()})
    moved = _carry_over_related_rows(keep, merge, actor)
    merged_id, merged_code, merged_name = merge.pk, merge.code, merge.name
    merge._change_reason = _("Merged into %(code)s") % {"code": keep.code}  # type: ignore[attr-defined]
    merge.delete()
    change_reason = (_("Merged with %(code)s") % {"code": merged_code}) + (f": {reason.strip()}" if reason else "")
    customer_update(customer=keep, actor=actor, reason=change_reason[:255], tags=tags, custom_attributes=custom,
                    person=profile_values if keep.is_person else None,
                    organisation=None if keep.is_person else profile_values, **customer_values)
    # the kept customer's history names the merge in each reader's language (as a code, when it fits the column)
    said = (problem(gettext_noop("Merged with %(code)s: %(reason)s"), code=merged_code, reason=reason.strip())
            if reason.strip() else problem(gettext_noop("Merged with %(code)s"), code=merged_code))
    newest = keep.history.order_by("-history_id").values_list("history_id", flat=True).first()
    keep.history.filter(history_id=newest).update(history_change_reason=as_stored_text(said, 100))
    record = MergeRecord.objects.create(
        kept_customer=keep, merged_customer_id=merged_id, merged_code=merged_code, merged_name=merged_name,
        merged_snapshot=snapshot, field_choices=field_choices, moved=moved, reason=reason.strip()[:255],
        merged_by=actor,
    )
    activity_record(customer=keep, kind="merge", occurred_at=record.merged_at, actor=actor, subject=record,
                    data={"merged_code": merged_code, "merged_name": merged_name, "reason": record.reason})
    return record
