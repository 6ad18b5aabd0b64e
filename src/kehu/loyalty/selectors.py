"""Reads of the loyalty module, every one scoped through ``Customer.objects.visible_to``."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kehu.customers.models import Customer
from kehu.org.models import User

from .models import Card, Membership, PointsEntry, Programme


def _visible_customers(user: User) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user)


def card_get(*, user: User, number: str) -> Card:
    """A card by number, in the user's scope (a card of no customer: anyone with the permission); else DoesNotExist
    (404: another branch's card is not revealed)."""
    if not user.has_perm("loyalty.view_card"):
        raise Card.DoesNotExist
    card = (Card.objects.select_related("customer", "membership__level", "membership__programme",
                                        "membership__points_account", "replaced_by", "stored_value")
            .filter(number=number).first())
    if card is None or (card.customer_id is not None
                        and not _visible_customers(user).filter(pk=card.customer_id).exists()):
        raise Card.DoesNotExist
    card._kehu_visible_to = user.pk  # type: ignore[attr-defined]  # the services need not check again
    return card


def card_for_counter(*, user: User, number: str) -> Card:
    """A card by number for a counter write (redeem, earn): the card's own row only, in the user's scope, in ONE
    query (the scope a condition of it); else DoesNotExist, as :func:`card_get`."""
    if not user.has_perm("loyalty.view_card"):
        raise Card.DoesNotExist
    card = (Card.objects.filter(number=number)
            .filter(Q(customer__isnull=True) | Q(customer__in=_visible_customers(user))).first())
    if card is None:
        raise Card.DoesNotExist
    card._kehu_visible_to = user.pk  # type: ignore[attr-defined]  # the services need not check again
    return card


def card_list(*, user: User, customer_id: int | None = None, q: str = "") -> QuerySet[Card]:
    cards = (Card.objects.filter(customer__in=_visible_customers(user))
             .select_related("customer", "membership__level", "membership__programme", "membership__points_account",
                             "replaced_by", "stored_value"))
    if customer_id is not None:
        cards = cards.filter(customer_id=customer_id)
    if q:
        cards = cards.filter(Q(number=q) | Q(customer__mobile__endswith=q) | Q(customer__name__startswith=q))
    return cards.order_by("-issued_at", "-id")


def counter_lookup(*, user: User, query: str) -> QuerySet[Card]:
    """Cards found at the counter by full card number or by the member's mobile (full number, any format)."""
    from kehu.core.validators import normalize_mobile

    query = query.strip()
    cards = (Card.objects.filter(customer__in=_visible_customers(user))
             .select_related("customer", "membership__level", "membership__programme", "membership__points_account",
                             "replaced_by", "stored_value"))
    if query.isdigit() and len(query) == 19:
        return cards.filter(number=query)
    try:
        mobile = normalize_mobile(query)
    except Exception:  # noqa: BLE001 - not a mobile number: nothing found
        return cards.none()
    return cards.filter(customer__mobile=mobile).order_by("-issued_at")


def membership_list(*, user: User, customer_id: int | None = None) -> QuerySet[Membership]:
    members = (Membership.objects.filter(customer__in=_visible_customers(user))
               .select_related("customer", "programme", "level", "points_account"))
    if customer_id is not None:
        members = members.filter(customer_id=customer_id)
    return members.order_by("-joined_at", "-id")


def membership_get(*, user: User, pk: int) -> Membership:
    return membership_list(user=user).get(pk=pk)


def ledger(*, user: User, membership_id: int | None = None, customer_id: int | None = None,
           kind: str = "") -> QuerySet[PointsEntry]:
    entries = PointsEntry.objects.filter(customer__in=_visible_customers(user)).select_related("actor", "branch")
    if membership_id is not None:
        entries = entries.filter(account__membership_id=membership_id)
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.order_by("-id")


def programme_list() -> QuerySet[Programme]:
    return Programme.objects.prefetch_related("levels", "rules").order_by("-is_default", "code")
