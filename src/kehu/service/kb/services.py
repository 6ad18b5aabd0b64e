"""Every write of the knowledge base: one transaction each, keyword arguments.

Editing an article writes a new draft version; ``article_submit`` sends its newest draft for approval (``work``
approval kind ``kb_article``, the subject the version, in the article's branch: group-wide articles are decided by
administrators); ``kb_on_decided`` publishes it (and re-indexes the search) or returns it to draft."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.models import Branch, User
from kehu.org.selectors import branch_ids_in_scope, user_is_read_only
from kehu.work.exceptions import RecordChangedError
from kehu.work.models import Approval

from ..models import Article, ArticleCategory, ArticleStatus, ArticleUse, ArticleVersion, Ticket, VersionStatus
from . import search
from .segment import document_tokens
from .selectors import articles_visible

APPROVAL_KIND = "kb_article"
TITLE_MAX = 200
BODY_MAX = 50000


def _may_write(actor: User) -> None:
    if not (actor.is_active and actor.has_perm("service.add_article")) or user_is_read_only(actor):
        raise PermissionDenied(_("You may not write knowledge-base articles."))


def _may_manage(actor: User) -> None:
    if not actor.has_perm("service.manage_article") or user_is_read_only(actor):
        raise PermissionDenied(_("You may not manage knowledge-base articles."))


def _clean(title: str, body: str, comment: str = "") -> tuple[str, str, str]:
    title = (title or "").replace("\x00", "").strip()
    body = (body or "").replace("\x00", "").strip()
    comment = (comment or "").replace("\x00", "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("A title is required.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(n)d characters.") % {"n": TITLE_MAX}]
    if not body:
        errors["body"] = [_("The text is empty.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("At most %(n)d characters.") % {"n": BODY_MAX}]
    if len(comment) > 500:
        errors["comment"] = [_("At most %(n)d characters.") % {"n": 500}]
    if errors:
        raise ValidationError(errors)
    return title, body, comment


def _locked(actor: User, article: Article, expected_version: int | None) -> Article:
    current = articles_visible(actor).select_for_update().filter(pk=article.pk).first()
    if current is None:
        raise Article.DoesNotExist
    if expected_version is not None and current.version != expected_version:
        raise RecordChangedError(current.version)
    return current


@transaction.atomic
def category_create(*, actor: User, name: str, parent: ArticleCategory | None = None,
                    order: int = 0) -> ArticleCategory:
    _may_manage(actor)
    name = (name or "").replace("\x00", "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("Give a name of 1 to 100 characters.")]})
    if ArticleCategory.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("This category already exists.")]})
    return ArticleCategory.objects.create(name=name, parent=parent, order=order)


@transaction.atomic
def article_create(*, actor: User, title: str, body: str, category: ArticleCategory | None = None,
                   branch: Branch | None = None, comment: str = "") -> Article:
    """A new article with its first version (a draft). ``branch`` must be in the actor's scope; group-wide
    (``None``) articles are proposed by anyone who writes articles and approved by administrators."""
    _may_write(actor)
    title, body, comment = _clean(title, body, comment)
    if branch is not None:
        ids = branch_ids_in_scope(actor)
        if ids is not None and branch.pk not in ids:
            raise PermissionDenied(_("This branch is outside your scope."))
    now = timezone.now()
    article = Article.objects.create(category=category, title=title, owner=actor, branch=branch, created_at=now,
                                     updated_at=now)
    ArticleVersion.objects.create(article=article, number=1, title=title, body=body, author=actor, comment=comment,
                                  created_at=now, search_title=document_tokens(title),
                                  search_body=document_tokens(body))
    return article


@transaction.atomic
def article_edit(*, actor: User, article: Article, title: str, body: str, category: ArticleCategory | None = None,
                 comment: str = "", expected_version: int | None = None) -> ArticleVersion:
    """A new draft version (the published one stays until the new one is approved). Not while one is in review."""
    _may_write(actor)
    current = _locked(actor, article, expected_version)
    if current.status == ArticleStatus.ARCHIVED:
        raise ValidationError({"status": [_("An archived article cannot be edited.")]})
    if current.versions.filter(status=VersionStatus.IN_REVIEW).exists():
        raise ValidationError({"status": [_("A version is waiting for approval; wait for the decision.")]})
    title, body, comment = _clean(title, body, comment)
    last = current.versions.order_by("-number").first()
    now = timezone.now()
    version = ArticleVersion.objects.create(
        article=current, number=(last.number if last else 0) + 1, title=title, body=body, author=actor,
        comment=comment, created_at=now, search_title=document_tokens(title), search_body=document_tokens(body))
    current.category = category
    if current.current_version_id is None:
        current.title = title
    current.updated_at = now
    current.version += 1
    current.save()
    return version


@transaction.atomic
def article_submit(*, actor: User, article: Article, comment: str = "",
                   expected_version: int | None = None) -> Approval:
    """Send the newest draft version for approval."""
    from kehu.work.services import approval_submit

    _may_write(actor)
    current = _locked(actor, article, expected_version)
    if current.status == ArticleStatus.ARCHIVED:
        raise ValidationError({"status": [_("An archived article cannot be edited.")]})
    version = current.versions.order_by("-number").first()
    if version is None or version.status != VersionStatus.DRAFT:
        raise ValidationError({"status": [_("There is no draft to submit.")]})
    approval = approval_submit(actor=actor, kind=APPROVAL_KIND, subject=version, branch=current.branch,
                               title=_("Article %(title)s (version %(number)d)") % {"title": version.title[:150],
                                                                                   "number": version.number},
                               comment=comment)
    version.status = VersionStatus.IN_REVIEW
    version.save(update_fields=["status"])
    if current.current_version_id is None:
        current.status = ArticleStatus.IN_REVIEW
    current.updated_at = timezone.now()
    current.version += 1
    current.save()
    return approval


def kb_on_decided(*, approval: Approval, action: str) -> None:
    """``work``'s callback in the decision's transaction: approved → the version is published (the previous one
    superseded, the search index updated); rejected or withdrawn → the version is a draft again."""
    version = ArticleVersion.objects.select_for_update().select_related("article").get(pk=approval.subject_id)
    article = Article.objects.select_for_update().get(pk=version.article_id)
    now = timezone.now()
    if action == "approved":
        ArticleVersion.objects.filter(article=article, status=VersionStatus.PUBLISHED).update(
            status=VersionStatus.SUPERSEDED)
        version.status = VersionStatus.PUBLISHED
        version.published_at = now
        version.save(update_fields=["status", "published_at"])
        article.current_version = version
        article.title = version.title
        article.status = ArticleStatus.PUBLISHED
        search.index_article(article_id=article.pk, search_title=version.search_title,
                             search_body=version.search_body, published=True)
    else:
        version.status = VersionStatus.DRAFT
        version.save(update_fields=["status"])
        if article.status == ArticleStatus.IN_REVIEW:
            article.status = ArticleStatus.PUBLISHED if article.current_version_id else ArticleStatus.DRAFT
    article.updated_at = now
    article.version += 1
    article.save()


@transaction.atomic
def article_archive(*, actor: User, article: Article, expected_version: int | None = None) -> Article:
    """Take the article out of search and lists (its versions and uses are kept)."""
    _may_manage(actor)
    current = _locked(actor, article, expected_version)
    if current.versions.filter(status=VersionStatus.IN_REVIEW).exists():
        raise ValidationError({"status": [_("A version is waiting for approval; wait for the decision.")]})
    current.status = ArticleStatus.ARCHIVED
    current.updated_at = timezone.now()
    current.version += 1
    current.save()
    search.index_article(article_id=current.pk, published=False)
    return current


@transaction.atomic
def article_use(*, actor: User, ticket: Ticket, article: Article) -> tuple[ArticleUse, bool]:
    """Link the article's published version to the ticket as its answer (once per ticket and article: a second
    time returns the first link, ``False``)."""
    if user_is_read_only(actor) or not actor.has_perm("service.add_articleuse"):
        raise PermissionDenied(_("You may not link articles to tickets."))
    if not Ticket.objects.visible_to(actor, "change").filter(pk=ticket.pk).exists():
        raise Ticket.DoesNotExist
    current = articles_visible(actor).filter(pk=article.pk).select_related("current_version").first()
    if current is None:
        raise Article.DoesNotExist
    if current.status != ArticleStatus.PUBLISHED or current.current_version is None:
        raise ValidationError({"article": [_("Only a published article can answer a ticket.")]})
    existing = ArticleUse.objects.filter(ticket=ticket, article=current).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return ArticleUse.objects.create(ticket=ticket, article=current, version=current.current_version,
                                             user=actor), True
    except IntegrityError:
        return ArticleUse.objects.get(ticket=ticket, article=current), False


def article_use_reply(*, actor: User, ticket: Ticket, use: ArticleUse) -> Any:
    """Add the article's text to the ticket as an internal note (a draft the agent copies into the reply)."""
    from ..services import ticket_message_add

    return ticket_message_add(ticket=ticket, kind="note", author=actor,
                              body=_("Suggested answer (%(title)s):") % {"title": use.version.title}
                              + "\n\n" + use.version.body)
