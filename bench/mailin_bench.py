"""Benchmark of e-mail in: filing messages into tickets (``mail_ingest``) with many customers to match by e-mail.

Run: ``.venv/bin/python bench/mailin_bench.py [--customers 100000] [--messages 300]``

On PostgreSQL (database ``kehu_bench_mailin``, never the development or test databases), holding ``--customers``
customers with e-mail addresses (bulk-inserted when there are fewer), in process:

1. new messages, half from known customers' addresses (matched by ``Customer.email``) and half from unknown senders:
   p50/p99 per message and messages/s;
2. the same number of replies threaded by In-Reply-To;
3. the same messages again (duplicates by Message-ID);
4. the plan of the customer lookup by e-mail (``Customer.email`` has no index on main: see the report).

Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT / "src"))

from common import percentile  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "kehu_bench_mailin"


def report(label: str, values: list[float]) -> None:
    print(f"{label}: p50 {1000 * statistics.median(values):.2f} ms, p99 {1000 * percentile(values, 0.99):.2f} ms, "
          f"{len(values) / sum(values):.0f} messages/s ({len(values)} messages)", flush=True)


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True,
                         connect_timeout=3) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone():
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def mail(*, sender: str, subject: str, message_id: str, in_reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "bench-support@kehu.test", subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content("您好，我的订单有问题，请尽快处理。" * 5)
    return bytes(message)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=300)
    options = parser.parse_args()
    ensure_database()
    os.environ.update({"KEHU_DATABASE_URL": f"{PG_SERVER}/{PG_DATABASE}", "KEHU_DEBUG": "1",
                       "DJANGO_SETTINGS_MODULE": "kehu.settings", "KEHU_VAR_DIR": tempfile.mkdtemp()})
    import django

    django.setup()
    import generate
    from django.core.management import call_command
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.org.models import Branch
    from kehu.service.mailin.services import mail_ingest
    from kehu.service.models import ServiceTeam

    call_command("migrate", verbosity=0, interactive=False)
    codes = generate.ensure_bench_branches()
    branches = list(Branch.objects.filter(code__in=codes, kind="store").order_by("code")) or list(
        Branch.objects.filter(code__in=codes))
    have = Customer.objects.filter(code__startswith="MB").count()
    if have < options.customers:
        rows = [Customer(code=f"MB{i:09d}", name=f"邮件客户{i}", email=f"c{i}@bench.example.cn",
                         branch=branches[i % len(branches)]) for i in range(have, options.customers)]
        Customer.objects.bulk_create(rows, batch_size=5000)
    team = ServiceTeam.objects.filter(email="bench-support@kehu.test").first() or ServiceTeam.objects.create(
        name="bench", branch=branches[0], email="bench-support@kehu.test")
    print(f"customers: {Customer.objects.count()}, team {team.pk}, database PostgreSQL", flush=True)
    run = f"{time.time():.0f}"
    raws, ids = [], []
    for i in range(options.messages):
        sender = f"c{(i * 7919) % options.customers}@bench.example.cn" if i % 2 == 0 else f"new{i}@elsewhere.cn"
        ids.append(f"<{run}.{i}@bench>")
        raws.append(mail(sender=sender, subject=f"订单问题 {i}", message_id=ids[-1]))
    times = []
    for raw in raws:
        started = time.perf_counter()
        mail_ingest(raw=raw, mailbox="bench")
        times.append(time.perf_counter() - started)
    report("new tickets", times)
    times = []
    for i, parent in enumerate(ids):
        raw = mail(sender="c1@bench.example.cn", subject="Re", message_id=f"<{run}.r{i}@bench>", in_reply_to=parent)
        started = time.perf_counter()
        mail_ingest(raw=raw, mailbox="bench")
        times.append(time.perf_counter() - started)
    report("threaded replies", times)
    times = []
    for raw in raws:
        started = time.perf_counter()
        assert mail_ingest(raw=raw, mailbox="bench").duplicate
        times.append(time.perf_counter() - started)
    report("duplicates", times)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT id FROM customers_customer WHERE email = %s ORDER BY id LIMIT 20",
                       ["c5@bench.example.cn"])
        print("customer lookup by e-mail: " + " | ".join(row[0] for row in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
