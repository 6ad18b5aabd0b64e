"""Benchmark of the call-centre screen pop (``GET /api/customers/lookup?phone=…`` over HTTP) and of the customer search.

Run: ``.venv/bin/python bench/search_bench.py [--customers 1000000] [--lookups 1000] [--searches 200]``

On PostgreSQL (database ``kehu_bench_imports``, shared with ``bench/import_bench.py``, never the development or test
databases) holding ``--customers`` generated customers (loaded with ``kehu import`` when the table has fewer):

1. lookup by phone through HTTP: the application served by ``kehu serve`` (gunicorn, its default workers) in a
   subprocess, an API token of an administrator created in the bench database; p50/p99 latency for one client
   (a new connection per request, as a softphone integration makes them), then the throughput of 8 concurrent
   clients; beside the same lookup as raw SQL on an open connection (the floor);
2. the customer list search (``customers.selectors.customer_list``: what the list page and the API run) by pinyin
   initials (``zs``), by the last 4 digits of a mobile, by full pinyin prefix and by a Chinese name prefix: p50/p99 of
   the count and the first page of 25, in process. The count is the one the list page and the API make: capped at
   ``KEHU_LIST_COUNT_CAP`` (1,000) matches (``kehu.core.pagination.count_up_to``); ``--exact-count`` measures a full
   ``COUNT`` instead, for comparison.

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))

from import_bench import PG_DATABASE, PG_SERVER, customer_file, ensure_postgres_database  # noqa: E402

URL = f"{PG_SERVER}/{PG_DATABASE}"


from common import percentile  # noqa: E402


def milliseconds(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):.2f} ms, p99 {1000 * percentile(values, 0.99):.2f} ms "
            f"({len(values)} requests)")


def environment() -> dict[str, str]:
    return {**os.environ, "KEHU_DATABASE_URL": URL, "KEHU_DEBUG": "0", "KEHU_VAR_DIR": str(ROOT / "var"),
            "KEHU_SECRET_KEY": secrets.token_urlsafe(40), "KEHU_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "kehu.settings"}


def setup(customers: int) -> tuple[str, list[str]]:
    """Migrate, load customers if there are fewer, create a token; returns the key and sample mobiles."""
    os.environ.update({key: value for key, value in environment().items()
                       if key in {"KEHU_DATABASE_URL", "KEHU_VAR_DIR", "KEHU_SECRET_KEY", "DJANGO_SETTINGS_MODULE"}})
    os.environ["KEHU_DEBUG"] = "1"
    import django

    django.setup()
    import generate
    from django.core.management import call_command

    from kehu.customers.models import Customer
    from kehu.org.models import User
    from kehu.org.services import api_token_create, staff_create

    call_command("migrate", verbosity=0, interactive=False)
    generate.ensure_bench_branches()
    stored = Customer.objects.count()
    if stored < customers:
        print(f"loading {customers:,} customers with kehu import (the table has {stored:,}) …", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "kehu.cli", "import", "customers", str(customer_file(customers)),
                                 "--mode", "skip-bad", "--key", "code", "--no-progress"],
                                env={**environment(), "KEHU_DEBUG": "1"}, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(result.stderr[-3000:])
        print(f"  {result.stdout.strip().splitlines()[-1]} in {time.perf_counter() - started:.0f} s", flush=True)
    admin = User.objects.filter(username="bench_admin").first() or staff_create(
        username="bench_admin", password=secrets.token_urlsafe(16), roles=["administrator"])
    _token, key = api_token_create(user=admin, name="search bench")
    rng = random.Random(7)
    ids = list(Customer.objects.order_by().values_list("id", flat=True)[:: max(1, Customer.objects.count() // 5000)])
    sample = rng.sample(ids, min(len(ids), 2000))
    mobiles = [mobile for mobile in Customer.objects.filter(pk__in=sample).values_list("mobile", flat=True) if mobile]
    return key, mobiles


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-m", "kehu.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--no-migrate"], env=environment(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not start")


def lookup(port: int, key: str, mobile: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/api/customers/lookup?phone={quote(mobile)}",
                       headers={"Authorization": f"Bearer {key}", "Accept-Language": "zh-hans"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"lookup answered {response.status}: {body[:300]!r}")
    return elapsed


def http_figures(key: str, mobiles: list[str], lookups: int) -> None:
    port = free_port()
    server = start_server(port)
    try:
        for mobile in mobiles[:20]:  # warm up every worker
            lookup(port, key, mobile)
        one = [lookup(port, key, mobiles[index % len(mobiles)]) for index in range(lookups)]
        print(f"lookup by phone over HTTP, one client: {milliseconds(one)}")
        per_client = max(lookups // 8, 50)
        results: list[float] = []
        lock = threading.Lock()

        def client(offset: int) -> None:
            mine = [lookup(port, key, mobiles[(offset * 997 + index) % len(mobiles)]) for index in range(per_client)]
            with lock:
                results.extend(mine)

        threads = [threading.Thread(target=client, args=(number,)) for number in range(8)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        print(f"lookup by phone over HTTP, 8 concurrent clients: {len(results) / wall:,.0f} requests/s; "
              f"{milliseconds(results)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def raw_sql_figures(mobiles: list[str], lookups: int) -> None:
    import psycopg

    with psycopg.connect(URL.replace("postgres://", "postgresql://", 1)) as connection:
        timings = []
        for index in range(lookups):
            started = time.perf_counter()
            connection.execute("SELECT id, code, name FROM customers_customer WHERE mobile = %s OR phone = %s",
                               [mobiles[index % len(mobiles)]] * 2, prepare=True).fetchall()
            timings.append(time.perf_counter() - started)
    print(f"the same lookup as raw SQL on an open connection: {milliseconds(timings)}")


def search_figures(searches: int, exact_count: bool = False) -> None:
    from django.db import reset_queries

    from kehu.core.pagination import CappedPaginator, count_cap
    from kehu.customers.models import Customer
    from kehu.customers.selectors import CustomerFilters, customer_list, customer_list_few
    from kehu.org.models import User

    admin = User.objects.get(username="bench_admin")
    rng = random.Random(11)
    ids = list(Customer.objects.order_by().values_list("id", flat=True)[:: max(1, Customer.objects.count() // 3000)])
    rows = list(Customer.objects.filter(pk__in=rng.sample(ids, min(len(ids), 1000)))
                .values_list("name", "name_initials", "name_pinyin", "mobile_last4"))
    kinds = {
        "pinyin initials (zs)": [initials[:2] for _name, initials, _pinyin, _last4 in rows if len(initials) >= 2],
        "mobile last 4 digits": [last4 for *_rest, last4 in rows if last4],
        "full pinyin prefix (zhangsan)": [pinyin[:8] for _name, _initials, pinyin, _last4 in rows if pinyin],
        "Chinese name prefix (张三)": [name[:2] for name, *_rest in rows],
    }
    for label, queries in kinds.items():
        timings = []
        for query in (queries * (searches // max(len(queries), 1) + 1))[:searches]:
            started = time.perf_counter()
            customers = customer_list(user=admin, filters=CustomerFilters(query=query))
            if exact_count:
                customers.count()
                list(customers[:25])
            else:  # as the list page does: the capped count, then the page (in the few-rows order when it is exact)
                page = CappedPaginator(customers, 25, few_rows_order=customer_list_few).get_page(1)
                list(page.object_list)
            timings.append(time.perf_counter() - started)
            reset_queries()
        counted = "exact count" if exact_count else f"count (capped at {count_cap():,})"
        print(f"search by {label}: {counted} + first page of 25: {milliseconds(timings)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--exact-count", action="store_true",
                        help="count every match of a search, as the list did before counts were capped")
    parser.add_argument("--only", choices=["lookup", "search"],
                        help="measure only the HTTP lookup (with its raw SQL floor) or only the search")
    options = parser.parse_args(argv)
    if not ensure_postgres_database():
        print("PostgreSQL is not available: nothing to measure")
        return 0
    key, mobiles = setup(options.customers)
    from kehu.customers.models import Customer

    print(f"search benchmark on PostgreSQL: {Customer.objects.count():,} customers; {os.cpu_count()} CPU cores")
    if options.only != "search":
        raw_sql_figures(mobiles, options.lookups)
        http_figures(key, mobiles, options.lookups)
    if options.only != "lookup":
        search_figures(options.searches, exact_count=options.exact_count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
