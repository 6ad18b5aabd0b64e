"""Products, categories and transactions: the data customer value is computed from.

Transactions carry ``customer_id`` so that, scaled out with Citus, they are distributed by customer and joins with
the customer's other large tables stay co-located.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.org.models import Branch


class Category(models.Model):
    """A product category; categories may nest."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something we sell."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="products")
    list_price = models.DecimalField(_("list price"), max_digits=14, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Channel(models.TextChoices):
    STORE = "store", _("In store")
    ONLINE = "online", _("Online")
    PHONE = "phone", _("Phone")
    MOBILE_APP = "app", _("Mobile app")
    ACCOUNT_MANAGER = "manager", _("Account manager")
    OTHER = "other", _("Other")


class Transaction(models.Model):
    """One purchase line (交易/消费记录). ``external_ref`` makes re-imports and retried writes idempotent."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="transactions", db_index=False)  # transaction_customer_cover_idx
    occurred_at = models.DateTimeField(_("time"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    margin = models.DecimalField(_("gross margin"), max_digits=14, decimal_places=2, default=0)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="transactions")
    branch = models.ForeignKey(Branch, verbose_name=_("store / branch"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="transactions")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.STORE)
    external_ref = models.CharField(_("external reference"), max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # on PostgreSQL amount and margin are included, so the scoring summary is an index-only scan in customer
            # order (SQLite creates the index without them)
            models.Index(fields=["customer", "occurred_at"], include=["amount", "margin"],
                         name="transaction_customer_cover_idx"),
            models.Index(fields=["occurred_at"], name="transaction_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.occurred_at:%Y-%m-%d} {self.amount}"

    def clean(self) -> None:
        """The time of a purchase is a business date: from 1900 up to a few years ahead (``core.validators``)."""
        from kehu.core.validators import validate_business_date

        try:
            validate_business_date(self.occurred_at)
        except ValidationError as error:
            raise ValidationError({"occurred_at": error.messages}) from None
