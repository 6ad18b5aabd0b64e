"""Reads for the organisation: roles of a user and the branches in a user's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Branch, User
from .roles import GLOBAL_VIEW_ROLES, OWN_CHANGE_ROLES, SCOPE_CHANGE_ROLES, Role


def user_roles(user: User) -> frozenset[str]:
    """The role (group) names of a user, cached on the user object for the request."""
    cached = getattr(user, "_kehu_roles", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False):
            cached = frozenset()
        else:
            cached = frozenset(user.groups.values_list("name", flat=True))
            if user.is_superuser:
                cached = cached | {Role.ADMINISTRATOR}
        user._kehu_roles = cached  # type: ignore[attr-defined]
    return cached


def user_sees_all_branches(user: User) -> bool:
    return bool(user_roles(user) & GLOBAL_VIEW_ROLES)


def user_is_read_only(user: User) -> bool:
    """Auditors change nothing, whatever other permissions they hold."""
    roles = user_roles(user)
    return Role.AUDITOR in roles and not (roles & (SCOPE_CHANGE_ROLES | OWN_CHANGE_ROLES))


def branch_subtree_q(branches: QuerySet[Branch] | list[Branch], field: str = "path") -> Q:
    """A Q matching the given branches and everything below them (prefix match on the materialised path)."""
    condition = Q(pk__in=[])
    for branch in branches:
        condition |= Q(**{f"{field}__startswith": branch.path})
    return condition


def branch_ids_in_scope(user: User) -> list[int] | None:
    """IDs of the branches a user may see: their own branches and all below. ``None`` means every branch."""
    if user_sees_all_branches(user):
        return None
    cached = getattr(user, "_kehu_branch_ids", None)
    if cached is None:
        own = list(user.branches.all())
        cached = list(Branch.objects.filter(branch_subtree_q(own)).values_list("pk", flat=True)) if own else []
        user._kehu_branch_ids = cached  # type: ignore[attr-defined]
    return cached


def branch_list(*, user: User | None = None) -> QuerySet[Branch]:
    """Active branches, limited to the user's scope when a user is given."""
    branches = Branch.objects.filter(is_active=True)
    if user is not None:
        ids = branch_ids_in_scope(user)
        if ids is not None:
            branches = branches.filter(pk__in=ids)
    return branches.order_by("path")


def staff_list(*, user: User | None = None, role: str | None = None) -> QuerySet[User]:
    """Active staff, those in the user's branch scope when a user is given, optionally of one role."""
    staff = User.objects.filter(is_active=True)
    if role:
        staff = staff.filter(groups__name=role)
    if user is not None:
        ids = branch_ids_in_scope(user)
        if ids is not None:
            staff = staff.filter(branches__in=ids)
    return staff.distinct().order_by("username")


def api_token_list(*, user: User) -> QuerySet:
    """The user's own API tokens, active first, newest first."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-is_active", "-created_at", "-id")
