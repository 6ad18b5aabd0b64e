"""Assignment routes: by product of interest and by region, tried before the branch's round-robin.

A lead is matched against the active routes of its branch, lowest ``priority`` first (then the more specific: a
city before a province before any region; ties by id). A route matches when each of its conditions that is set holds:
one of its products is among the lead's products of interest; its province is the lead's province; its city is the
lead's city. The matching route's members share the leads as the branch rule does (round-robin from the last one
given a lead, or fewest open leads first), skipping anyone at the route's cap; when everyone is at the cap the next
matching route is tried, and after the routes the branch's ``AssignmentRule`` (``services.round_robin_pick``).
The route's row is locked while choosing, so two leads arriving at once go to two people."""

from __future__ import annotations

from django.db.models import Q

from kehu.org.models import User

from . import selectors
from .models import AssignmentRoute, Lead


def matching_routes(*, lead: Lead) -> list[AssignmentRoute]:
    """The active routes of the lead's branch that match it, in the order they are tried (two small queries)."""
    product_ids = set(lead.products.values_list("pk", flat=True)) if lead.pk else set()
    region = Q(province_code="") | Q(province_code=lead.province_code) if lead.province_code else Q(province_code="")
    city = Q(city_code="") | Q(city_code=lead.city_code) if lead.city_code else Q(city_code="")
    routes = list(AssignmentRoute.objects.filter(region, city, branch_id=lead.branch_id, is_active=True)
                  .prefetch_related("products"))
    matched = []
    for route in routes:
        wanted = {product.pk for product in route.products.all()}
        if wanted and not wanted & product_ids:
            continue
        matched.append(route)
    matched.sort(key=lambda route: (route.priority, not route.city_code, not route.province_code,
                                    not route.products.all(), route.pk))
    return matched


def _pick_from(route: AssignmentRoute) -> User | None:
    locked = AssignmentRoute.objects.select_for_update().get(pk=route.pk)
    members = list(locked.members.filter(is_active=True).order_by("pk"))
    if not members:
        return None
    ids = [member.pk for member in members]
    start = ids.index(locked.last_assigned_id) + 1 if locked.last_assigned_id in ids else 0
    order = [members[(start + offset) % len(members)] for offset in range(len(members))]
    if locked.strategy == "least_loaded":
        loads = {member.pk: selectors.open_lead_count(user_id=member.pk, up_to=locked.cap) for member in order}
        order.sort(key=lambda member: loads[member.pk])
    for member in order:
        if selectors.open_lead_count(user_id=member.pk, up_to=locked.cap) < locked.cap:
            AssignmentRoute.objects.filter(pk=locked.pk).update(last_assigned=member)
            return member
    return None


def route_pick(*, lead: Lead) -> User | None:
    """The owner the first matching route with someone under its cap gives the lead; None: no route applies (the
    caller falls back to the branch's rule). Call inside a transaction."""
    for route in matching_routes(lead=lead):
        member = _pick_from(route)
        if member is not None:
            return member
    return None
