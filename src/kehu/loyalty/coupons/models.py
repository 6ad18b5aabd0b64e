"""Coupon batches (campaigns) and coupons. A coupon is used once: the use is one conditional UPDATE from
``issued`` to ``used`` (``services.coupon_use``), so of many concurrent uses exactly one wins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.org.models import Branch


class CouponKind(models.TextChoices):
    AMOUNT = "amount", _("Amount off")
    PERCENT = "percent", _("Percent off")
    GIFT = "gift", _("Gift")


class IssueRule(models.TextChoices):
    NONE = "", _("Issued by hand (to a list of customers)")
    LEVEL = "level", _("Members at a level")
    TRANSACTION = "transaction", _("A purchase over an amount")


class CouponBatch(models.Model):
    """A coupon campaign: what a coupon gives, when and where it may be used, how many and to whom."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CouponKind.choices, default=CouponKind.AMOUNT)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0,
                                help_text=_("Yuan off, or the percentage off; not used for a gift."))
    max_discount = models.DecimalField(_("discount cap (yuan)"), max_digits=12, decimal_places=2, null=True,
                                       blank=True, help_text=_("For a percentage off: the most it takes off."))
    gift = models.CharField(_("gift"), max_length=100, blank=True, default="")
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    branch = models.ForeignKey(Branch, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+")
    stores = models.ManyToManyField(Branch, verbose_name=_("valid at"), blank=True, related_name="+",
                                    help_text=_("These branches and every store below them; none: everywhere."))
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True,
                                           help_text=_("The most coupons issued; empty: no limit."))
    per_customer = models.PositiveSmallIntegerField(_("per customer"), default=1)
    rule = models.CharField(_("issue rule"), max_length=12, choices=IssueRule.choices, blank=True, default="")
    rule_level = models.ForeignKey("loyalty.Level", verbose_name=_("level"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    rule_min_amount = models.DecimalField(_("purchase of at least (yuan)"), max_digits=14, decimal_places=2,
                                          null=True, blank=True)
    issued_count = models.PositiveIntegerField(_("issued"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")),
                                   name="loyalty_couponbatch_window"),
            models.CheckConstraint(condition=Q(value__gte=0), name="loyalty_couponbatch_value"),
        ]

    def __str__(self) -> str:
        return self.name


class CouponStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    USED = "used", _("Used")
    VOIDED = "voided", _("Voided")
    EXPIRED = "expired", _("Expired")


class Coupon(models.Model):
    """One coupon: a code of 12 random characters and a check character (``codes``), unique."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    batch = models.ForeignKey(CouponBatch, verbose_name=_("batch"), on_delete=models.PROTECT,
                              related_name="coupons")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("loyalty.Membership", verbose_name=_("membership"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=CouponStatus.choices, default=CouponStatus.ISSUED)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    source_transaction_id = models.BigIntegerField(null=True, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_branch = models.ForeignKey(Branch, verbose_name=_("used at"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    order_ref = models.CharField(_("order reference"), max_length=80, blank=True, default="")
    transaction_id = models.BigIntegerField(_("purchase"), null=True, blank=True)
    discount = models.DecimalField(_("discount"), max_digits=14, decimal_places=2, null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    void_reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    replaced_by = models.OneToOneField("self", verbose_name=_("reissued as"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="replaces")

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-id"]
        permissions = [("use_coupon", "Can use coupons at the counter"),
                       ("void_coupon", "Can void and reissue coupons")]
        constraints = [
            models.UniqueConstraint(fields=["batch", "source_transaction_id"],
                                    condition=Q(source_transaction_id__isnull=False),
                                    name="loyalty_coupon_once_per_txn"),
        ]
        indexes = [
            models.Index(fields=["batch", "customer"], name="loyalty_coupon_batch_cust_idx"),
            models.Index(fields=["customer", "issued_at"], name="loyalty_coupon_customer_idx"),
            models.Index(fields=["status", "expires_at"], name="loyalty_coupon_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.code
