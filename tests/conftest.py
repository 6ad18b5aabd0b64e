"""Shared fixtures: a small organisation (group → 2 regions → 3 stores), one user per role, customers.

The suite runs in any order and in several processes (``make test``: pytest-xdist ``--dist loadfile`` and
pytest-randomly): each xdist worker has its own test database (pytest-django adds ``_gw<n>`` to a PostgreSQL
database's name; SQLite's is in memory), its own media directory and its own Redis database (``redis_test_db``).
"""

from __future__ import annotations

import os

import pytest
from django.db.models.signals import post_migrate
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("KEHU_TESTING", "1")

# Hypothesis times each example against a deadline (200 ms): in a random order the first example of a test can pay
# for a first import or a cache filled, and on busy shared cores anything can take long. Timing is not what the
# property tests check.
hypothesis_settings.register_profile("kehu", deadline=None)
hypothesis_settings.load_profile("kehu")


def redis_test_db() -> int:
    """The Redis database of this test process: 15 in a plain run, 15 - n for xdist worker ``gw<n>`` (8 workers at
    most share none). Queues are named per test run as well (``redis_worker``), so two runs side by side (the SQLite
    and PostgreSQL suites, another checkout's) never take each other's tasks."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return 15 - index % 8


def pytest_collection_modifyitems(config, items) -> None:
    """Every collected test has a node id of its own.

    pytest 9.2 builds a parametrised item's id from its callspec, and schemathesis 4 makes one item per API operation
    without one: the 131 items of ``test_schemathesis.py`` all got the id ``…::test_no_server_error``. pytest-xdist
    keys its work queue by node id, so under ``make test`` only the first operation was ever run (2,079 of 2,209
    items reported, exit 0). The operation, already in the item's name, goes back into its id; any other duplicate
    stops the run instead of being silently skipped.
    """
    from collections import Counter

    counts = Counter(item.nodeid for item in items)
    for item in items:
        suffix = item.name[len(item.originalname):] if hasattr(item, "originalname") else ""
        if counts[item.nodeid] > 1 and suffix.startswith("[") and not item.nodeid.endswith(suffix):
            if hasattr(item, "_id") and hasattr(item._id, "with_params"):  # pytest >= 9.2: structured ids
                item._id = item.parent.id.child(item.originalname).with_params(suffix[1:-1])
            else:
                item._nodeid = item.nodeid + suffix
    duplicates = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if duplicates:
        raise pytest.UsageError(f"tests sharing a node id (pytest-xdist would run only one of each): {duplicates[:5]}")


def pytest_configure(config) -> None:
    """The xdist controller names the run (``--testrunuid``) itself, so that it can remove the run's database
    template at the end (``pytest_sessionfinish``)."""
    import uuid

    controller = getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
    if controller and not config.getoption("testrunuid", None):
        config.option.testrunuid = uuid.uuid4().hex


def pytest_sessionfinish(session) -> None:
    config = session.config
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from pytest_django.plugin import blocking_manager_key

        from tests.db_template import drop_templates

        with config.stash[blocking_manager_key].unblock():
            drop_templates(config.option.testrunuid)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """The test database: migrated once per run and copied to each xdist worker (``tests.db_template``); without
    xdist or with ``KEHU_TEST_MIGRATE_EACH=1``, migrated by this process as pytest-django does."""
    from django.test.utils import setup_databases, teardown_databases

    from tests.db_template import setup_from_template

    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        if run_id and os.environ.get("KEHU_TEST_MIGRATE_EACH") != "1":
            db_cfg = setup_from_template(run_id, verbosity)
        else:
            db_cfg = setup_databases(verbosity=verbosity, interactive=False, aliases={"default"},
                                     serialized_aliases=set())
    yield
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=verbosity)


def _restore_data_migrations(sender, using: str = "default", **kwargs) -> None:
    """After a transactional test's flush (which emits ``post_migrate``, as ``migrate`` does): the rows the scoring
    data migrations made (default tier schemes in their slots, the scoring configuration) come back, so that a test
    run after it sees the database a migrate leaves, whatever the order. The role groups come back by kehu.org's own
    ``post_migrate`` receiver. So do relations' standard evaluation template (客户关系评估表) and sales' default
    pipeline."""
    import importlib

    from django.apps import apps

    label = getattr(sender, "label", None)
    if label == "relations":
        from kehu.relations.evaluations.defaults import install

        install(apps.get_model("relations", "EvaluationTemplate"), apps.get_model("relations", "EvaluationIndicator"))
        return
    if label == "sales":
        from kehu.sales.models import Pipeline

        if not Pipeline.objects.using(using).exists():
            importlib.import_module("kehu.sales.migrations.0005_default_pipeline").create_defaults(apps, None)
        return
    if label != "scoring":
        return

    from kehu.scoring.models import TIER_SLOTS, TierScheme

    if TierScheme.objects.using(using).exists():
        return  # a migrate (the data is there), not a flush
    importlib.import_module("kehu.scoring.migrations.0002_default_schemes").create_defaults(apps, None)
    active = TierScheme.objects.using(using).filter(is_active=True).order_by("-is_primary", "position", "id")
    for slot, scheme in enumerate(active[:TIER_SLOTS], start=1):  # as migration 0003 gave them their slots
        TierScheme.objects.using(using).filter(pk=scheme.pk).update(slot=slot)


post_migrate.connect(_restore_data_migrations, dispatch_uid="kehu-tests-restore-data-migrations")


@pytest.fixture(scope="session", autouse=True)
def _media_root_per_process(tmp_path_factory):
    """Uploaded and generated files of this test process under a directory of its own (not ./var/media, shared by
    every xdist worker and the developer's demo)."""
    from django.conf import settings

    previous = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    yield
    settings.MEDIA_ROOT = previous


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (e.g. the customer list's tier choices of an earlier test's data), and
    leaves no content type cached by id (``tests.db_snapshot`` may have written a recording's content types)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache, caches

    cache.clear()
    caches["ratelimit"].clear()  # the API's rate-limit counts (always in memory under the tests)
    yield
    ContentType.objects.clear_cache()


def rolled_back_after(django_db_blocker, build):
    """For a module-scoped fixture (with ``django_db_setup``): ``yield from rolled_back_after(django_db_blocker,
    build)`` yields ``build()``, whose rows stay for the module's tests in a transaction rolled back after its last
    one. Each test runs in a savepoint inside it (pytest-django's ``db``), so what a test changes is gone for the
    next one. Not for transactional tests (their flush would empty it)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def org(db):
    """Branches: group HQ; region East with stores SH1, SH2; region North with store BJ1."""
    return build_org()


def build_org() -> dict:
    """The ``org`` fixture's branches (for a fixture of a wider scope)."""
    from kehu.org.services import branch_create

    hq = branch_create(code="HQ", name="集团总部", kind="group")
    east = branch_create(code="EAST", name="华东大区", kind="region", parent=hq)
    north = branch_create(code="NORTH", name="华北大区", kind="region", parent=hq)
    sh1 = branch_create(code="SH1", name="上海一店", parent=east)
    sh2 = branch_create(code="SH2", name="上海二店", parent=east)
    bj1 = branch_create(code="BJ1", name="北京一店", parent=north)
    return {"hq": hq, "east": east, "north": north, "sh1": sh1, "sh2": sh2, "bj1": bj1}


def ensure_roles() -> None:
    """The role groups from every app's grants, for a test that removed them itself (a flush brings them back on its
    own: see ``make_user``)."""
    from kehu.org.services import sync_roles

    sync_roles()


@pytest.fixture
def make_user(db):
    """Staff through the service; the role groups are there: made by migrate and, after a transactional test's flush,
    again by kehu.org's ``post_migrate`` receiver (``sync_roles``)."""
    return user_maker()


def user_maker():
    """The ``make_user`` fixture's function (for a fixture of a wider scope)."""
    from kehu.org.services import staff_create

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
    return build_users(org, make_user)


def build_users(org: dict, make_user) -> dict:
    """The ``users`` fixture's users (for a fixture of a wider scope)."""
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
    (``KEHU_REDIS_URL`` set) would: ``redis_worker(function, name, args=(), kwargs={}, timeout=120, **task_options)``
    returns the task's result. The broker is this process's Redis database (``redis_test_db``) and the queue a name
    of its own; the test's Celery app never stays the current or default app (the project's app is again afterwards).
    Skips the test when Redis does not answer on 127.0.0.1:6379."""
    import uuid

    import redis
    from celery import Celery
    from celery.contrib.testing.app import setup_default_app
    from celery.contrib.testing.worker import start_worker

    def run(function, name: str, *, args: tuple = (), kwargs: dict | None = None, db: int | None = None,
            timeout: float = 120, **task_options):
        url = f"redis://127.0.0.1:6379/{redis_test_db() if db is None else db}"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            pytest.skip("Redis does not answer on 127.0.0.1:6379")
        app = Celery(f"kehu-test-{uuid.uuid4().hex[:8]}", broker=url, backend=url, set_as_current=False)
        app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=False,
                        task_default_queue=app.main, result_expires=600)
        task = app.task(name=name, **task_options)(function)
        with setup_default_app(app), start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            return task.delay(*args, **(kwargs or {})).get(timeout=timeout)

    return run
