"""Reads of the group part of loyalty: store promotions (a branch-bound user sees those of the stores in their
scope), partners and their exchanges."""

from __future__ import annotations

from django.db.models import QuerySet

from kehu.org.models import User

from .models import EarningRule, Partner, PartnerExchange


def promotion_list(*, user: User) -> QuerySet[EarningRule]:
    from kehu.org.selectors import branch_ids_in_scope

    rules = (EarningRule.objects.filter(owner_branch__isnull=False)
             .select_related("owner_branch", "category", "created_by", "programme"))
    ids = branch_ids_in_scope(user)
    if ids is not None:
        rules = rules.filter(owner_branch_id__in=ids)
    return rules.order_by("-starts_on", "-id")


def promotion_get(*, user: User, pk: int) -> EarningRule:
    return promotion_list(user=user).get(pk=pk)


def partner_list(*, active_only: bool = False) -> QuerySet[Partner]:
    partners = Partner.objects.select_related("programme")
    if active_only:
        partners = partners.filter(is_active=True)
    return partners.order_by("code")


def exchange_list(*, partner: Partner) -> QuerySet[PartnerExchange]:
    return partner.exchanges.select_related("branch", "customer").order_by("-id")
