"""Reads for the organisation: roles of a user, the branches in a user's scope and the owner of an API token."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Branch, User
from .roles import GLOBAL_VIEW_ROLES, OWN_CHANGE_ROLES, OWNER_ROLES, SCOPE_CHANGE_ROLES, Role


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


def owner_list(*, user: User | None = None) -> QuerySet[User]:
    """Active staff who may own customers (:data:`~kehu.org.roles.OWNER_ROLES`, or superusers), in the user's branch
    scope when a user is given: what owner pickers offer."""
    staff = staff_list(user=user)
    return staff.filter(Q(groups__name__in=OWNER_ROLES) | Q(is_superuser=True)).distinct()


def api_token_list(*, user: User) -> QuerySet:
    """The user's own API tokens, active first, newest first."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-is_active", "-created_at", "-id")


@dataclass(frozen=True)
class TokenOwner:
    """The user of an active API token, with what authorisation needs already loaded (see ``api_token_owner``)."""

    user: User
    token_id: int
    needs_touch: bool  # ``last_used_at`` is older than the refresh interval (or empty)


def api_token_owner(*, digest: str, touch_after: dt.timedelta = dt.timedelta(seconds=60)) -> TokenOwner | None:
    """The active user owning the active token with this digest, or None; two small SQL statements, no cache.

    Every API request runs this, so it is written for speed and for being always current: one statement reads the
    token and its user, another the user's roles, permissions and branch scope in one ``UNION ALL``, both in SQL
    (the ORM took longer to build the six queries these replace than the database took to answer them). What they
    find is stored on the user where :func:`user_roles`, :func:`branch_ids_in_scope` and Django's ``ModelBackend``
    (``has_perm``) keep their per-request caches, so authorising the request costs no further queries. Nothing is
    kept between requests: a revoked token, a deactivated user or a changed role, permission or branch applies to
    the very next request in every worker process (an in-process cache could not be invalidated across gunicorn's
    workers, and a shared one would cost the round trip it saves).
    """
    from django.db import connection

    from .models import ApiToken

    quote = connection.ops.quote_name
    threshold = connection.ops.adapt_datetimefield_value(timezone.now() - touch_after)
    owners = list(User.objects.raw(
        f"SELECT u.*, t.id AS kehu_token_id, "  # noqa: S608 - only table names are formatted in
        f"CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %s THEN 1 ELSE 0 END AS kehu_token_stale "
        f"FROM {quote(User._meta.db_table)} u INNER JOIN {quote(ApiToken._meta.db_table)} t ON t.user_id = u.id "
        f"WHERE t.digest = %s AND t.is_active AND u.is_active",
        [threshold, digest],
    ))
    if not owners:
        return None
    user = owners[0]
    user_access_load(user)
    return TokenOwner(user=user, token_id=user.kehu_token_id,  # type: ignore[attr-defined]
                      needs_touch=bool(user.kehu_token_stale))  # type: ignore[attr-defined]


def user_access_load(user: User) -> User:
    """Read the user's roles, permissions and branch scope in one statement (a ``UNION ALL``) and store them where
    :func:`user_roles`, :func:`branch_ids_in_scope` and Django's ``ModelBackend`` (``has_perm``) keep their
    per-request caches: authorising the request then costs no further queries (five without it: the user's and the
    groups' permissions, the roles, the branches and their subtree). Nothing is kept between requests, so a changed
    role, permission or branch applies to the very next one. An anonymous or inactive user is left as it is (it
    has no permissions). Returns the user."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    if (not getattr(user, "is_authenticated", False) or not user.is_active
            or getattr(user, "_kehu_access_loaded", False)):
        return user
    quote = connection.ops.quote_name
    user_groups = quote(User.groups.through._meta.db_table)
    branches = quote(Branch._meta.db_table)
    permission_names = (f"SELECT {{kind}}, ct.app_label || '.' || p.codename FROM {quote(Permission._meta.db_table)} p "
                        f"INNER JOIN {quote(ContentType._meta.db_table)} ct ON ct.id = p.content_type_id")
    if user.is_superuser:  # ModelBackend gives a superuser every permission, as user and as group permissions
        permissions = permission_names.format(kind="'all'")
        parameters = [user.pk, user.pk]
    else:
        permissions = (
            permission_names.format(kind="'user'")
            + f" WHERE p.id IN (SELECT permission_id FROM {quote(User.user_permissions.through._meta.db_table)}"
              f" WHERE user_id = %s) UNION ALL "
            + permission_names.format(kind="'group'")
            + f" WHERE p.id IN (SELECT gp.permission_id FROM {quote(Group.permissions.through._meta.db_table)} gp"
              f" INNER JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
        )
        parameters = [user.pk, user.pk, user.pk, user.pk]
    found: dict[str, set[str]] = {"role": set(), "user": set(), "group": set(), "all": set(), "branch": set()}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'role', g.name FROM {quote(Group._meta.db_table)} g INNER JOIN {user_groups} ug "
            f"ON ug.group_id = g.id WHERE ug.user_id = %s UNION ALL {permissions} UNION ALL "
            f"SELECT 'branch', CAST(b.id AS VARCHAR(20)) FROM {branches} b INNER JOIN {branches} own "
            f"ON b.path LIKE own.path || '%%' INNER JOIN {quote(User.branches.through._meta.db_table)} ub "
            f"ON ub.branch_id = own.id WHERE ub.user_id = %s",
            parameters,
        )
        for kind, value in cursor.fetchall():
            found[kind].add(value)
    roles = frozenset(found["role"]) | ({Role.ADMINISTRATOR} if user.is_superuser else frozenset())
    # the attributes user_roles(), branch_ids_in_scope() and ModelBackend fill on first use
    user._kehu_roles = roles  # type: ignore[attr-defined]
    user._kehu_branch_ids = sorted(int(pk) for pk in found["branch"])  # type: ignore[attr-defined]
    user._user_perm_cache = found["user"] | found["all"]  # type: ignore[attr-defined]
    user._group_perm_cache = found["group"] | found["all"]  # type: ignore[attr-defined]
    user._perm_cache = user._user_perm_cache | user._group_perm_cache  # type: ignore[attr-defined]
    user._kehu_access_loaded = True  # type: ignore[attr-defined]
    return user
