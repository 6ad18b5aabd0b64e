"""Ownership transfers: one customer from its page, many from the list (with confirmation), "staff member leaves"."""

from __future__ import annotations

from django.urls import reverse

from kehu.customers.models import Customer, OwnershipTransfer

from .helpers import field_errors, page_text

BULK = reverse("customers:bulk_transfer")
LEAVES = reverse("customers:staff_leaves")


def test_single_transfer(client, users, org, make_customer):
    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["branch_manager"])
    detail = client.get(reverse("customers:detail", args=[customer.pk]))
    assert reverse("customers:transfer", args=[customer.pk]) in detail.content.decode()
    response = client.post(reverse("customers:transfer", args=[customer.pk]),
                           {"new_owner": users["other_account_manager"].pk, "new_branch": org["sh2"].pk,
                            "reason": "客户经理岗位调整"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.owner, customer.branch, customer.version) == (users["other_account_manager"], org["sh2"], 2)
    transfer = OwnershipTransfer.objects.get()
    assert (transfer.from_owner, transfer.to_owner, transfer.reason, transfer.transferred_by) == (
        users["account_manager"], users["other_account_manager"], "客户经理岗位调整", users["branch_manager"])
    text = page_text(client.get(reverse("customers:detail", args=[customer.pk])))
    assert "客户经理岗位调整" in text


def test_single_transfer_needs_a_reason(client, users, make_customer):
    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["branch_manager"])
    response = client.post(reverse("customers:transfer", args=[customer.pk]),
                           {"new_owner": users["other_account_manager"].pk, "reason": ""})
    assert response.status_code == 200
    assert field_errors(response.content, "reason")
    customer.refresh_from_db()
    assert customer.owner == users["account_manager"]
    assert not OwnershipTransfer.objects.exists()


def test_single_transfer_refused(client, users, org, make_customer):
    own = make_customer("张三", owner=users["account_manager"])
    beijing = make_customer("北京客户", branch=org["bj1"], owner=users["bj_account_manager"])
    client.force_login(users["account_manager"])  # no transfer permission
    response = client.post(reverse("customers:transfer", args=[own.pk]),
                           {"new_owner": users["other_account_manager"].pk, "reason": "想转"})
    assert response.status_code == 403
    detail = page_text(client.get(reverse("customers:detail", args=[own.pk])))
    assert reverse("customers:transfer", args=[own.pk]) not in detail
    client.force_login(users["branch_manager"])  # out of the East region
    response = client.post(reverse("customers:transfer", args=[beijing.pk]),
                           {"new_owner": users["account_manager"].pk, "reason": "转到上海"})
    assert response.status_code == 404
    assert Customer.objects.get(pk=beijing.pk).owner == users["bj_account_manager"]
    assert Customer.objects.get(pk=own.pk).owner == users["account_manager"]


def test_bulk_transfer_asks_for_confirmation_first(client, users, org, make_customer):
    first = make_customer("张三", owner=users["account_manager"])
    second = make_customer("李四", owner=users["account_manager"])
    beijing = make_customer("北京客户", branch=org["bj1"], owner=users["bj_account_manager"])
    untouched = make_customer("王五", owner=users["account_manager"])
    client.force_login(users["branch_manager"])
    ids = [first.pk, second.pk, beijing.pk]
    response = client.post(BULK, {"ids": ids})
    assert response.status_code == 200
    text = page_text(response)
    assert "张三" in text and "李四" in text and "北京客户" not in text
    assert response.context["left_out"] == 1 and response.context["total"] == 2
    assert not OwnershipTransfer.objects.exists()  # nothing moved before confirming

    response = client.post(BULK, {"ids": ids, "confirm": "1", "new_owner": users["other_account_manager"].pk,
                                  "reason": "客户经理离职"})
    assert response.status_code == 302
    assert set(Customer.objects.filter(owner=users["other_account_manager"]).values_list("name", flat=True)) == {
        "张三", "李四"}
    assert Customer.objects.get(pk=beijing.pk).owner == users["bj_account_manager"]
    assert Customer.objects.get(pk=untouched.pk).owner == users["account_manager"]
    transfers = OwnershipTransfer.objects.all()
    assert len(transfers) == 2 and len({t.batch for t in transfers}) == 1


def test_bulk_transfer_without_reason_changes_nothing(client, users, make_customer):
    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["administrator"])
    response = client.post(BULK, {"ids": [customer.pk], "confirm": "1", "new_owner": users["branch_manager"].pk})
    assert response.status_code == 200
    assert field_errors(response.content, "reason")
    assert Customer.objects.get(pk=customer.pk).owner == users["account_manager"]


def test_bulk_transfer_without_selection_or_permission(client, users, make_customer):
    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["administrator"])
    response = client.post(BULK, {})
    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    client.force_login(users["account_manager"])
    response = client.post(BULK, {"ids": [customer.pk], "confirm": "1", "new_owner": users["account_manager"].pk,
                                  "reason": "x"})
    assert response.status_code == 403
    assert not OwnershipTransfer.objects.exists()


def test_staff_member_leaves(client, users, org, make_customer):
    leaving = users["account_manager"]
    for name in ["张三", "李四", "王五"]:
        make_customer(name, owner=leaving)
    make_customer("赵六", owner=users["other_account_manager"])
    client.force_login(users["branch_manager"])
    page = client.get(LEAVES)
    assert set(page.context["form"].fields["from_owner"].queryset) == {leaving, users["other_account_manager"]}
    data = {"from_owner": leaving.pk, "new_owner": users["other_account_manager"].pk, "reason": "离职交接"}
    preview = client.post(LEAVES, data)
    assert preview.status_code == 200 and preview.context["count"] == 3
    assert Customer.objects.filter(owner=leaving).count() == 3  # not yet
    response = client.post(LEAVES, dict(data, confirm="1"))
    assert response.status_code == 302
    assert not Customer.objects.filter(owner=leaving).exists()
    assert Customer.objects.filter(owner=users["other_account_manager"]).count() == 4
    assert OwnershipTransfer.objects.filter(reason="离职交接").count() == 3


def test_staff_member_leaves_to_themselves_is_an_error(client, users, make_customer):
    make_customer("张三", owner=users["account_manager"])
    client.force_login(users["branch_manager"])
    response = client.post(LEAVES, {"from_owner": users["account_manager"].pk,
                                     "new_owner": users["account_manager"].pk, "reason": "x", "confirm": "1"})
    assert response.status_code == 200
    assert field_errors(response.content, "new_owner")
    assert not OwnershipTransfer.objects.exists()


def test_staff_leaves_page_needs_permission(client, users):
    client.force_login(users["service_agent"])
    assert client.get(LEAVES).status_code == 403
