"""Exports (scope, masking, access log, round trip) and the import task (eager and through a real Redis)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.models import PersonalDataAccess
from kehu.customers.selectors import CustomerFilters
from kehu.imports.models import ImportJob
from kehu.imports.services import customer_export

from .conftest import counts, resident_id, write_csv

ID = resident_id(born="19920202", sequence="321")


@pytest.fixture
def exported_customers(make_customer, org, users):
    return [
        make_customer("张三", code="X1", mobile="13800138000", email="zs@example.com", person={"id_number": ID},
                      owner=users["account_manager"]),
        make_customer("李四", code="X2", mobile="13900139000", branch=org["bj1"]),
        make_customer("某某有限公司", code="X3", kind="organisation",
                      organisation={"credit_code": "91110000600037341L"}),
    ]


def _csv_rows(data: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_is_scoped_and_masked_without_the_personal_data_permission(exported_customers, users):
    from django.utils import translation

    out = io.BytesIO()
    with translation.override("zh-hans"):  # headers in the user's language
        count = customer_export(user=users["marketer"], out=out, file_format="csv", filters=CustomerFilters())
    assert count == 2  # BJ1's customer is outside the marketer's store
    rows = _csv_rows(out.getvalue())
    assert rows[0][:3] == ["客户编号", "客户类型", "客户名称"]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {"X1", "X3"}
    text = out.getvalue().decode("utf-8-sig")
    assert "13800138000" not in text and "138****8000" in text
    assert ID not in text and f"{ID[:4]}**********{ID[-4:]}" in text
    assert "zs@example.com" not in text
    [entry] = PersonalDataAccess.objects.all()
    assert (entry.user, entry.action, entry.customer) == (users["marketer"], "export", None)
    assert "2" in entry.reason


def test_unmasked_export_needs_a_reason_and_logs_each_customer(exported_customers, users):
    with pytest.raises(ValidationError):
        customer_export(user=users["branch_manager"], out=io.BytesIO(), file_format="csv", filters=CustomerFilters())
    out = io.BytesIO()
    customer_export(user=users["branch_manager"], out=out, file_format="csv", filters=CustomerFilters(kind="person"),
                    reason="客户回访名单")
    text = out.getvalue().decode("utf-8-sig")
    assert "+8613800138000" in text and ID in text
    logged = PersonalDataAccess.objects.filter(action="export", user=users["branch_manager"])
    assert sorted(logged.values_list("customer__code", flat=True)) == ["X1"]  # region East: SH1 only has X1 person
    assert logged.get().reason == "客户回访名单"


def test_export_filters_and_english_headers(exported_customers, users, org):
    from django.utils import translation

    out = io.BytesIO()
    with translation.override("en"):
        customer_export(user=users["administrator"], out=out, file_format="csv", include_personal_data=False,
                        filters=CustomerFilters(branch=org["north"].pk))
    rows = _csv_rows(out.getvalue())
    assert rows[0][:3] == ["Customer code", "Kind", "Name"]
    assert [row[0] for row in rows[1:]] == ["X2"]


def test_users_without_view_permission_may_not_export(db, make_user):
    from django.contrib.auth.models import Group

    nobody = make_user("marketer")
    nobody.groups.set(Group.objects.none())
    with pytest.raises(PermissionDenied):
        customer_export(user=nobody, out=io.BytesIO(), file_format="csv")


def test_xlsx_export_imports_back_unchanged(exported_customers, users, run_import, tmp_path):
    path = tmp_path / "all.xlsx"
    customer_export(user=users["administrator"], out=str(path), file_format="xlsx", reason="备份")
    job = run_import(path, key="code")
    assert counts(job) == (0, 0, 3, 0)


def test_import_task_runs_eagerly(tmp_path, org):
    from kehu.imports.services import import_job_create
    from kehu.imports.tasks import import_run_task

    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店"], ["T1", "张三", "SH1"]])
    job = import_job_create(target="customers", file_path=path, key="code", language="en")
    result = import_run_task.delay(job.pk).get(timeout=60)
    assert result == {"status": "done", "created": 1, "updated": 0, "unchanged": 0, "failed": 0}
    assert ImportJob.objects.get(pk=job.pk).status == "done"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_import_task_through_a_real_redis_worker(tmp_path, org, redis_worker):
    from kehu.imports.services import import_job_create
    from kehu.imports.tasks import import_run_task

    path = write_csv(tmp_path / "c.csv", [["客户编号", "姓名", "门店"], ["R1", "张三", "SH1"], ["R2", "李四", "XX"]])
    job = import_job_create(target="customers", file_path=path, key="code", mode="skip-bad", language="en")
    result = redis_worker(import_run_task.run, import_run_task.name, args=(job.pk,), timeout=60,
                          acks_late=True)
    assert result["created"] == 1 and result["failed"] == 1
    job.refresh_from_db()
    assert (job.status, job.created, job.failed) == ("done", 1, 1)
