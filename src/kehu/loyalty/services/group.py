"""A group of stores: the group's rules (set by the group administrator) and the promotions a store manager defines
for their store within them.

A store promotion is an ``EarningRule`` with an ``owner_branch`` (the store that made it) whose ``branch`` is that
store, so it matches only the store's transactions (and those of the branches below it). It is checked against the
group's rules when saved (:class:`GroupLimitError`, HTTP 422) and, because the group may lower a limit later, clamped
to the current rules again when points are earned (``earning._rules_by_programme``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.org.models import Branch, User

from ..models import EarningRule, GroupRules, Programme, RuleKind
from .programmes import programme_default

BONUS_MAX = 10**9


class GroupLimitError(ValidationError):
    """A store promotion past the group's rules (a ValidationError: the API answers 422 with the field named)."""


def group_rules_for(programme: Programme | None = None) -> GroupRules:
    """The group rules of a programme (the default one unless told), created with their defaults on first use."""
    programme = programme or programme_default()
    rules, _created = GroupRules.objects.get_or_create(programme=programme)
    return rules


@transaction.atomic
def group_rules_save(*, actor: User, programme: Programme | None = None, max_multiplier: Decimal,
                     max_bonus_points: int, max_days: int, point_value: Decimal,
                     allowed_category_ids: list[int] | None = None,
                     expected_version: int | None = None) -> GroupRules:
    """Set the group's rules (the group administrator: ``loyalty.change_grouprules``); optimistic on ``version``."""
    if not actor.has_perm("loyalty.change_grouprules"):
        raise PermissionDenied(_("Only the group administrator sets the group's rules."))
    rules = GroupRules.objects.select_for_update().get(pk=group_rules_for(programme).pk)
    if expected_version is not None and rules.version != expected_version:
        raise ConcurrentUpdateError(rules.version)
    problems: dict[str, list[str]] = {}
    if not isinstance(max_multiplier, Decimal) or not max_multiplier.is_finite() \
            or not Decimal("1") <= max_multiplier <= Decimal("100"):
        problems["max_multiplier"] = [_("Give a multiplier from 1 to 100.")]
    if isinstance(max_bonus_points, bool) or not 0 <= max_bonus_points < BONUS_MAX:
        problems["max_bonus_points"] = [_("Give a number of points from 0 to 999,999,999.")]
    if isinstance(max_days, bool) or not 1 <= max_days <= 366:
        problems["max_days"] = [_("Give a number of days from 1 to 366.")]
    if not isinstance(point_value, Decimal) or not point_value.is_finite() \
            or not Decimal("0") <= point_value < Decimal("1000"):
        problems["point_value"] = [_("Give a value from 0 to 999.9999 yuan.")]
    if problems:
        raise ValidationError(problems)
    rules.max_multiplier = max_multiplier.quantize(Decimal("0.01"))
    rules.max_bonus_points, rules.max_days = max_bonus_points, max_days
    rules.point_value = point_value.quantize(Decimal("0.0001"))
    rules.updated_by = actor
    rules.version += 1
    rules.save()
    if allowed_category_ids is not None:
        from kehu.purchases.models import Category

        rules.allowed_categories.set(Category.objects.filter(pk__in=allowed_category_ids))
    return rules


def _check_store(actor: User, branch: Branch) -> None:
    from kehu.org.selectors import branch_ids_in_scope

    if not actor.has_perm("loyalty.manage_store_promotion"):
        raise PermissionDenied(_("You do not have permission to define store promotions."))
    ids = branch_ids_in_scope(actor)
    if ids is not None and branch.pk not in ids:
        raise PermissionDenied(_("You may define promotions only for your own stores."))


def promotion_limits_check(*, rules: GroupRules, multiplier: Decimal, bonus_points: int, category_id: int | None,
                           starts_on: dt.date, ends_on: dt.date) -> None:
    """Refuse (:class:`GroupLimitError`, every problem named by its field) a promotion past the group's rules."""
    problems: dict[str, list[str]] = {}
    if multiplier > rules.max_multiplier:
        problems["multiplier"] = [_("The group allows stores a multiplier of at most %(max)s.")
                                  % {"max": rules.max_multiplier}]
    if bonus_points > rules.max_bonus_points:
        problems["bonus_points"] = [_("The group allows stores a bonus of at most %(max)s points per transaction.")
                                    % {"max": rules.max_bonus_points}]
    allowed = set(rules.allowed_categories.values_list("pk", flat=True))
    if allowed and category_id not in allowed:
        problems["category"] = [_("The group allows store promotions only on these categories: %(names)s.")
                                % {"names": "、".join(rules.allowed_categories.order_by("name")
                                                     .values_list("name", flat=True))}]
    if (ends_on - starts_on).days + 1 > rules.max_days:
        problems["ends_on"] = [_("The group allows store promotions of at most %(days)d days.")
                               % {"days": rules.max_days}]
    if problems:
        raise GroupLimitError(problems)


