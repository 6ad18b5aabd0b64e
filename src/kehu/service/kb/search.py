"""The knowledge base's full-text index: one row per published article in ``service_kb_search`` (made by the
migration ``0002_kb``): on SQLite an FTS5 table (``rowid`` = article id, columns title and body, ranked by
``bm25`` with the title ten times the body), on PostgreSQL a table of ``tsvector`` (``simple`` configuration, the
title weighted A and the body B, a GIN index; ranked by ``ts_rank`` over ``rank_document``, the title and the first
``RANK_CHARS`` of the body kept inline in the row: ranking the full document read every match's TOASTed tsvector,
and the planner, not counting that, scanned the table rather than the index — 10,000 articles, a word matching 1,700:
205 ms, now a bitmap scan of the GIN index and a rank of small inline vectors). The documents are the segmented tokens
of ``segment.document_tokens``; ``index_article`` is called by the services when a version is published or the
article archived. A query matches all its words; when none does it falls back to any word, ranked."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from .segment import query_tokens

TABLE = "service_kb_search"
TITLE_WEIGHT = 10.0
RANK_CHARS = 1000  # of the segmented body in the PostgreSQL ranking document (migration 0008 used the same)
_PG_DOCUMENTS = ("setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B'), "
                 "setweight(to_tsvector('simple', %s), 'A') || "
                 f"setweight(to_tsvector('simple', left(%s, {RANK_CHARS})), 'B')")


def _pg() -> bool:
    return connection.vendor == "postgresql"


def index_article(*, article_id: int, search_title: str = "", search_body: str = "", published: bool) -> None:
    """Put the article's published version in the index (or take the article out of it)."""
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(f"DELETE FROM {TABLE} WHERE article_id = %s", [article_id])
            if published:
                cursor.execute(
                    f"INSERT INTO {TABLE} (article_id, document, rank_document) VALUES (%s, {_PG_DOCUMENTS})",
                    [article_id, search_title, search_body, search_title, search_body],
                )
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid = %s", [article_id])
            if published:
                cursor.execute(
                    f"INSERT INTO {TABLE} (rowid, title, body) VALUES (%s, %s, %s)",
                    [article_id, search_title, search_body],
                )


def index_many(rows: Iterable[tuple[int, str, str]]) -> None:
    """Bulk (demo, bench): ``(article_id, search_title, search_body)`` of published articles not yet indexed."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cursor:
        if _pg():
            cursor.executemany(
                f"INSERT INTO {TABLE} (article_id, document, rank_document) VALUES (%s, {_PG_DOCUMENTS})",
                [(pk, title, body, title, body) for pk, title, body in rows],
            )
        else:
            cursor.executemany(f"INSERT INTO {TABLE} (rowid, title, body) VALUES (%s, %s, %s)", rows)


def _match(tokens: list[str], *, any_word: bool) -> str:
    if _pg():
        # tokens are word characters only (segment._TOKEN); quoted as lexemes all the same
        return (" | " if any_word else " & ").join("'" + token.replace("'", "") + "'" for token in tokens)
    return (" OR " if any_word else " ").join('"' + token.replace('"', "") + '"' for token in tokens)


def _scope_sql(branch_ids: list[int] | None, category_ids: list[int] | None) -> tuple[str, list]:
    sql, params = "", []
    if branch_ids is not None:
        if branch_ids:
            sql += f" AND (a.branch_id IS NULL OR a.branch_id IN ({', '.join(['%s'] * len(branch_ids))}))"
            params += list(branch_ids)
        else:
            sql += " AND a.branch_id IS NULL"
    if category_ids is not None:
        if not category_ids:
            return " AND 1 = 0", []
        sql += f" AND a.category_id IN ({', '.join(['%s'] * len(category_ids))})"
        params += list(category_ids)
    return sql, params


def _run(tokens: list[str], *, any_word: bool, branch_ids, category_ids, limit: int, offset: int) -> list[int]:
    match = _match(tokens, any_word=any_word)
    scope, params = _scope_sql(branch_ids, category_ids)
    if _pg():
        sql = (
            f"SELECT s.article_id FROM {TABLE} s, to_tsquery('simple', %s) q, service_article a "
            f"WHERE s.document @@ q AND a.id = s.article_id AND a.status = 'published'{scope} "
            "ORDER BY ts_rank(s.rank_document, q) DESC, s.article_id DESC LIMIT %s OFFSET %s"
        )
        # the planner prices a sequential scan's @@ on every TOASTed document as cheap as the GIN index; in this
        # transaction only, it may not choose it
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(sql, [match, *params, limit, offset])
            return [row[0] for row in cursor.fetchall()]
    else:
        sql = (
            f"SELECT s.rowid FROM {TABLE} s JOIN service_article a ON a.id = s.rowid "
            f"WHERE {TABLE} MATCH %s AND a.status = 'published'{scope} "
            f"ORDER BY bm25({TABLE}, {TITLE_WEIGHT}, 1.0), s.rowid DESC LIMIT %s OFFSET %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


def search_ids(
    query: str,
    *,
    branch_ids: list[int] | None = None,
    category_ids: list[int] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[int], bool]:
    """Article ids best first, and whether the all-words match failed and any word was used instead.
    ``branch_ids`` ``None``: every branch's articles; else the group-wide ones and those of these branches."""
    tokens = query_tokens(query)
    if not tokens:
        return [], False
    ids = _run(tokens, any_word=False, branch_ids=branch_ids, category_ids=category_ids, limit=limit, offset=offset)
    if ids or len(tokens) == 1:
        return ids, False
    if offset and _run(tokens, any_word=False, branch_ids=branch_ids, category_ids=category_ids, limit=1, offset=0):
        return ids, False  # past the last page of an all-words match
    return _run(tokens, any_word=True, branch_ids=branch_ids, category_ids=category_ids, limit=limit,
                offset=offset), True
