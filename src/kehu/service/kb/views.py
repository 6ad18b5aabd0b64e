"""Knowledge-base pages (thin): list and search, article, new and edit, versions with their diff, submit for
approval, archive, the ticket page section's search and "use this answer", the report of uses (page and CSV)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.work.exceptions import RecordChangedError

from ..models import Article, Ticket
from . import selectors, services
from .forms import ArticleForm, ReportForm, SearchForm

PAGE_SIZE = 20


def _need_read(request: HttpRequest) -> None:
    if not selectors.may_read(request.user):  # type: ignore[arg-type]
        raise PermissionDenied


def _article(request: HttpRequest, pk: int) -> Article:
    try:
        return selectors.article_get(user=request.user, pk=pk)  # type: ignore[arg-type]
    except Article.DoesNotExist:
        raise Http404(_("No such article.")) from None


def _errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@login_required
def kb_list(request: HttpRequest) -> HttpResponse:
    _need_read(request)
    form = SearchForm(request.GET or None)
    query, category, status = "", None, ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        category = form.cleaned_data["category"]
        status = form.cleaned_data["status"]
    context: dict[str, Any] = {"form": form, "query": query, "filtered": bool(query or category or status),
                               "may_write": request.user.has_perm("service.add_article")}
    if query:
        try:
            number = max(1, min(int(request.GET.get("page", 1)), 500))
        except ValueError:
            number = 1
        results, partial = selectors.article_search(user=request.user, query=query, category=category,  # type: ignore[arg-type]
                                                    limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
        context.update(results=results[:PAGE_SIZE], partial=partial, number=number,
                       has_next=len(results) > PAGE_SIZE)
    else:
        page = Paginator(selectors.article_list(user=request.user, status=status, category=category),  # type: ignore[arg-type]
                         PAGE_SIZE).get_page(request.GET.get("page"))
        context["page"] = page
    template = "service/kb/_results.html" if request.headers.get("HX-Request") else "service/kb/list.html"
    return render(request, template, context)


@login_required
def kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    versions = selectors.version_list(article=article)
    return render(request, "service/kb/detail.html", {
        "article": article, "versions": versions, "latest": versions[0] if versions else None,
        "may_write": request.user.has_perm("service.add_article"),
        "may_manage": request.user.has_perm("service.manage_article"),
    })


@login_required
def kb_article_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need_read(request)
    if not request.user.has_perm("service.add_article"):
        raise PermissionDenied
    article = _article(request, pk) if pk else None
    latest = article.versions.order_by("-number").first() if article else None
    initial = {"title": latest.title, "body": latest.body, "category": article.category} if article and latest else {}
    form = ArticleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if article is None:
                    article = services.article_create(actor=request.user, title=data["title"], body=data["body"],  # type: ignore[arg-type]
                                                      category=data["category"], comment=data["comment"])
                else:
                    services.article_edit(actor=request.user, article=article, title=data["title"],  # type: ignore[arg-type]
                                          body=data["body"], category=data["category"], comment=data["comment"])
                messages.success(request, _("The draft is saved. Submit it for approval to publish it."))
                return redirect("service:kb_article", article.pk)
            except ValidationError as error:
                _errors(form, error)
            except RecordChangedError as error:
                form.add_error(None, str(error))
                status = 409
        status = status if status != 200 else 422
    return render(request, "service/kb/form.html", {"form": form, "article": article}, status=status)


@login_required
def kb_versions(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    versions = selectors.version_list(article=article)
    try:
        number = int(request.GET.get("v", versions[0].number if versions else 0))
    except ValueError:
        number = 0
    chosen = next((version for version in versions if version.number == number), versions[0] if versions else None)
    previous = next((version for version in versions if chosen and version.number < chosen.number), None)
    diff = selectors.version_diff(old=previous, new=chosen) if chosen else []
    return render(request, "service/kb/versions.html", {"article": article, "versions": versions, "chosen": chosen,
                                                         "previous": previous, "diff": diff})


@login_required
@require_POST
def kb_submit(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    try:
        services.article_submit(actor=request.user, article=article, comment=request.POST.get("comment", "")[:2000])  # type: ignore[arg-type]
        messages.success(request, _("Submitted for approval."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("service:kb_article", article.pk)


@login_required
@require_POST
def kb_archive(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    try:
        services.article_archive(actor=request.user, article=article)  # type: ignore[arg-type]
        messages.success(request, _("The article is archived."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("service:kb_article", article.pk)


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    ticket = Ticket.objects.visible_to(request.user).filter(pk=pk).first()  # type: ignore[arg-type]
    if ticket is None:
        raise Http404(_("No such ticket."))
    return ticket


def ticket_section_loader(*, ticket: Ticket, user: Any) -> dict[str, Any] | None:
    if not selectors.may_read(user):
        return None
    results, partial = selectors.article_search(user=user, query=ticket.subject, limit=5)
    return {"query": ticket.subject, "results": results, "partial": partial,
            "uses": selectors.article_uses_for_ticket(ticket_id=ticket.pk),
            "may_use": user.has_perm("service.add_articleuse")}


@login_required
def kb_ticket_search(request: HttpRequest, ticket_id: int) -> HttpResponse:
    _need_read(request)
    ticket = _ticket(request, ticket_id)
    query = request.GET.get("q", "")[:200]
    results, partial = selectors.article_search(user=request.user, query=query, limit=10)  # type: ignore[arg-type]
    return render(request, "service/kb/_ticket_results.html", {
        "ticket": ticket, "data": {"results": results, "partial": partial, "query": query,
                                   "may_use": request.user.has_perm("service.add_articleuse")}})


@login_required
@require_POST
def kb_ticket_use(request: HttpRequest, ticket_id: int, pk: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    article = _article(request, pk)
    try:
        use, _created = services.article_use(actor=request.user, ticket=ticket, article=article)  # type: ignore[arg-type]
        if request.POST.get("as_note"):
            services.article_use_reply(actor=request.user, ticket=ticket, use=use)  # type: ignore[arg-type]
    except Ticket.DoesNotExist:
        raise Http404(_("No such ticket.")) from None
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=422)
    return render(request, "service/kb/_ticket_uses.html",
                  {"ticket": ticket, "uses": selectors.article_uses_for_ticket(ticket_id=ticket.pk)})


@login_required
def kb_report(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("service.view_articleuse"):
        raise PermissionDenied
    form = ReportForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = selectors.uses_report(user=request.user, start=start, end=end)  # type: ignore[arg-type]
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kb-uses.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([_("Month"), _("Category"), _("Article"), _("Tickets")])
        for row in rows:
            title = row["article__title"]
            if title[:1] in "=+-@\t\r":
                title = "'" + title
            writer.writerow([row["month"].strftime("%Y-%m"), row["article__category__name"] or "", title,
                             row["tickets"]])
        return response
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "service/kb/report.html", {"form": form, "page": page})
