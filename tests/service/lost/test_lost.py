"""Lost customers: marking lost (status through the customers service, win-back task, timeline), won back by the daily
check, the pages, the API and the lost-rate figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers.models import Activity, Customer
from kehu.service.lost.services import customer_mark_lost, lost_won_back_check
from kehu.service.lost.tasks import lost_won_back_task
from kehu.service.models import LostRecord
from kehu.work.models import Task

pytestmark = pytest.mark.django_db


def test_marking_lost_sets_the_status_creates_a_win_back_task_and_a_timeline_row(users, make_customer):
    owner = users["account_manager"]
    customer = make_customer("王芳", owner=owner)

    record = customer_mark_lost(actor=users["branch_manager"], customer=customer, reason="competitor",
                                details="转投别家银行")

    assert Customer.objects.get(pk=customer.pk).lifecycle_status == "lost"
    assert record.branch_id == customer.branch_id and record.marked_by == users["branch_manager"]
    task = Task.objects.get(customer=customer, kind="win_back")
    assert task.owner == owner and task.status == Task.Status.OPEN
    assert Activity.objects.filter(customer=customer, kind="lost").count() == 1


def test_marking_twice_or_with_a_bad_reason_is_refused(users, make_customer):
    from django.core.exceptions import PermissionDenied, ValidationError

    customer = make_customer("王芳")
    with pytest.raises(ValidationError):
        customer_mark_lost(actor=users["administrator"], customer=customer, reason="boredom")
    customer_mark_lost(actor=users["administrator"], customer=customer, reason="price")
    with pytest.raises(ValidationError):
        customer_mark_lost(actor=users["administrator"], customer=customer, reason="price")
    with pytest.raises(PermissionDenied):
        customer_mark_lost(actor=users["service_agent"], customer=make_customer("李雷"), reason="price")
    assert LostRecord.objects.count() == 1


def test_the_daily_check_wins_back_who_bought_again_or_is_current(users, make_customer):
    from kehu.customers.services import customer_update
    from kehu.purchases.models import Transaction

    buyer, revived, still = (make_customer(name) for name in ("甲", "乙", "丙"))
    for customer in (buyer, revived, still):
        customer_mark_lost(actor=users["administrator"], customer=customer, reason="price",
                           lost_at=timezone.now() - dt.timedelta(days=30))
    bought_at = timezone.now() - dt.timedelta(days=3)
    Transaction.objects.create(customer=buyer, branch=buyer.branch, occurred_at=bought_at, amount=Decimal("9.90"),
                               channel="store")
    customer_update(customer=Customer.objects.get(pk=revived.pk), actor=users["administrator"],
                    lifecycle_status="current")

    assert lost_won_back_task() == {"by_purchase": 1, "by_status": 1}

    assert LostRecord.objects.get(customer=buyer).won_back_at == bought_at
    assert LostRecord.objects.get(customer=revived).won_back_by == "status"
    assert LostRecord.objects.get(customer=still).won_back_at is None
    assert lost_won_back_check() == {"by_purchase": 0, "by_status": 0}


def test_the_360_page_has_the_panel_and_the_mark_lost_page_confirms(client, users, make_customer):
    customer = make_customer("王芳")
    client.force_login(users["branch_manager"])

    assert f"/service/lost/mark/{customer.pk}/" in client.get(f"/customers/{customer.pk}/").content.decode()
    assert client.get(f"/service/lost/mark/{customer.pk}/").status_code == 200
    assert not LostRecord.objects.exists()  # the GET only asks
    bad = client.post(f"/service/lost/mark/{customer.pk}/", {"reason": "=1+1", "details": ""})
    assert bad.status_code == 422
    response = client.post(f"/service/lost/mark/{customer.pk}/", {"reason": "moved", "details": "搬到外地"})
    assert response.status_code == 302
    assert LostRecord.objects.get(customer=customer).reason == "moved"
    assert "搬到外地" in client.get(f"/customers/{customer.pk}/").content.decode()
    listing = client.get("/service/lost/").content.decode()
    assert "王芳" in listing


def test_other_branches_cannot_mark_nor_list(client, users, make_customer):
    customer = make_customer("王芳")
    customer_mark_lost(actor=users["administrator"], customer=customer, reason="price")
    client.force_login(users["bj_account_manager"])

    assert client.get(f"/service/lost/mark/{customer.pk}/").status_code == 404
    assert "王芳" not in client.get("/service/lost/").content.decode()
    client.force_login(users["service_agent"])
    assert client.get(f"/service/lost/mark/{customer.pk}/").status_code == 403


def test_api_marks_lists_and_refuses_bad_input(api_as, users, make_customer):
    customer = make_customer("王芳")
    client = api_as("branch_manager")

    created = client.post("/api/lost-customers", {"customer_id": customer.pk, "reason": "service", "details": "投诉"})
    assert created.status_code == 201 and created.json()["reason"] == "service"
    assert client.post("/api/lost-customers", {"customer_id": customer.pk, "reason": "service"}).status_code == 422
    assert client.post("/api/lost-customers", {"customer_id": 2**70, "reason": "service"}).status_code == 422
    assert client.post("/api/lost-customers", {"customer_id": 99999999, "reason": "price"}).status_code == 404
    assert client.post("/api/lost-customers", {"customer_id": customer.pk, "reason": "x"}).status_code == 422
    listing = client.get("/api/lost-customers").json()
    assert listing["count"] == 1 and listing["items"][0]["customer_id"] == customer.pk
    assert api_as("bj_account_manager").get("/api/lost-customers").json()["count"] == 0


@pytest.mark.parametrize("group", ["reason", "tier", "branch"])
def test_the_lost_rate_is_lost_over_customers_at_the_start(api_as, client, users, make_customer, group):
    customers = [make_customer(f"客户{number}") for number in range(10)]
    Customer.objects.update(created_at=timezone.now() - dt.timedelta(days=400))
    customer_mark_lost(actor=users["administrator"], customer=customers[0], reason="price")
    customer_mark_lost(actor=users["administrator"], customer=customers[1], reason="competitor")

    figures = api_as("administrator").get("/api/lost-customers/figures", group=group).json()

    assert len(figures["months"]) == 12
    assert figures["total"]["lost"][-1] == 2 and figures["total"]["base"][-1] == 10
    assert figures["total"]["rates"][-1] == 20.0 and figures["total"]["rates"][0] == 0.0
    if group == "reason":
        price = next(row for row in figures["rows"] if row["key"] == "price")
        assert price["lost"][-1] == 1 and price["rates"][-1] == 10.0
    client.force_login(users["administrator"])
    page = client.get("/service/lost/report/", {"group": group})
    assert page.status_code == 200 and "<polyline" in page.content.decode()
    csv_text = client.get("/service/lost/report/", {"group": group, "format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Group,Month,Lost")


def test_marking_lost_on_its_page_gives_the_owner_a_win_back_task(client, users, make_customer):
    owner = users["account_manager"]
    customer = make_customer("王芳", owner=owner)
    client.force_login(users["branch_manager"])

    response = client.post(f"/service/lost/mark/{customer.pk}/", {"reason": "service", "details": "投诉处理慢"})

    assert response.status_code == 302
    task = Task.objects.get(kind="win_back", customer=customer)
    record = LostRecord.objects.get(customer=customer)
    assert task.owner == owner and task.status == Task.Status.OPEN and task.source_id == record.pk
    assert task.due_date == timezone.localdate() + dt.timedelta(days=7) and "投诉处理慢" in task.notes
    client.force_login(owner)
    page = client.get(f"/work/tasks/{task.pk}/")
    assert page.status_code == 200 and task.title in page.content.decode()