@transaction.atomic
def store_promotion_save(*, actor: User, branch: Branch, name: str, multiplier: Decimal = Decimal("1"),
                         bonus_points: int = 0, cap_points: int | None = None, category_id: int | None = None,
                         starts_on: dt.date, ends_on: dt.date, is_active: bool = True,
                         promotion: EarningRule | None = None, programme: Programme | None = None) -> EarningRule:
    """Create (or change, ``promotion``) a store's promotion within the group's rules."""
    from kehu.core.validators import text_problem

    _check_store(actor, branch)
    if promotion is not None:
        promotion = EarningRule.objects.select_for_update().get(pk=promotion.pk)
        if promotion.owner_branch_id is None:
            raise PermissionDenied(_("This is a group rule, not a store promotion."))
        if promotion.owner_branch is not None:
            _check_store(actor, promotion.owner_branch)
    name = (name or "").strip()
    problems: dict[str, list[str]] = {}
    problem = text_problem(name) if name else _("Give a name.")
    if problem or len(name) > 100:
        problems["name"] = [problem or _("Give a name of at most 100 characters.")]
    if not isinstance(multiplier, Decimal) or not multiplier.is_finite() \
            or not Decimal("1") <= multiplier <= Decimal("100"):
        problems["multiplier"] = [_("Give a multiplier from 1 to 100.")]
    if isinstance(bonus_points, bool) or not 0 <= bonus_points < BONUS_MAX:
        problems["bonus_points"] = [_("Give a number of points from 0 to 999,999,999.")]
    if cap_points is not None and (isinstance(cap_points, bool) or not 0 < cap_points < BONUS_MAX):
        problems["cap_points"] = [_("Give a number of points from 1 to 999,999,999.")]
    if ends_on < starts_on:
        problems["ends_on"] = [_("The end cannot be before the start.")]
    if category_id is not None:
        from kehu.purchases.models import Category

        if not Category.objects.filter(pk=category_id).exists():
            problems["category"] = [_("No such category.")]
    if problems:
        raise ValidationError(problems)
    programme = programme or (promotion.programme if promotion else programme_default())
    promotion_limits_check(rules=group_rules_for(programme), multiplier=multiplier, bonus_points=bonus_points,
                           category_id=category_id, starts_on=starts_on, ends_on=ends_on)
    rule = promotion or EarningRule(programme=programme, owner_branch=branch, created_by=actor)
    rule.name, rule.branch, rule.owner_branch = name, branch, branch
    rule.kind = RuleKind.CATEGORY if category_id else RuleKind.STORE
    rule.category_id, rule.product_id = category_id, None
    rule.multiplier, rule.bonus_points, rule.cap_points = multiplier.quantize(Decimal("0.01")), bonus_points, cap_points
    rule.starts_on, rule.ends_on, rule.is_active = starts_on, ends_on, is_active
    rule.save()
    return rule


def promotion_clamp(rule: EarningRule, limits: dict[int, tuple[Decimal, int]]) -> EarningRule:
    """A store promotion held to the group's current rules at earning (``limits``: programme id → (highest
    multiplier, highest bonus)); group rules pass unchanged."""
    if rule.owner_branch_id is None or rule.programme_id not in limits:
        return rule
    max_multiplier, max_bonus = limits[rule.programme_id]
    rule.multiplier = min(rule.multiplier, max_multiplier)
    rule.bonus_points = min(rule.bonus_points, max_bonus)
    return rule


def group_limits(programme_ids: Any) -> dict[int, tuple[Decimal, int]]:
    return {row[0]: (row[1], row[2]) for row in GroupRules.objects.filter(programme_id__in=set(programme_ids))
            .values_list("programme_id", "max_multiplier", "max_bonus_points")}
