"""Only staff who may own customers (org.roles.OWNER_ROLES) can be named as a customer's account manager."""

from __future__ import annotations


def test_the_api_refuses_an_owner_who_may_not_own_customers(api_as, users, make_customer):
    from kehu.customers.models import Customer

    customer = make_customer("张三", owner=users["account_manager"])
    client = api_as("branch_manager")
    refused = client.post("/api/customers/transfer", {"customer_ids": [customer.pk],
                                                     "new_owner_id": users["service_agent"].pk, "reason": "x"})
    assert refused.status_code in (400, 404, 422)
    assert Customer.objects.get(pk=customer.pk).owner == users["account_manager"]
    given = client.post("/api/customers/transfer", {"customer_ids": [customer.pk],
                                                   "new_owner_id": users["other_account_manager"].pk, "reason": "x"})
    assert given.status_code == 200, given.content
