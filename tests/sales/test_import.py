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


def test_import_matches_each_identifier_and_writes_whole_rows(run, users, make_customer):
    """A customer's e-mail and an organisation customer's credit code are matches as a mobile is (each looked up on
    its own); a converted or disqualified lead is not (only open leads are); the leads written have every column
    (ids, timestamps, defaults) and their timeline rows, as a lead made one by one."""
    person = make_customer("韩梅梅", mobile="13800138000", email="han@example.com")
    company = make_customer("京东方", kind="organisation", organisation={"credit_code": "91110000600037341L"})
    closed = services.lead_create(actor=users["account_manager"], name="老客", mobile="13655556666")
    Lead.objects.filter(pk=closed.pk).update(status="disqualified", disqualify_reason="no_need")
    code, output = run(
        "姓名,手机,邮箱,公司,统一社会信用代码\n"
        "韩,13711110000,HAN@example.com,,\n"
        "京东方采购,13711110001,,京东方,91110000600037341L\n"
        "老客,13655556666,,,\n"
        "新人,13711110002,new@example.com,某公司,\n",
        "--user", "am1", "--language", "en")
    assert code == 0, output
    assert "created 2, updated 0, unchanged 0, failed 2" in output
    assert f"customer #{person.pk}" in output and f"customer #{company.pk}" in output
    new = {lead.name: lead for lead in Lead.objects.exclude(pk=closed.pk)}
    assert set(new) == {"老客", "新人"}
    lead = new["新人"]
    assert (lead.mobile, lead.email, lead.company, lead.status, lead.kind, lead.owner_id, lead.version) == (
        "+8613711110002", "new@example.com", "某公司", "new", "person", users["account_manager"].pk, 1)
    assert lead.created_at and lead.updated_at and lead.assigned_at and lead.worked_at and lead.pooled_at is None
    events = sorted(LeadEvent.objects.filter(lead=lead).values_list("kind", flat=True))
    assert events == ["assigned", "created"]
    assert LeadEvent.objects.get(lead=lead, kind="created").data["source"] == "purchased_list"
    # the ids came from the table's own sequence: a lead made afterwards one by one gets the next one
    later = services.lead_create(actor=users["account_manager"], name="后来", mobile="13711110009")
    assert later.pk > max(item.pk for item in new.values())
