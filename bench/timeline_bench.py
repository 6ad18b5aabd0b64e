"""Benchmark of a customer's timeline with 10,000 events of mixed kinds (issue 13 item 12).

Run: ``.venv/bin/python bench/timeline_bench.py [--events 10000] [--others 100000] [--requests 200] [--only sqlite]``

For SQLite (a file under ``var/bench/``) and PostgreSQL (database ``kehu_bench_timeline`` on 127.0.0.1, skipped when
not reachable), each in a process of its own: one customer with ``--events`` timeline rows written by the modules'
bulk paths (transactions, contacts, tasks; tier changes and lifecycle changes as the scoring run and the customer
services record them), and ``--others`` rows of 100 other customers around it. Then, in process through the whole
middleware stack (Django's test client, an API token), ``--requests`` requests of:

1. ``GET /api/customers/{id}/timeline`` (first page of 25, newest first, with its count);
2. the same with ``offset`` near the end (the deepest page) and with the keyset cursor ``before`` of that page;
3. the 360 page's timeline panel (``customers.timeline.timeline_panel_load``: the newest 20 and "more") and the
   whole 360 page ``/customers/{id}/`` as an administrator;

p50/p99 in milliseconds. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))

from common import percentile, recreate_postgres_database  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "kehu_bench_timeline"
SQLITE_FILE = ROOT / "var" / "bench" / "timeline.sqlite3"


def milliseconds(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):7.2f} ms, p99 {1000 * percentile(values, 0.99):7.2f} ms "
            f"({len(values)} requests)")


def ensure_postgres_database() -> bool:
    return recreate_postgres_database(PG_SERVER, PG_DATABASE)


def fill(events: int, others: int) -> tuple[int, object]:
    """Migrate and write the workload; returns the customer's id and the administrator."""
    from django.core.management import call_command
    from django.utils import timezone

    from kehu.customers.models import Activity, Customer
    from kehu.customers.timeline import activity_record_bulk
    from kehu.org.services import branch_create, staff_create
    from kehu.purchases.models import Transaction
    from kehu.purchases.services import transaction_bulk_create
    from kehu.relations.models import ContactRecord
    from kehu.relations.services import contact_bulk_create
    from kehu.work.models import Task
    from kehu.work.services import task_bulk_create

    call_command("migrate", verbosity=0, interactive=False)
    branch = branch_create(code="TL1", name="时间线门店")
    admin = staff_create(username="bench_timeline_admin", password="Kehu-bench-pass-1", roles=["administrator"],
                         branches=[branch])
    customers = Customer.objects.bulk_create([Customer(code=f"TL{index:06d}", name=f"时间线客户{index}", branch=branch,
                                                       owner=admin) for index in range(101)])
    rng = random.Random(11)
    now = timezone.now()

    def moment() -> dt.datetime:
        return now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))

    def write(customer_id: int, count: int) -> None:
        share = count // 5
        transaction_bulk_create(rows=[{"customer_id": customer_id, "occurred_at": moment(), "branch": branch,
                                       "amount": Decimal(rng.randrange(100, 100000)) / 100} for _ in range(share)])
        contact_bulk_create(records=[ContactRecord(customer_id=customer_id, branch=branch, staff=admin,
                                                   created_by=admin, channel=rng.choice(["phone", "visit", "sms"]),
                                                   occurred_at=moment(), summary="回访") for _ in range(share)])
        tasks = [Task(kind="call", title="电话回访", customer_id=customer_id, owner=admin, created_by=admin,
                      branch=branch, due_date=moment().date(), created_at=moment()) for _ in range(share)]
        task_bulk_create(tasks=tasks)
        activity_record_bulk({"customer_id": customer_id, "kind": "tier_change", "occurred_at": moment(),
                              "branch_id": branch.pk, "data": {"scheme": "价值分层", "old": "B", "new": "A"}}
                             for _ in range(share))
        activity_record_bulk({"customer_id": customer_id, "kind": "lifecycle", "occurred_at": moment(),
                              "branch_id": branch.pk, "actor_id": admin.pk,
                              "data": {"field": "lifecycle_status", "old": "prospect", "new": "current"}}
                             for _ in range(count - 4 * share))

    target = customers[0]
    started = time.perf_counter()
    write(target.pk, events)
    for other in customers[1:]:
        write(other.pk, others // 100)
    print(f"  written: {Activity.objects.count():,} timeline rows ({events:,} of the customer; "
          f"{Transaction.objects.count():,} transactions, {ContactRecord.objects.count():,} contacts, "
          f"{Task.objects.count():,} tasks) in {time.perf_counter() - started:.1f} s", flush=True)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return target.pk, admin


def measure(requests: int, events: int, others: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kehu.customers.timeline import timeline_panel_load
    from kehu.org.services import api_token_create

    print(f"== {connection.vendor}", flush=True)
    customer_id, admin = fill(events, others)
    _token, key = api_token_create(user=admin, name="timeline bench")  # type: ignore[arg-type]
    api = Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})
    page = Client(headers={"Accept-Language": "en"})
    page.force_login(admin)  # type: ignore[arg-type]
    url = f"/api/customers/{customer_id}/timeline"

    def timed(call) -> list[float]:
        call()  # warm
        spent = []
        for _ in range(requests):
            started = time.perf_counter()
            call()
            spent.append(time.perf_counter() - started)
        return spent

    def get_ok(client: Client, path: str, **query: object) -> dict:
        response = client.get(path, query)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return response.json() if response["Content-Type"].startswith("application/json") else {}

    first = get_ok(api, url)
    print(f"  API first page (limit 25, count {first['count']:,}):       "
          f"{milliseconds(timed(lambda: get_ok(api, url)))}")
    deep = max(0, first["count"] - 25)
    print(f"  API deepest page (offset {deep:,}):              "
          f"{milliseconds(timed(lambda: get_ok(api, url, offset=deep)))}")
    cursor = get_ok(api, url, offset=deep - 25)["next_before"]
    print(f"  API same depth by keyset (before=cursor):        "
          f"{milliseconds(timed(lambda: get_ok(api, url, before=cursor)))}")
    print(f"  360 timeline panel loader (newest 20):           "
          f"{milliseconds(timed(lambda: timeline_panel_load([customer_id], admin, full=True)))}")
    detail = f"/customers/{customer_id}/"
    print(f"  360 page /customers/{{id}}/ (all panels):          "
          f"{milliseconds(timed(lambda: get_ok(page, detail)))}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=100_000, help="rows of 100 other customers")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--run", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)  # the child process
    options = parser.parse_args(argv)
    if options.run:
        measure(options.requests, options.events, options.others)
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
        arguments = [sys.executable, __file__, "--run", vendor, "--events", str(options.events),
                     "--others", str(options.others), "--requests", str(options.requests)]
        status |= subprocess.run(arguments, env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
