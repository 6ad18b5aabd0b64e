"""The suite runs in any order and in several processes (``make test``: pytest-xdist and pytest-randomly): what one
test leaves behind must not reach another (see tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.conftest import redis_test_db


@pytest.mark.parametrize(("worker", "database"), [(None, 15), ("gw0", 15), ("gw1", 14), ("gw7", 8), ("gw8", 15)])
def test_each_xdist_worker_has_a_redis_database_of_its_own(monkeypatch, worker, database):
    if worker is None:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    else:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert redis_test_db() == database


def _migrated_state() -> tuple[dict[str, set[str]], list[tuple]]:
    from django.contrib.auth.models import Group

    from kehu.scoring.models import ScoringConfiguration, TierScheme

    groups = {group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
              for group in Group.objects.prefetch_related("permissions__content_type")}
    schemes = list(TierScheme.objects.order_by("name").values_list("name", "kind", "is_primary", "is_active",
                                                                    "position", "slot"))
    assert ScoringConfiguration.objects.exists()
    return groups, schemes


@pytest.mark.django_db(transaction=True)
def test_a_transactional_tests_flush_leaves_the_database_as_migrate_made_it(make_customer):
    before = _migrated_state()
    assert before[0] and before[1]
    make_customer("冲洗前")

    call_command("flush", interactive=False, verbosity=0)  # what pytest-django does after a transactional test

    assert _migrated_state() == before


def _power(base: int, exponent: int) -> int:
    return base**exponent


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_redis_worker_leaves_the_projects_celery_app_current(redis_worker):
    from celery import _state, current_app

    from kehu.celery import app

    before = (_state.get_current_app(), _state.default_app)
    assert redis_worker(_power, "tests.power", args=(2, 10), timeout=60) == 1024
    assert (_state.get_current_app(), _state.default_app) == before
    assert current_app.main == app.main


@pytest.mark.django_db
def test_a_recorded_load_replayed_leaves_what_the_load_left(make_customer, users):
    """``tests.db_snapshot`` (the demo tests' shared demo): a load that adds rows, changes one and deletes one,
    replayed on the database it started from, leaves every table as the load did; on another database the load runs
    again."""
    from django.db import transaction

    from kehu.customers.models import Customer
    from tests import db_snapshot

    make_customer("甲")
    gone = make_customer("乙")
    runs = []

    def load():
        runs.append(1)
        make_customer("丙", mobile="13800138000")
        Customer.objects.filter(name="甲").update(name="甲改")
        Customer.objects.filter(pk=gone.pk).delete()
        return "loaded"

    key = object()
    with transaction.atomic():
        assert db_snapshot.replay_or_record(key, load) == "loaded"
        after = db_snapshot.capture()
        transaction.set_rollback(True)
    with transaction.atomic():
        assert db_snapshot.replay_or_record(key, load) == "loaded" and len(runs) == 1
        assert db_snapshot.capture() == after
        transaction.set_rollback(True)
    make_customer("丁")  # not the database the load started from: it runs again
    assert db_snapshot.replay_or_record(key, load) == "loaded" and len(runs) == 2
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["丁", "丙", "甲改"]
