"""Writes of the set-up pages: service teams and ticket categories, checked here (names, addresses, leads, the
category tree) whatever page or script calls them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.org.models import User
from kehu.service.models import ServiceTeam, TicketCategory

MAX_PRIORITY_RAISE = 2


def _clean_name(value: str) -> str:
    name = " ".join((value or "").replace("\x00", "").split())
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("At most 100 characters.")]})
    return name


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You may not change the service set-up."))


@transaction.atomic
def team_save(*, actor: User, team: ServiceTeam | None = None, name: str, branch: Any, lead: User | None = None,
              members: list[User] | None = None, email: str = "") -> ServiceTeam:
    """Create (``team`` None) or change a service team. The name is unique among the branch's active teams, the
    address among the active teams (incoming mail is filed by it), the lead an active user who is made a member."""
    _require(actor, "service.add_serviceteam" if team is None else "service.change_serviceteam")
    name = _clean_name(name)
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    others = ServiceTeam.objects.filter(active=True)
    if team is not None:
        others = others.exclude(pk=team.pk)
    if others.filter(branch=branch, name__iexact=name).exists():
        errors["name"] = [_("The branch already has an active team with this name.")]
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = [_("Another active team already receives mail at this address.")]
    if lead is not None and not lead.is_active:
        errors["lead"] = [_("The team lead must be an active user.")]
    if errors:
        raise ValidationError(errors)
    if team is None:
        team = ServiceTeam(active=True)
    team.name, team.branch, team.lead, team.email = name, branch, lead, email
    team.save()
    if members is not None:
        team.members.set(members)
    if lead is not None:
        team.members.add(lead)
    return team


@transaction.atomic
def team_set_active(*, actor: User, team: ServiceTeam, active: bool) -> ServiceTeam:
    """Deactivate (new tickets can no longer be given to it; its tickets stay) or reactivate a team."""
    _require(actor, "service.change_serviceteam")
    if active and ServiceTeam.objects.filter(active=True, branch=team.branch_id, name__iexact=team.name
                                             ).exclude(pk=team.pk).exists():
        raise ValidationError({"name": [_("The branch already has an active team with this name.")]})
    team.active = active
    team.save(update_fields=["active"])
    return team


def _descendant_ids(category: TicketCategory) -> set[int]:
    ids, frontier = {category.pk}, [category.pk]
    while frontier:
        frontier = list(TicketCategory.objects.filter(parent_id__in=frontier).exclude(pk__in=ids)
                        .values_list("pk", flat=True))
        ids.update(frontier)
    return ids


@transaction.atomic
def category_save(*, actor: User, category: TicketCategory | None = None, name: str,
                  parent: TicketCategory | None = None, priority_raise: int = 0) -> TicketCategory:
    """Create (``category`` None) or change a ticket category: a unique name (whatever the case), a parent that is
    active and not the category itself or one of its own, a priority raise of 0 to 2 steps."""
    _require(actor, "service.add_ticketcategory" if category is None else "service.change_ticketcategory")
    name = _clean_name(name)
    errors: dict[str, list[str]] = {}
    same_name = TicketCategory.objects.filter(name__iexact=name)
    if category is not None:
        same_name = same_name.exclude(pk=category.pk)
    if same_name.exists():
        errors["name"] = [_("A category with this name exists.")]
    if parent is not None:
        if not parent.active:
            errors["parent"] = [_("Choose an active parent category.")]
        elif category is not None and parent.pk in _descendant_ids(category):
            errors["parent"] = [_("A category cannot sit under itself or one of its own subcategories.")]
    if not 0 <= int(priority_raise) <= MAX_PRIORITY_RAISE:
        errors["priority_raise"] = [_("Between 0 and 2 steps.")]
    if errors:
        raise ValidationError(errors)
    if category is None:
        category = TicketCategory(active=True)
    category.name, category.parent, category.priority_raise = name, parent, int(priority_raise)
    category.save()
    return category


@transaction.atomic
def category_set_active(*, actor: User, category: TicketCategory, active: bool) -> int:
    """Deactivate a category and its subcategories (tickets keep them; new tickets cannot choose them), or
    reactivate it alone (under an active parent). Returns how many categories changed."""
    _require(actor, "service.change_ticketcategory")
    if active:
        if category.parent_id and not TicketCategory.objects.filter(pk=category.parent_id, active=True).exists():
            raise ValidationError({"parent": [_("Reactivate its parent category first.")]})
        return TicketCategory.objects.filter(pk=category.pk).update(active=True)
    return TicketCategory.objects.filter(pk__in=_descendant_ids(category), active=True).update(active=False)
