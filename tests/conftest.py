"""Shared fixtures: a small organisation (group → 2 regions → 3 stores), one user per role, customers."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KEHU_TESTING", "1")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (e.g. the customer list's tier choices of an earlier test's data)."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["ratelimit"].clear()  # the API's rate-limit counts (always in memory under the tests)
    yield


@pytest.fixture
def org(db):
    """Branches: group HQ; region East with stores SH1, SH2; region North with store BJ1."""
    from kehu.org.services import branch_create

    hq = branch_create(code="HQ", name="集团总部", kind="group")
    east = branch_create(code="EAST", name="华东大区", kind="region", parent=hq)
    north = branch_create(code="NORTH", name="华北大区", kind="region", parent=hq)
    sh1 = branch_create(code="SH1", name="上海一店", parent=east)
    sh2 = branch_create(code="SH2", name="上海二店", parent=east)
    bj1 = branch_create(code="BJ1", name="北京一店", parent=north)
    return {"hq": hq, "east": east, "north": north, "sh1": sh1, "sh2": sh2, "bj1": bj1}


def ensure_roles() -> None:
    """The role groups from every app's grants (a transactional test's flush removed them): the same idempotent sync
    that runs after migrate."""
    from kehu.org.services import sync_roles

    sync_roles()


@pytest.fixture
def make_user(db):
    from kehu.org.services import staff_create

    ensure_roles()

    counter = {"n": 0}

    def make(role: str, *branches, username: str | None = None):
        counter["n"] += 1
        return staff_create(
            username=username or f"{role}{counter['n']}", password="Kehu-test-pass-1", roles=[role],
            branches=list(branches), display_name=f"{role} {counter['n']}",
        )

    return make


@pytest.fixture
def users(org, make_user):
    """One user per role. Branch-bound roles belong to store SH1 (region East); the region manager to East."""
    sh1 = org["sh1"]
    return {
        "administrator": make_user("administrator", org["hq"], username="admin1"),
        "branch_manager": make_user("branch_manager", org["east"], username="manager1"),
        "account_manager": make_user("account_manager", sh1, username="am1"),
        "other_account_manager": make_user("account_manager", sh1, username="am2"),
        "service_agent": make_user("service_agent", sh1, username="agent1"),
        "marketer": make_user("marketer", sh1, username="marketer1"),
        "credit_officer": make_user("credit_officer", sh1, username="credit1"),
        "auditor": make_user("auditor", username="auditor1"),
        "bj_account_manager": make_user("account_manager", org["bj1"], username="bjam1"),
    }


@pytest.fixture
def make_customer(users, org):
    """Create a customer through the service, as the administrator unless told otherwise."""
    from kehu.customers.services import customer_create

    def make(name: str = "张三", *, branch=None, owner=None, kind: str = "person", actor=None, **fields):
        person = fields.pop("person", None)
        organisation = fields.pop("organisation", None)
        return customer_create(
            actor=actor or users["administrator"], kind=kind, name=name, branch=branch or org["sh1"], owner=owner,
            person=person, organisation=organisation, **fields,
        )

    return make


@pytest.fixture
def redis_worker():
    """Run a task body through a real Redis broker and Celery worker, as an application configured like production
    (``KEHU_REDIS_URL`` set) would: ``redis_worker(function, name, args=(), kwargs={}, db=15, **task_options)``
    returns the task's result. Skips the test when Redis does not answer on 127.0.0.1:6379."""
    import redis
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    def run(function, name: str, *, args: tuple = (), kwargs: dict | None = None, db: int = 15,
            timeout: float = 120, **task_options):
        url = f"redis://127.0.0.1:6379/{db}"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            pytest.skip("Redis does not answer on 127.0.0.1:6379")
        app = Celery(f"kehu-test-{db}", broker=url, backend=url)
        app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=False)
        task = app.task(name=name, **task_options)(function)
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            return task.delay(*args, **(kwargs or {})).get(timeout=timeout)

    return run
