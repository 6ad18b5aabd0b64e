"""Membership and loyalty: programmes, levels, memberships, cards and the points ledger.

Ledgers are append-only (``PointsEntry``); ``PointsAccount.balance`` is kept in the same transaction as each entry,
under a row lock on the account, and always equals the sum of the account's entries (``kehu loyalty reconcile``).
Entries carry ``customer_id`` so that, scaled out, they are distributed with the customer's other large tables.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.org.models import Branch


class Programme(models.Model):
    """A loyalty programme (会员计划). The default one is what a card issued without a programme joins."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default programme"), default=False)
    points_per_yuan = models.DecimalField(_("points per yuan"), max_digits=8, decimal_places=4, default=1)
    window_days = models.PositiveIntegerField(_("level window (days)"), default=365,
                                              help_text=_("Spend and points over this many days decide the level."))
    expiry_days = models.PositiveIntegerField(
        _("points expire after (days)"), null=True, blank=True,
        help_text=_("Earned points not used within this many days expire, oldest first; empty: never."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="loyalty_one_default_programme")]

    def __str__(self) -> str:
        return self.name


class Level(models.Model):
    """A member level of a programme (会员等级). A member qualifies for the highest rank whose thresholds the spend
    and points earned over the programme's window reach (both, when both are set); upgrades and downgrades are the
    scheduled evaluation moving members to the level they qualify for."""

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.CASCADE,
                                  related_name="levels")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("Higher is better; the lowest is the entry level."))
    min_spend = models.DecimalField(_("minimum spend in the window"), max_digits=14, decimal_places=2, default=0)
    min_points = models.PositiveBigIntegerField(_("minimum points earned in the window"), default=0)
    multiplier = models.DecimalField(_("points multiplier"), max_digits=5, decimal_places=2, default=1)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    service_priority = models.PositiveSmallIntegerField(_("service priority"), default=0)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["programme", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "rank"], name="loyalty_level_rank_unique"),
            models.UniqueConstraint(fields=["programme", "code"], name="loyalty_level_code_unique"),
            models.CheckConstraint(condition=Q(multiplier__gte=0) & Q(multiplier__lte=100),
                                   name="loyalty_level_multiplier_range"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleKind(models.TextChoices):
    CATEGORY = "category", _("Category")
    PRODUCT = "product", _("Product")
    STORE = "store", _("Store or branch")
    CAMPAIGN = "campaign", _("Campaign")


class EarningRule(models.Model):
    """An earning rule on top of the programme's points per yuan: a multiplier (the highest matching one applies,
    rules do not stack), a bonus per transaction (matching bonuses add up) and a cap per transaction (the lowest
    matching cap applies). A store rule matches transactions of that branch and the branches below it."""

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.CASCADE,
                                  related_name="rules")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    category = models.ForeignKey("purchases.Category", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("purchases.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(Branch, verbose_name=_("store / branch"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=1)
    bonus_points = models.PositiveIntegerField(_("bonus points per transaction"), default=0)
    cap_points = models.PositiveIntegerField(_("cap per transaction"), null=True, blank=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    owner_branch = models.ForeignKey(Branch, verbose_name=_("store promotion of"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text=_("Empty: a group rule. Set: a store's promotion, held to the "
                                                 "group's rules."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["programme", "name"]
        permissions = [("manage_store_promotion", "Can define store promotions within the group's rules")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A customer's membership of a programme with the current level."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="memberships")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT,
                                  related_name="memberships")
    level = models.ForeignKey(Level, verbose_name=_("level"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="memberships")
    level_since = models.DateField(_("level since"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True,
                                     help_text=_("Set when the customer was merged into another member: the "
                                                 "balance was carried over and the ledger is kept."))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["customer", "programme"], condition=Q(closed_at__isnull=True),
                                               name="loyalty_membership_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.programme_id}"


class LevelChange(models.Model):
    """The history of a membership's level (append-only)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="level_changes")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    from_level = models.ForeignKey(Level, null=True, on_delete=models.PROTECT, related_name="+")
    to_level = models.ForeignKey(Level, null=True, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("as of"))
    spend = models.DecimalField(_("spend in the window"), max_digits=16, decimal_places=2, default=0)
    points = models.BigIntegerField(_("points earned in the window"), default=0)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "as_of"], name="loyalty_levelchange_cust_idx")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.from_level_id}→{self.to_level_id} {self.as_of}"


class CardKind(models.TextChoices):
    MEMBER = "member", _("Member card")
    GIFT = "gift", _("Gift card")
    STORED_VALUE = "stored_value", _("Stored-value card")


class CardStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    LOST = "lost", _("Reported lost")
    REPLACED = "replaced", _("Replaced")


class Card(models.Model):
    """A card: 19 digits, the last a Luhn check digit, the middle 14 from a cryptographic random source (so a
    number cannot be guessed from another). A card belongs to a membership (a gift card may have none yet)."""

    number = models.CharField(_("card number"), max_length=19, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CardKind.choices, default=CardKind.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ISSUED)
    membership = models.ForeignKey(Membership, verbose_name=_("membership"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="cards")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="cards")
    branch = models.ForeignKey(Branch, verbose_name=_("issued by"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    replaced_by = models.OneToOneField("self", verbose_name=_("replaced by"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="replaces")
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PointsAccount(models.Model):
    """The points account of a membership; ``balance`` equals the sum of its entries and is never negative."""

    membership = models.OneToOneField(Membership, on_delete=models.PROTECT, related_name="points_account")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    balance = models.BigIntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_points_never_negative")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.balance}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    ADJUST = "adjust", _("Adjustment")
    REVERSE = "reverse", _("Reversal")
    EXPIRE = "expire", _("Expired")
    TRANSFER = "transfer", _("Transfer")
    EXCHANGE_OUT = "exch_out", _("Exchanged to a partner")
    EXCHANGE_IN = "exch_in", _("Exchanged from a partner")


class PointsEntry(models.Model):
    """One movement of points (append-only). ``transaction_id`` names the purchase an earning or a reversal comes
    from (no foreign key: the ledger outlives a deleted purchase); one entry per (account, transaction, kind)."""

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.BigIntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    transaction_id = models.BigIntegerField(_("transaction"), null=True, blank=True)
    card = models.ForeignKey(Card, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=False)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "transaction_id", "kind"],
                                    condition=Q(transaction_id__isnull=False), name="loyalty_entry_once_per_txn"),
            models.UniqueConstraint(fields=["account", "idempotency_key"],
                                    condition=Q(idempotency_key__isnull=False), name="loyalty_entry_idem_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "id"], name="loyalty_entry_account_idx"),
            models.Index(fields=["customer", "created_at"], name="loyalty_entry_customer_idx"),
            models.Index(fields=["transaction_id"], name="loyalty_entry_txn_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.points}"


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PointsAdjustment(models.Model):
    """A manual adjustment of a points account, posted only once approved (``work`` approval ``points_adjustment``,
    the authority amount being the number of points moved)."""

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="adjustments")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    points = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=AdjustmentStatus.choices,
                              default=AdjustmentStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(PointsEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("points adjustment")
        verbose_name_plural = _("points adjustments")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.points:+d} ({self.status})"


class IdempotentRequest(models.Model):
    """The first answer to a counter write sent with an ``Idempotency-Key``: a replay returns it and changes
    nothing; the same key with a different request answers 409."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="loyalty_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.key}"


class StoredValueAccount(models.Model):
    """The stored value (储值) of one card, in yuan; ``balance`` equals the sum of its entries, never negative."""

    card = models.OneToOneField(Card, on_delete=models.PROTECT, related_name="stored_value")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stored-value account")
        verbose_name_plural = _("stored-value accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_stored_value_never_negative")]

    def __str__(self) -> str:
        return f"{self.card_id}: {self.balance}"


class StoredValueKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    SPEND = "spend", _("Spend")
    REFUND = "refund", _("Refund")
    TRANSFER = "transfer", _("Transfer")


class StoredValueEntry(models.Model):
    """One movement of stored value (append-only)."""

    account = models.ForeignKey(StoredValueAccount, on_delete=models.PROTECT, related_name="entries")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=StoredValueKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=2)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    counterpart = models.OneToOneField("self", verbose_name=_("transfer from"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="transfer_credit",
                                       help_text=_("On the credit of a transfer between cards: its debit."))

    class Meta:
        verbose_name = _("stored-value entry")
        verbose_name_plural = _("stored-value entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "id"], name="loyalty_sv_account_idx"),
                   models.Index(fields=["branch", "created_at"], name="loyalty_sv_branch_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.amount}"


class GroupRules(models.Model):
    """The group's rules for the store promotions of a programme (集团规则), set by the group administrator: the
    highest multiplier and bonus a store may offer, the categories it may promote (none chosen: any), the longest
    promotion, and what one point is worth when stores settle points earned in one and redeemed in another."""

    programme = models.OneToOneField(Programme, verbose_name=_("programme"), on_delete=models.CASCADE,
                                     related_name="group_rules")
    max_multiplier = models.DecimalField(_("highest multiplier a store may offer"), max_digits=5, decimal_places=2,
                                         default=2)
    max_bonus_points = models.PositiveIntegerField(_("highest bonus points per transaction"), default=100)
    max_days = models.PositiveSmallIntegerField(_("longest promotion (days)"), default=31)
    allowed_categories = models.ManyToManyField("purchases.Category", verbose_name=_("categories stores may promote"),
                                                blank=True, related_name="+",
                                                help_text=_("None chosen: any category."))
    point_value = models.DecimalField(_("value of one point in settlements (yuan)"), max_digits=8,
                                      decimal_places=4, default=Decimal("0.01"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("group rules")
        verbose_name_plural = _("group rules")
        permissions = [("view_settlement", "Can see settlement statements between stores and with partners")]
        constraints = [
            models.CheckConstraint(condition=Q(max_multiplier__gte=1) & Q(max_multiplier__lte=100),
                                   name="loyalty_group_multiplier_range"),
            models.CheckConstraint(condition=Q(point_value__gte=0), name="loyalty_group_point_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}"


class Partner(models.Model):
    """An alliance partner (联盟商家): our members exchange points out to the partner's scheme and the partner's
    members exchange theirs in. ``rate_out``: partner units given for one of our points; ``rate_in``: our points
    given for one partner unit; ``unit_value``: what one partner unit costs in settlements (yuan). The limits count
    our points per direction, over all members, per day and per calendar month (empty: no limit)."""

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT,
                                  related_name="partners")
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rate_out = models.DecimalField(_("partner units per point out"), max_digits=10, decimal_places=4,
                                   default=Decimal("1"))
    rate_in = models.DecimalField(_("points per partner unit in"), max_digits=10, decimal_places=4,
                                  default=Decimal("1"))
    unit_value = models.DecimalField(_("value of one partner unit (yuan)"), max_digits=8, decimal_places=4,
                                     default=Decimal("0.01"))
    daily_limit_out = models.PositiveBigIntegerField(_("daily limit out (points)"), null=True, blank=True)
    monthly_limit_out = models.PositiveBigIntegerField(_("monthly limit out (points)"), null=True, blank=True)
    daily_limit_in = models.PositiveBigIntegerField(_("daily limit in (points)"), null=True, blank=True)
    monthly_limit_in = models.PositiveBigIntegerField(_("monthly limit in (points)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alliance partner")
        verbose_name_plural = _("alliance partners")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_out__gt=0) & Q(rate_in__gt=0) & Q(unit_value__gte=0),
                                   name="loyalty_partner_rates_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ExchangeDirection(models.TextChoices):
    OUT = "out", _("Out to the partner")
    IN = "in", _("In from the partner")


class PartnerExchange(models.Model):
    """One exchange of points with a partner, beside its ledger entry (``exch_out`` / ``exch_in``): the points,
    the partner units at the rate of the day, and the partner's reference (unique per partner and direction)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="exchanges")
    direction = models.CharField(_("direction"), max_length=3, choices=ExchangeDirection.choices)
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="exchange")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    points = models.PositiveBigIntegerField(_("points"))
    units = models.DecimalField(_("partner units"), max_digits=16, decimal_places=4)
    rate = models.DecimalField(_("rate"), max_digits=10, decimal_places=4)
    value = models.DecimalField(_("value (yuan)"), max_digits=16, decimal_places=2, default=0)
    reference = models.CharField(_("partner reference"), max_length=64, null=True, blank=True)
    day = models.DateField(_("day"))
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("partner exchange")
        verbose_name_plural = _("partner exchanges")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["partner", "direction", "reference"],
                                               condition=Q(reference__isnull=False),
                                               name="loyalty_exchange_reference_unique")]
        indexes = [models.Index(fields=["partner", "direction", "day"], name="loyalty_exchange_day_idx")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.direction} {self.points}"


from kehu.loyalty.coupons.models import Coupon, CouponBatch  # noqa: E402,F401 - Django finds the coupon models here


class SettlementClose(models.Model):
    """A month's settlement statements kept as they were when the period was closed (between stores and with
    partners, for the default programme): shown as kept, no longer computed from the ledger. Reopening (its own
    permission) is recorded on the row, which stays as history; closing again keeps a new row."""

    period = models.CharField(_("month"), max_length=7)
    stores = models.JSONField(_("statement between stores"), default=dict)
    partners = models.JSONField(_("statement with partners"), default=list)
    closed_at = models.DateTimeField(_("closed"), default=timezone.now)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True,
                                  on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reopened by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reopen_reason = models.CharField(_("reason for reopening"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("closed settlement period")
        verbose_name_plural = _("closed settlement periods")
        ordering = ["-period", "-id"]
        permissions = [("close_settlement", "Can close a settlement period (keep its statements)"),
                       ("reopen_settlement", "Can reopen a closed settlement period")]
        constraints = [models.UniqueConstraint(fields=["period"], condition=Q(reopened_at__isnull=True),
                                               name="loyalty_settlement_closed_once")]

    def __str__(self) -> str:
        return self.period
