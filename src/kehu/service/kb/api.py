"""The knowledge-base API (``/api/knowledge``): search, articles (list, read, create, edit = a new draft version,
submit for approval) and the use of an article on a ticket. Thin: parse, call a selector or a service, serialise.
Articles out of the caller's scope answer 404; a stale ``version`` 409."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import INT_MAX, RowId
from kehu.org.models import User

from ..models import Article, ArticleCategory, Ticket
from . import selectors, services

router = Router(tags=["knowledge base"])
Version = Annotated[int, Field(ge=1, le=INT_MAX, description="The version you read; a stale one answers 409.")]


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class ArticleOut(Schema):
    id: int
    title: str
    status: str
    category: str | None
    branch_id: int | None
    current_version: int | None
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_category(obj: Article) -> str | None:
        return obj.category.name if obj.category else None

    @staticmethod
    def resolve_current_version(obj: Article) -> int | None:
        return obj.current_version.number if obj.current_version else None


class ArticleDetailOut(ArticleOut):
    body: str


class SearchHit(Schema):
    id: int
    title: str
    category: str | None
    version: int
    snippet: str


class SearchOut(Schema):
    partial: bool
    items: list[SearchHit]


class ArticleIn(Schema):
    title: str = Field(max_length=200)
    body: str = Field(max_length=50000)
    category_id: RowId | None = None
    comment: str = Field("", max_length=500)


class ArticleEditIn(ArticleIn):
    version: Version | None = None


class UseIn(Schema):
    ticket_id: RowId
    as_note: bool = False


class UseOut(Schema):
    id: int
    ticket_id: int
    article_id: int
    version: int
    created: bool


class SubmitOut(Schema):
    approval_id: int


def _category(pk: int | None) -> ArticleCategory | None:
    if not pk:
        return None
    category = ArticleCategory.objects.filter(pk=pk).first()
    if category is None:
        raise ValidationError({"category_id": [_("No such category.")]})
    return category


@router.get("/search", response={200: SearchOut, **COMMON_ERRORS})
def search(request: HttpRequest, q: Annotated[str, Field(max_length=200)] = "",
           limit: Annotated[int, Field(ge=1, le=50)] = 20, offset: Annotated[int, Field(ge=0, le=10000)] = 0) -> Any:
    results, partial = selectors.article_search(user=_actor(request), query=q, limit=limit, offset=offset)
    return {"partial": partial, "items": [
        {"id": hit["article"].pk, "title": hit["version"].title,
         "category": hit["article"].category.name if hit["article"].category else None,
         "version": hit["version"].number, "snippet": hit["snippet"]} for hit in results]}


@router.get("/articles", response={200: dict, **COMMON_ERRORS})
def article_list(request: HttpRequest, params: Query[PageParams], status: str = "") -> Any:
    page = paginate(selectors.article_list(user=_actor(request), status=status[:20]), params)
    page["items"] = [ArticleOut.from_orm(article).dict() for article in page["items"]]
    return page


@router.get("/articles/{pk}", response={200: ArticleDetailOut, **COMMON_ERRORS})
def article_get(request: HttpRequest, pk: RowId) -> Any:
    article = selectors.article_get(user=_actor(request), pk=pk)
    shown = article.current_version or article.versions.order_by("-number").first()
    article.body = shown.body if shown is not None else ""  # type: ignore[attr-defined]
    return article


@router.post("/articles", response={201: ArticleOut, **COMMON_ERRORS})
def article_create(request: HttpRequest, payload: ArticleIn) -> Any:
    article = services.article_create(actor=_actor(request), title=payload.title, body=payload.body,
                                      category=_category(payload.category_id), comment=payload.comment)
    return Status(201, article)


@router.put("/articles/{pk}", response={200: ArticleOut, **COMMON_ERRORS})
def article_edit(request: HttpRequest, pk: RowId, payload: ArticleEditIn) -> Any:
    actor = _actor(request)
    article = selectors.article_get(user=actor, pk=pk)
    services.article_edit(actor=actor, article=article, title=payload.title, body=payload.body,
                          category=_category(payload.category_id), comment=payload.comment,
                          expected_version=payload.version)
    return selectors.article_get(user=actor, pk=pk)


@router.post("/articles/{pk}/submit", response={200: SubmitOut, **COMMON_ERRORS})
def article_submit(request: HttpRequest, pk: RowId) -> Any:
    actor = _actor(request)
    approval = services.article_submit(actor=actor, article=selectors.article_get(user=actor, pk=pk))
    return {"approval_id": approval.pk}


@router.post("/articles/{pk}/uses", response={200: UseOut, 201: UseOut, **COMMON_ERRORS})
def article_use(request: HttpRequest, pk: RowId, payload: UseIn) -> Any:
    actor = _actor(request)
    article = selectors.article_get(user=actor, pk=pk)
    ticket = Ticket.objects.visible_to(actor).get(pk=payload.ticket_id)
    use, created = services.article_use(actor=actor, ticket=ticket, article=article)
    if created and payload.as_note:
        services.article_use_reply(actor=actor, ticket=ticket, use=use)
    out = {"id": use.pk, "ticket_id": use.ticket_id, "article_id": use.article_id, "version": use.version.number,
           "created": created}
    return Status(201 if created else 200, out)
