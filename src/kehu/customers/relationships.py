"""Links between customers (``CustomerRelationship``: who referred whom, family, spouse, employer): reads, writes,
the 360 page's panel and the timeline kind. Read the link from ``from_customer``: "A referred B", "A works for B";
family, spouse and other read the same both ways.

Scope: a user sees a link only when both customers are in their scope (the other side of a link to a customer they
may not see is not shown, nor counted); adding or removing needs the right to change the customer and to see the
other one. Other customers are named as in the customer list (code and name; no personal data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from kehu.org.models import User

from .models import Customer, CustomerRelationship
from .timeline import activity_record

Kind = CustomerRelationship.Kind
OUTGOING, INCOMING = "outgoing", "incoming"


def relationship_label(kind: str, direction: str) -> str:
    """The link as read from this customer's side."""
    if kind == Kind.REFERRED:
        return gettext("Referred") if direction == OUTGOING else gettext("Referred by")
    if kind == Kind.EMPLOYER:
        return gettext("Works for") if direction == OUTGOING else gettext("Employs")
    return str(Kind(kind).label) if kind in Kind.values else kind


def relationship_list(*, user: User, customer: Customer) -> list[dict[str, Any]]:
    """The links of a customer the user may see whose other side the user may also see, newest first (one query)."""
    return relationship_map(user=user, customer_ids=[customer.pk])[customer.pk]


def relationship_map(*, user: User, customer_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per customer: its visible links as dicts (id, kind, direction, label, other, notes, created_at)."""
    answer: dict[int, list[dict[str, Any]]] = {pk: [] for pk in customer_ids}
    if not customer_ids or not user.has_perm("customers.view_customerrelationship"):
        return answer
    visible = Customer.objects.visible_to(user)
    links = (CustomerRelationship.objects
             .filter(Q(from_customer_id__in=customer_ids, to_customer__in=visible)
                     | Q(to_customer_id__in=customer_ids, from_customer__in=visible))
             .select_related("from_customer", "to_customer").order_by("-created_at", "-id"))
    for link in links:
        for this, other, direction in ((link.from_customer, link.to_customer, OUTGOING),
                                       (link.to_customer, link.from_customer, INCOMING)):
            if this.pk in answer:
                answer[this.pk].append({"id": link.pk, "kind": link.kind, "direction": direction,
                                        "label": relationship_label(link.kind, direction), "other": other,
                                        "notes": link.notes, "created_at": link.created_at})
    return answer


def relationship_get(*, user: User, customer: Customer, pk: int) -> CustomerRelationship:
    """A link of this customer whose other side the user sees; ``DoesNotExist`` otherwise (404)."""
    visible = Customer.objects.visible_to(user)
    return CustomerRelationship.objects.select_related("from_customer", "to_customer").get(
        Q(from_customer=customer, to_customer__in=visible) | Q(to_customer=customer, from_customer__in=visible),
        pk=pk)


def customers_for_relationships(*, user: User) -> QuerySet[Customer]:
    """The customers whose links the user may change: those they may change (``visible_to(user, "change")``)."""
    if not user.has_perm("customers.add_customerrelationship"):
        return Customer.objects.none()
    return Customer.objects.visible_to(user, "change")


def _link_data(link: CustomerRelationship) -> dict[str, Any]:
    return {"kind": link.kind, "from": link.from_customer.code, "from_name": link.from_customer.name,
            "to": link.to_customer.code, "to_name": link.to_customer.name, "notes": link.notes}


@transaction.atomic
def relationship_add(*, actor: User, customer: Customer, other: Customer, kind: str, direction: str = OUTGOING,
                     notes: str = "") -> CustomerRelationship:
    """Link ``customer`` with ``other`` (which the actor must see). ``direction`` outgoing: "customer <kind> other"
    (customer referred other, works for other); incoming: the reverse. On both timelines."""
    if not customers_for_relationships(user=actor).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer's relationships."))
    errors: dict[str, list[str]] = {}
    if not Customer.objects.visible_to(actor).filter(pk=other.pk).exists():
        raise Customer.DoesNotExist
    if other.pk == customer.pk:
        errors["other_customer_id"] = [_("A customer cannot be linked with itself.")]
    if kind not in Kind.values:
        errors["kind"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if direction not in (OUTGOING, INCOMING):
        errors["direction"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    notes = (notes or "").strip()
    if len(notes) > 255:
        errors["notes"] = [_("At most 255 characters.")]
    if errors:
        raise ValidationError(errors)
    source, target = (customer, other) if direction == OUTGOING else (other, customer)
    if kind in (Kind.FAMILY, Kind.SPOUSE, Kind.OTHER):
        exists = CustomerRelationship.objects.filter(
            Q(from_customer=source, to_customer=target) | Q(from_customer=target, to_customer=source), kind=kind)
    else:
        exists = CustomerRelationship.objects.filter(from_customer=source, to_customer=target, kind=kind)
    if exists.exists():
        raise ValidationError({"other_customer_id": [_("These customers are already linked this way.")]})
    try:
        with transaction.atomic():
            link = CustomerRelationship.objects.create(from_customer=source, to_customer=target, kind=kind,
                                                       notes=notes)
    except IntegrityError:
        raise ValidationError({"other_customer_id": [_("These customers are already linked this way.")]}) from None
    for side in (source, target):
        activity_record(customer=side, kind="relationship", actor=actor, subject=link,
                        data={**_link_data(link), "action": "added"})
    return link


@transaction.atomic
def relationship_remove(*, actor: User, customer: Customer, link: CustomerRelationship) -> None:
    """Remove a link (after the user confirmed); what it was stays on both customers' timelines."""
    if not customers_for_relationships(user=actor).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer's relationships."))
    if customer.pk not in (link.from_customer_id, link.to_customer_id):
        raise CustomerRelationship.DoesNotExist
    data = {**_link_data(link), "action": "removed"}
    for side in (link.from_customer, link.to_customer):
        activity_record(customer=side, kind="relationship", actor=actor, subject=link, data=data)
    link.delete()


# --- registered in CustomersConfig.ready: the 360 page's panel and the timeline kind ------------------------------


def relationships_panel_load(customer_ids: list[int], user: Any, *, full: bool = False) -> dict[int, dict[str, Any]]:
    """Per customer: the visible links (one query) and whether the user may change them (one more)."""
    links = relationship_map(user=user, customer_ids=list(customer_ids))
    editable = set(customers_for_relationships(user=user).filter(pk__in=list(customer_ids))
                   .values_list("pk", flat=True)) if customer_ids else set()
    return {pk: {"links": links[pk], "may_edit": pk in editable, "kinds": Kind.choices} for pk in customer_ids}


def _relationship_title(activity: Any) -> str:
    data = activity.data
    values = {"from": data.get("from_name", ""), "to": data.get("to_name", ""),
              "kind": relationship_label(data.get("kind", ""), OUTGOING)}
    if data.get("action") == "removed":
        return gettext("Link removed: %(from)s — %(kind)s — %(to)s") % values
    return gettext("Link added: %(from)s — %(kind)s — %(to)s") % values


def register() -> None:
    from kehu.core.registry import CustomerPanel, TimelineKind, register_panel, register_timeline_kind

    register_panel(CustomerPanel(
        key="relationships", title=gettext_lazy("Related customers"), order=40, loader=relationships_panel_load,
        template="customers/_relationships_panel.html", permission="customers.view_customerrelationship",
        queries=2))
    register_timeline_kind(TimelineKind("relationship", gettext_lazy("Related customers"), _relationship_title))
