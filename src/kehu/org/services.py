"""Writes for the organisation: branches, staff and API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, Branch, User


def branch_create(
    *, code: str, name: str, kind: str = Branch.Kind.STORE, parent: Branch | None = None, province: str = "",
    city: str = "",
) -> Branch:
    """Create a branch under ``parent`` and set its materialised path."""
    with transaction.atomic():
        branch = Branch(code=code, name=name, kind=kind, parent=parent, province=province, city=city)
        branch.full_clean(exclude=["path"])
        branch.save()
        branch.path = f"{parent.path if parent else '/'}{branch.pk}/"
        branch.save(update_fields=["path"])
    return branch


HEAD_OFFICE_CODE = "HQ"


def head_office() -> Branch | None:
    """The top of the branch tree, where customers go when nothing names their branch.

    On a fresh installation (no branch at all) a head office is created, named in the active language, so that the
    first import or the first customer lands without setting up branches first. ``None`` when the tree has several
    top-level branches (then the user must choose)."""
    from django.utils.translation import gettext

    with transaction.atomic():
        roots = list(Branch.objects.filter(parent=None).order_by("pk")[:2])
        if len(roots) == 1:
            return roots[0]
        if roots:
            return None
        if Branch.objects.exists():  # only branches whose parent was deleted: no single top
            return None
        return branch_create(code=HEAD_OFFICE_CODE, name=gettext("Head office"), kind=Branch.Kind.GROUP)


def default_branch_for(user: User | None) -> Branch | None:
    """Where a new customer goes when nothing names its branch: the user's branch when they have exactly one,
    otherwise the head office (see :func:`head_office`)."""
    if user is not None:
        branches = list(user.branches.all()[:2])
        if len(branches) == 1:
            return branches[0]
    return head_office()


def branch_refresh_paths() -> int:
    """Recompute every materialised path (after a branch is moved in the admin). Returns the number changed."""
    changed = 0
    with transaction.atomic():
        branches = {b.pk: b for b in Branch.objects.select_for_update()}

        def path_of(branch: Branch, seen: frozenset[int] = frozenset()) -> str:
            if branch.parent_id is None or branch.parent_id in seen:
                return f"/{branch.pk}/"
            return f"{path_of(branches[branch.parent_id], seen | {branch.pk})}{branch.pk}/"

        for branch in branches.values():
            new_path = path_of(branch)
            if branch.path != new_path:
                branch.path = new_path
                branch.save(update_fields=["path"])
                changed += 1
    return changed


def staff_create(
    *, username: str, password: str, display_name: str = "", roles: Iterable[str] = (),
    branches: Iterable[Branch] = (), email: str = "", is_superuser: bool = False, staff_number: str = "",
) -> User:
    """Create a staff user with roles (group names) and branch memberships."""
    with transaction.atomic():
        user = User(username=username, display_name=display_name, email=email, is_staff=is_superuser,
                    is_superuser=is_superuser, staff_number=staff_number)
        user.set_password(password)
        user.save()
        staff_set_roles(user=user, roles=roles)
        user.branches.set(list(branches))
    return user


def staff_set_roles(*, user: User, roles: Iterable[str]) -> None:
    groups = list(Group.objects.filter(name__in=list(roles)))
    user.groups.set(groups)
    # administrators reach the configuration site
    if any(g.name == "administrator" for g in groups) and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    for attribute in ("_kehu_roles", "_kehu_branch_ids", "_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(attribute, None)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with the plain key, which is not stored and can be shown only now."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=key[5:13], digest=ApiToken.hash_key(key))
    return token, key


def api_token_authenticate(*, key: str) -> User | None:
    """The active user owning an active token with this key, or None. Records when the token was last used.

    The user comes with its roles, permissions and branch scope loaded (``selectors.api_token_owner``: two SQL
    statements, read afresh on every call, so revocations and role changes apply at once).
    """
    from .selectors import api_token_owner

    if not key:
        return None
    owner = api_token_owner(digest=ApiToken.hash_key(key))
    if owner is None:
        return None
    if owner.needs_touch:
        ApiToken.objects.filter(pk=owner.token_id).update(last_used_at=timezone.now())
    return owner.user


def api_token_revoke(*, token: ApiToken) -> None:
    token.is_active = False
    token.save(update_fields=["is_active"])


def sync_roles(*, using: str = "default") -> dict[str, int]:
    """Make the role groups hold exactly the permissions the apps grant them (``kehu.core.registry.role_grants``).

    Idempotent: a second run changes nothing. Runs after every ``migrate`` (``post_migrate``) and in the test
    fixtures (a transactional test's flush removes the groups). Permissions that do not exist yet are created first.
    Returns the number of permissions added and removed. Raises ``LookupError`` for a granted permission that no
    model declares (a typo in an app's grants).
    """
    from django.contrib.auth.models import Permission

    from kehu.core.registry import granted_permissions

    from .roles import ALL_ROLES

    wanted = granted_permissions()
    for role in ALL_ROLES:
        wanted.setdefault(role, set())
    dotted = {name for names in wanted.values() for name in names}

    def permission_ids() -> dict[str, int]:
        labels = {name.split(".", 1)[0] for name in dotted}
        return {f"{app_label}.{codename}": pk for pk, app_label, codename in Permission.objects.using(using).filter(
            content_type__app_label__in=labels).values_list("pk", "content_type__app_label", "codename")}

    ids = permission_ids()
    if not dotted <= set(ids):
        from django.apps import apps
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            create_permissions(app_config, verbosity=0, using=using)
        ids = permission_ids()
        missing = sorted(dotted - set(ids))
        if missing:
            raise LookupError(f"granted permissions that no model declares: {', '.join(missing)}")
    added = removed = 0
    with transaction.atomic(using=using):
        groups = {group.name: group for group in Group.objects.using(using).filter(name__in=list(wanted))}
        for role in wanted:
            if role not in groups:
                groups[role] = Group.objects.using(using).create(name=role)
        through = Group.permissions.through
        held: dict[int, set[int]] = {group.pk: set() for group in groups.values()}
        for group_id, permission_id in through.objects.using(using).filter(group_id__in=list(held)).values_list(
                "group_id", "permission_id"):
            held[group_id].add(permission_id)
        for role, names in wanted.items():
            group = groups[role]
            target = {ids[name] for name in names}
            extra, lacking = held[group.pk] - target, target - held[group.pk]
            if extra:
                through.objects.using(using).filter(group_id=group.pk, permission_id__in=extra).delete()
            if lacking:
                through.objects.using(using).bulk_create(
                    [through(group_id=group.pk, permission_id=pk) for pk in sorted(lacking)])
            added, removed = added + len(lacking), removed + len(extra)
    return {"added": added, "removed": removed}
