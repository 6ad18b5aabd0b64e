"""``kehu import leads FILE``: duplicates of customers, of open leads and within the file are not imported, each
named in the error report; the rest are created in bulk with their timeline, a seller's as theirs."""

from __future__ import annotations

import pytest

from kehu.cli import main as kehu
from kehu.sales import services
from kehu.sales.models import Lead, LeadEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # run_from_argv would end the test's transaction

    def run(text: str, *args: str) -> tuple[int, str]:
        path = tmp_path / "leads.csv"
        path.write_text(text, encoding="utf-8")
        errors = tmp_path / "errors.csv"
        try:
            code = kehu(["import", "leads", str(path), "--mode", "skip-bad", "--no-progress", "--errors",
                         str(errors), *args])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        out = capsys.readouterr().out
        return code, out + (errors.read_text(encoding="utf-8-sig") if errors.exists() else "")

    return run


def test_import_skips_known_prospects_and_names_the_match(run, users, make_customer):
    customer = make_customer("韩梅梅", owner=users["account_manager"], mobile="13800138000")
    lead = services.lead_create(actor=users["other_account_manager"], name="李雷", mobile="13912345678",
                                email="li@example.com")
    code, output = run(
        "姓名,手机,邮箱,来源,活动\n"
        "韩梅梅,13800138000,,展会,春季车展\n"
        "李雷,13700000000,LI@example.com,展会,春季车展\n"
        "王五,13711112222,,展会,春季车展\n"
        "王五二,137 1111 2222,,展会,春季车展\n"
        "赵六,13722223333,zhao@example.com,,\n",
        "--user", "am1", "--language", "en")
    assert code == 0, output
    assert "created 2, updated 0, unchanged 0, failed 3" in output
    assert f"customer #{customer.pk}" in output and f"lead #{lead.pk}" in output and "Duplicate of row" in output
    new = Lead.objects.exclude(pk=lead.pk).order_by("pk")
    assert [(item.name, item.mobile, item.source, item.owner_id) for item in new] == [
        ("王五", "+8613711112222", "exhibition", users["account_manager"].pk),
        ("赵六", "+8613722223333", "purchased_list", users["account_manager"].pk)]
    assert LeadEvent.objects.filter(lead__in=new, kind="created").count() == 2
    # the same file again: everything is known now
    code, output = run("姓名,手机\n王五,13711112222\n", "--user", "am1", "--language", "en")
    assert "created 0" in output and "failed 1" in output


def test_a_managers_import_goes_to_the_pool(run, users):
    code, output = run("姓名,手机\n王五,13711112222\n", "--user", "manager1")
    assert code == 0, output
    lead = Lead.objects.get()
    assert lead.owner is None and lead.pooled_at is not None


def test_auditors_may_not_import_leads(run, users):
    code, output = run("姓名,手机\n王五,13711112222\n", "--user", "auditor1")
    assert code != 0 and not Lead.objects.exists()
