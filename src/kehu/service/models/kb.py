"""Knowledge base (统一口径): the answers the service desk agrees on. An article has versions; editing writes a new
draft version, a version is published after approval (``work`` approval kind ``kb_article``), and only the published
version is searched (``service.kb.search`` keeps the full-text table). ``ArticleUse`` links the article (and the
version) that answered a ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Branch


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article status", "Draft")
    IN_REVIEW = "in_review", pgettext_lazy("article status", "In review")
    PUBLISHED = "published", pgettext_lazy("article status", "Published")
    ARCHIVED = "archived", pgettext_lazy("article status", "Archived")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article version status", "Draft")
    IN_REVIEW = "in_review", pgettext_lazy("article version status", "In review")
    PUBLISHED = "published", pgettext_lazy("article version status", "Published")
    SUPERSEDED = "superseded", pgettext_lazy("article version status", "Superseded")


class ArticleCategory(models.Model):
    """A category of articles (a tree: ``parent``)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """An article. ``branch`` empty: group-wide (decided by administrators); else the branch's own answer.
    ``current_version`` is the published version (empty until the first approval)."""

    id = models.BigAutoField(primary_key=True)
    category = models.ForeignKey(
        ArticleCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="articles",
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: the whole group."),
    )
    current_version = models.ForeignKey(
        "ArticleVersion", verbose_name=_("published version"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("manage_article", _("Can manage knowledge-base articles (archive, categories)"))]
        indexes = [models.Index(fields=["status", "updated_at"], name="kb_article_status_idx")]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """One version of an article's text (numbered 1, 2, …). ``search_title`` / ``search_body`` are the segmented
    token documents (space-separated words) the full-text index is fed with."""

    id = models.BigAutoField(primary_key=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions", db_index=False)
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=50000)
    status = models.CharField(_("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    comment = models.CharField(_("what changed"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    search_title = models.TextField(blank=True, default="", editable=False)
    search_body = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_number_uniq")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class ArticleUse(models.Model):
    """An article (the version shown) used to answer a ticket; once per ticket and article."""

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey("service.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="+", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    used_at = models.DateTimeField(_("used at"), default=timezone.now)

    class Meta:
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        constraints = [models.UniqueConstraint(fields=["ticket", "article"], name="kb_use_ticket_article_uniq")]
        indexes = [models.Index(fields=["used_at"], name="kb_use_time_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.ticket_id}"
