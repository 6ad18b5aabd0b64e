"""Branches (a tree: group → region → store), staff users and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Branch(models.Model):
    """A node of the organisation tree. ``path`` is a materialised path ("/1/4/9/") so a subtree is one prefix query."""

    class Kind(models.TextChoices):
        GROUP = "group", _("Group")
        REGION = "region", _("Region")
        STORE = "store", _("Store / branch")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STORE)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    # national administrative division codes of the province and city (kehu.core.divisions), found from the names
    province_code = models.CharField(_("province code"), max_length=6, blank=True, default="", editable=False)
    city_code = models.CharField(_("city code"), max_length=6, blank=True, default="", editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def clean(self) -> None:
        """The division codes of the province and city named (full or short names; "" when not recognised)."""
        from kehu.core import divisions

        self.province_code, self.city_code, _district = divisions.resolve(self.province, self.city)


class User(AbstractUser):
    """A staff member. Roles are Django groups; ``branches`` are the branches the user belongs to."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    staff_number = models.CharField(_("staff number"), max_length=32, blank=True, default="",
                                    help_text=_("The employee number (工号); imports match account managers by it."))
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    branches = models.ManyToManyField(Branch, verbose_name=_("branches"), blank=True, related_name="staff")

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def label(self) -> str:
        return str(self)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the key is shown once when created."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "kehu_" + secrets.token_urlsafe(32)
