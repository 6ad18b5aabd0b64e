"""A fresh installation (no branch yet) imports customers without --branch: they land in a head office."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import translation

from kehu.customers.models import Customer
from kehu.org.models import Branch
from kehu.org.services import branch_create, head_office

from .conftest import write_csv


def run(path, *extra: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("import", "customers", str(path), "--key", "mobile", "--no-progress", *extra, stdout=out,
                     stderr=io.StringIO())
    return out.getvalue()


def test_a_fresh_installation_lands_imported_customers_in_a_head_office(db, tmp_path):
    assert not Branch.objects.exists()
    path = write_csv(tmp_path / "c.csv", [["姓名", "手机号码"], ["张三", "13800138000"], ["李四", "13900139000"]])
    output = run(path)
    assert output.strip().splitlines()[-1] == "created 2, updated 0, unchanged 0, failed 0"
    office = Branch.objects.get()
    assert (office.code, office.kind, office.parent, office.path) == ("HQ", Branch.Kind.GROUP, None,
                                                                      f"/{office.pk}/")
    assert set(Customer.objects.values_list("branch", flat=True)) == {office.pk}
    # running it again finds the same head office and changes nothing
    assert run(path).strip().splitlines()[-1] == "created 0, updated 0, unchanged 2, failed 0"
    assert Branch.objects.count() == 1


def test_the_single_top_branch_is_the_default_and_several_tops_need_a_choice(db, tmp_path):
    group = branch_create(code="GRP", name="集团", kind=Branch.Kind.GROUP)
    assert head_office() == group
    path = write_csv(tmp_path / "c.csv", [["姓名", "手机号码"], ["张三", "13800138000"]])
    assert run(path).strip().splitlines()[-1] == "created 1, updated 0, unchanged 0, failed 0"
    assert Customer.objects.get().branch == group
    branch_create(code="OTHER", name="另一集团", kind=Branch.Kind.GROUP)
    assert head_office() is None
    path = write_csv(tmp_path / "d.csv", [["姓名", "手机号码"], ["王五", "13700137000"]])
    output = run(path, "--mode", "skip-bad")
    assert output.strip().splitlines()[-1] == "created 0, updated 0, unchanged 0, failed 1"
    assert Branch.objects.count() == 2

