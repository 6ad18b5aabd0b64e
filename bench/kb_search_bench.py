"""Benchmark of the knowledge base's Chinese full-text search (issue 15 item 4).

Run: ``.venv/bin/python bench/kb_search_bench.py [--articles 10000] [--queries 200] [--only sqlite]``

For SQLite (a file under ``var/bench``) and PostgreSQL (database ``kehu_bench_kb``, dropped and made again), each in
its own process: ``--articles`` generated Chinese articles (``service.kb.demo.generate_articles``: the topics with
variants and mixed paragraphs) published in bulk and indexed, then ``--queries`` searches (words, phrases, single
characters, two-word queries and misses) measured three ways:

1. the raw FTS query floor: the index alone (FTS5 ``MATCH`` ordered by ``bm25`` / ``tsvector @@`` ordered by
   ``ts_rank`` of the inline ranking document, the GIN index as ``kb.search`` makes the planner use it), first
   20 ids);
2. ``selectors.article_search`` as an agent of one branch (scope, fallback to any word, rows and snippets);
3. ``GET /api/knowledge/search?q=`` through Django's test client with a token (the whole request).

p50/p99 in milliseconds. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from common import percentile, recreate_postgres_database  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "kehu_bench_kb"
SQLITE_FILE = ROOT / "var" / "bench" / "kb.sqlite3"
QUERIES = ["退款", "申请退款", "会员卡", "挂失", "会员卡挂失", "积分", "积分到期", "营业时间", "投诉", "投诉处理",
           "发票", "电子发票", "配送", "安装", "停车", "自提", "换货", "保修", "分期", "支付失败", "退", "卡",
           "退款 发票", "会员 积分", "服务态度", "质量问题", "媒体", "生日礼", "差价", "身份证", "不存在的词语",
           "vip", "顾客签收后七天内可申请无理由退款"]


def milliseconds(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):7.2f} ms, p99 {1000 * percentile(values, 0.99):7.2f} ms "
            f"({len(values)} queries)")


def ensure_postgres_database() -> bool:
    return recreate_postgres_database(PG_SERVER, PG_DATABASE)


def measure(articles: int, queries: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from kehu.org.models import Branch
    from kehu.org.services import api_token_create, branch_create, staff_create
    from kehu.service.kb import search, selectors
    from kehu.service.kb.demo import bulk_publish, generate_articles
    from kehu.service.kb.segment import query_tokens

    print(f"== {connection.vendor}", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    branch = Branch.objects.filter(code="KB1").first() or branch_create(code="KB1", name="知识库门店", kind="store")
    agent = staff_create(username="kb_bench_agent", password="Kehu-bench-pass-1", roles=["service_agent"],
                         branches=[branch])
    rng = random.Random(15)
    started = time.perf_counter()
    for offset in range(0, articles, 2000):
        bulk_publish(rows=generate_articles(min(2000, articles - offset), rng), author=agent, now=timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"  written and indexed: {articles:,} articles in {time.perf_counter() - started:.1f} s", flush=True)
    picks = [rng.choice(QUERIES) for _ in range(queries)]

    def timed(call) -> list[float]:
        call(picks[0])  # warm
        spent = []
        for query in picks:
            begun = time.perf_counter()
            call(query)
            spent.append(time.perf_counter() - begun)
        return spent

    def raw(query: str) -> list:
        tokens = query_tokens(query)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET enable_seqscan = off")  # as kb.search does (SET LOCAL there)
                cursor.execute(f"SELECT article_id FROM {search.TABLE}, to_tsquery('simple', %s) q "
                               "WHERE document @@ q ORDER BY ts_rank(rank_document, q) DESC LIMIT 20",
                               [search._match(tokens, any_word=False)])
                rows = cursor.fetchall()
                cursor.execute("RESET enable_seqscan")
                return rows
            else:
                cursor.execute(f"SELECT rowid FROM {search.TABLE} WHERE {search.TABLE} MATCH %s "
                               f"ORDER BY bm25({search.TABLE}, 10.0, 1.0) LIMIT 20",
                               [search._match(tokens, any_word=False)])
            return cursor.fetchall()

    hits = [len(selectors.article_search(user=agent, query=query)[0]) for query in QUERIES]
    print(f"  queries with results: {sum(1 for count in hits if count)} of {len(QUERIES)} distinct", flush=True)
    print(f"  raw FTS query floor (first 20 ids):      {milliseconds(timed(raw))}", flush=True)
    print(f"  selectors.article_search (agent, 20):    "
          f"{milliseconds(timed(lambda q: selectors.article_search(user=agent, query=q)))}", flush=True)
    _token, key = api_token_create(user=agent, name="kb bench")
    api = Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "zh-hans"})

    def get(query: str) -> None:
        response = api.get("/api/knowledge/search", {"q": query})
        assert response.status_code == 200, response.content[:300]

    print(f"  GET /api/knowledge/search?q= (20):        {milliseconds(timed(get))}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--run", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)  # the child process
    options = parser.parse_args(argv)
    if options.run:
        measure(options.articles, options.queries)
        return 0
    status = 0
    for vendor in ("sqlite", "postgresql"):
        if options.only and vendor != options.only:
            continue
        if vendor == "sqlite":
            SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{SQLITE_FILE}"
        else:
            if not ensure_postgres_database():
                continue
            url = f"{PG_SERVER}/{PG_DATABASE}"
        env = {**os.environ, "KEHU_DATABASE_URL": url, "KEHU_DEBUG": "0", "KEHU_TESTING": "",
               "KEHU_SECRET_KEY": secrets.token_urlsafe(40), "KEHU_ALLOWED_HOSTS": "testserver",
               "KEHU_VAR_DIR": str(ROOT / "var"), "DJANGO_SETTINGS_MODULE": "kehu.settings",
               "KEHU_PROCESS_KIND": "job"}
        arguments = [sys.executable, __file__, "--run", vendor, "--articles", str(options.articles),
                     "--queries", str(options.queries)]
        status |= subprocess.run(arguments, env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
