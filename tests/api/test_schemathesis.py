"""Schemathesis against ``/api/openapi.json``: no request generated from the API's own schema answers 500.

The schema is loaded from the running Django application through its WSGI entry point, and every generated request
goes through it as an administrator with a real token, with customers, contacts, consents and transactions present.
The run is small and derandomised (the same requests every time) so that it is reproducible and quick; raise
``KEHU_SCHEMATHESIS_EXAMPLES`` for a longer hunt.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kehu.wsgi import application

# under ``make test`` the fuzz runs on PostgreSQL only (see the Makefile); ``make test-sqlite`` alone runs it too
pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = int(os.environ.get("KEHU_SCHEMATHESIS_EXAMPLES", "15"))
# ``KEHU_SCHEMATHESIS_RANDOM=1`` draws new requests on each run instead of the same ones (for hunting, not for CI)
DERANDOMIZE = os.environ.get("KEHU_SCHEMATHESIS_RANDOM", "") != "1"

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
# NUL characters are generated too: the API must refuse them with a 4xx
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=DERANDOMIZE, allow_x00=True,
                                database="none")


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's database connection across WSGI requests, as Django's test client does: the handler's
    request_started/finished signals would otherwise close it in the middle of the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def _api_data(django_db_setup, django_db_blocker):
    """An administrator's token, with a few customers (person and organisation), a contact, consents and purchases:
    made once for the module's operations (one test each) and rolled back after the last; every operation's test
    runs in a savepoint inside, so what one request writes or deletes is gone for the next operation."""
    from tests.conftest import build_org, build_users, rolled_back_after, user_maker

    def build():
        from kehu.customers.services import consent_record, contact_create, customer_create
        from kehu.org.services import api_token_create
        from kehu.purchases.services import product_get_or_create, transaction_create

        org = build_org()
        users = build_users(org, user_maker())
        admin = users["administrator"]

        def make_customer(name, *, branch=None, **fields):
            return customer_create(actor=admin, kind=fields.pop("kind", "person"), name=name,
                                   branch=branch or org["sh1"], owner=fields.pop("owner", None),
                                   person=fields.pop("person", None), organisation=None, **fields)

        person = make_customer("张三", mobile="13800138000", person={"birth_date": dt.date(1980, 5, 1)})
        company = make_customer("上海某某有限公司", kind="organisation", branch=org["bj1"])
        make_customer("李四", owner=users["account_manager"])
        contact_create(customer=company, actor=admin, name="王五", mobile="13900139000")
        consent_record(customer=person, actor=admin, channel="sms", granted=True)
        product_get_or_create(sku="TEA-1", name="龙井茶")
        for number, customer in enumerate([person, company]):
            transaction_create(actor=admin, customer=customer, amount=Decimal("99.50"), external_ref=f"REF-{number}",
                               occurred_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC))
        _token, key = api_token_create(user=admin, name="schemathesis")
        ids = {"customer_id": [person.pk, company.pk],
               "contact_id": list(company.contacts.values_list("pk", flat=True)),
               "branch_id": [org["sh1"].pk, org["bj1"].pk], "owner_id": [users["account_manager"].pk],
               "new_owner_id": [users["other_account_manager"].pk]}
        return {"Authorization": f"Bearer {key}"}, ids

    yield from rolled_back_after(django_db_blocker, build)


@pytest.fixture
def admin_headers(_api_data, db, wsgi_in_test_transaction):
    return _api_data


def _with_real_ids(values: dict | None, ids: dict[str, list[int]]) -> None:
    """Random ids rarely name a row: swap every other generated id (the even ones, so the run stays reproducible)
    for one that exists, so that the operations' work past the lookup is exercised too."""
    if not isinstance(values, dict):
        return
    for name, choices in ids.items():
        value = values.get(name)
        if choices and isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            values[name] = choices[value // 2 % len(choices)]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error(case, admin_headers):
    headers, ids = admin_headers
    _with_real_ids(case.path_parameters, ids)
    _with_real_ids(case.body if isinstance(case.body, dict) else None, ids)
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
