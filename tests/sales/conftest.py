"""Fixtures of the sales tests: the shared API clients and customers, products, the default pipeline and
opportunities made through the service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.work.conftest import api_as, customers, today  # noqa: F401 - shared fixtures


@pytest.fixture
def products(db):
    from kehu.purchases.models import Product

    return {"sofa": Product.objects.create(sku="SOFA-1", name="沙发", list_price=Decimal("3000.00")),
            "desk": Product.objects.create(sku="DESK-1", name="书桌", list_price=Decimal("1200.00"))}


@pytest.fixture
def pipeline(db):
    """The default pipeline (from the data migration) and its stages by name."""
    from kehu.sales.opportunities.selectors import default_pipeline, pipeline_stages

    default = default_pipeline()
    return {"pipeline": default, **{stage.name: stage for stage in pipeline_stages(default.pk)}}


@pytest.fixture
def make_opportunity(users, customers, products, today):  # noqa: F811 - the imported fixtures
    from kehu.sales.opportunities.services import opportunity_create

    def make(who: str = "account_manager", *, customer: str | None = "mine", lines=None, close_in: int = 10,
             **extra):
        actor = users[who]
        return opportunity_create(
            actor=actor, name=extra.pop("name", "年度采购"), customer=customers[customer] if customer else None,
            expected_close=extra.pop("expected_close", today + dt.timedelta(days=close_in)),
            lines=lines if lines is not None else [{"product": products["sofa"].pk, "quantity": 2}], **extra)

    return make
