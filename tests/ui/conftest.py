"""Fixtures for the staff UI tests (Django test client)."""

from __future__ import annotations

import pytest

from .helpers import form_data


@pytest.fixture
def edit_data(users):
    """POST data of the edit form of a customer as it is now, with ``changes`` applied."""
    from kehu.customers.forms import CustomerForm
    from kehu.customers.models import Customer

    def build(customer, **changes):
        customer = Customer.objects.select_related("person", "organisation").get(pk=customer.pk)
        form = CustomerForm(user=users["administrator"], kind=customer.kind, instance=customer)
        data = form_data(form)
        data.update({key: str(value) for key, value in changes.items()})
        return data

    return build
