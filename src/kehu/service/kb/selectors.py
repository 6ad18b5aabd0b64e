"""Reads of the knowledge base. Row scope decided here: administrators and auditors every article; others the
group-wide articles and those of their branches; drafts (never published) only to their owner and to those who
manage articles (branch managers, administrators) or read everything (auditors)."""

from __future__ import annotations

import difflib
import html
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from kehu.org.models import User
from kehu.org.selectors import branch_ids_in_scope

from ..models import Article, ArticleCategory, ArticleStatus, ArticleUse, ArticleVersion
from . import search
from .segment import highlight_terms


def may_read(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm("service.view_article"))


def articles_visible(user: User) -> QuerySet[Article]:
    if not may_read(user):
        return Article.objects.none()
    articles = Article.objects.all()
    ids = branch_ids_in_scope(user)
    if ids is not None:
        articles = articles.filter(Q(branch__isnull=True) | Q(branch_id__in=ids))
    if not (user.has_perm("service.manage_article") or ids is None):
        articles = articles.filter(Q(current_version__isnull=False) & ~Q(status=ArticleStatus.ARCHIVED) | Q(owner=user))
    return articles


def article_get(*, user: User, pk: int) -> Article:
    return articles_visible(user).select_related("category", "branch", "owner", "current_version").get(pk=pk)


def article_list(*, user: User, status: str = "", category: ArticleCategory | None = None) -> QuerySet[Article]:
    articles = articles_visible(user).select_related("category", "branch", "owner", "current_version")
    if status:
        articles = articles.filter(status=status)
    if category is not None:
        articles = articles.filter(category=category)
    return articles.order_by("-updated_at", "-id")


def article_search(*, user: User, query: str, category: ArticleCategory | None = None, limit: int = 20,
                   offset: int = 0) -> tuple[list[dict[str, Any]], bool]:
    """Published articles matching ``query`` best first (``search``), each ``{"article", "version", "snippet"}``;
    and whether only some of the words matched."""
    if not may_read(user):
        return [], False
    category_ids = None
    if category is not None:
        category_ids = [category.pk, *ArticleCategory.objects.filter(parent=category).values_list("pk", flat=True)]
    ids, partial = search.search_ids(query, branch_ids=branch_ids_in_scope(user), category_ids=category_ids,
                                     limit=limit, offset=offset)
    articles = Article.objects.select_related("category", "current_version").in_bulk(ids)
    results = []
    for pk in ids:
        article = articles.get(pk)
        if article is None or article.current_version is None:
            continue
        results.append({"article": article, "version": article.current_version,
                        "snippet": snippet(article.current_version.body, query)})
    return results, partial


def snippet(body: str, query: str, width: int = 60) -> str:
    """Safe HTML: the text around the first hit of the query's words, the hits in ``<mark>``."""
    terms = [term for term in highlight_terms(query) if term]
    lowered = body.lower()
    start = 0
    for term in terms:
        candidates = [term.lower()] if len(term) < 3 else [term.lower(), term[:2].lower()]
        for candidate in candidates:
            found = lowered.find(candidate)
            if found >= 0:
                start = max(0, found - width // 3)
                break
        else:
            continue
        break
    text = body[start:start + width].replace("\n", " ")
    out = html.escape(text)
    for term in terms:
        escaped = html.escape(term)
        if escaped and len(term) >= 1:
            out = out.replace(escaped, f"<mark>{escaped}</mark>")
    return ("…" if start else "") + out + ("…" if start + width < len(body) else "")


def version_list(*, article: Article) -> list[ArticleVersion]:
    return list(article.versions.select_related("author").order_by("-number"))


def version_diff(*, old: ArticleVersion | None, new: ArticleVersion) -> list[tuple[str, str]]:
    """Line diff of the text (title first): ``(kind, line)`` with kind ``+``, ``-`` or `` ``."""
    before = ([old.title] + old.body.splitlines()) if old else []
    after = [new.title] + new.body.splitlines()
    lines = []
    for line in difflib.ndiff(before, after):
        if line[:1] in "+- ":
            lines.append((line[:1], line[2:]))
    return lines


def article_uses_for_ticket(*, ticket_id: int) -> list[ArticleUse]:
    return list(ArticleUse.objects.filter(ticket_id=ticket_id).select_related("article", "version", "user")
                .order_by("-used_at"))


def categories() -> list[ArticleCategory]:
    return list(ArticleCategory.objects.select_related("parent"))


def uses_report(*, user: User, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """Tickets answered per article per month (by category), most first; only articles the user sees."""
    uses = ArticleUse.objects.filter(article__in=articles_visible(user))
    if start:
        uses = uses.filter(used_at__date__gte=start)
    if end:
        uses = uses.filter(used_at__date__lte=end)
    rows = (uses.annotate(month=TruncMonth("used_at"))
            .values("month", "article_id", "article__title", "article__category__name")
            .annotate(tickets=Count("ticket_id", distinct=True))
            .order_by("-month", "-tickets", "article__title"))
    return list(rows)


__all__ = ["article_get", "article_list", "article_search", "articles_visible", "categories",
           "snippet", "uses_report", "version_diff", "version_list"]
