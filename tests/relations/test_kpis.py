"""Staff KPIs (issue 13 item 9) on a small known data set: two account managers of store SH1, exact figures, scores
and ranking, the configuration's weights, month boundaries in Asia/Shanghai, scoping, the CSV export, hostile months
and query counts — through the API (``/api/staff-kpis``) and the page (``relations:staff_kpis``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2024-03"  # 1 March 2024 is a Friday: weeks 1–3 (3 days), 4–10, 11–17, 18–24, 25–31


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def collected_by(customer, user, when: dt.datetime, *, profile_only: bool = False) -> None:
    """Arrange history: the customer's record (or only its person profile) created or changed by ``user`` at
    ``when`` (what simple-history writes when the staff member saves the customer)."""
    from kehu.customers.models import Customer, PersonProfile

    if not profile_only:
        Customer.history.filter(id=customer.pk).update(history_user=user, history_date=when)
    PersonProfile.history.filter(customer_id=customer.pk).update(history_user=user, history_date=when)


def configure(**values) -> None:
    from kehu.relations.models import KpiConfiguration

    KpiConfiguration(**values).save()


@pytest.fixture
def kpi_data(make_customer, users):
    """am1 collects A (1 March 00:30 Shanghai, still February in UTC), B and C (5 March; B changed again on
    20 March) and D (created in February, its profile completed on 12 March); E (1 April 00:30) and F' (29 February
    23:30) are outside the month. am2 collects G (10 March). Spend of am1's customers: 1,000 + 500 in March (one on
    1 March 00:30), 1,000 in February, 1,200 in March 2023; am2's: 500 in March. Contacts: am1 three in March (two
    customers; one at 31 March 23:30) and one on 1 April 00:10; am2 one; the East branch manager one."""
    from kehu.purchases.services import transaction_create
    from kehu.relations.services import contact_log

    am1, am2, admin = users["account_manager"], users["other_account_manager"], users["administrator"]
    made = {name: make_customer(name, owner=owner) for name, owner in
            (("甲", am1), ("乙", am1), ("丙", am1), ("丁", am1), ("戊", am1), ("己", am1), ("庚", am2))}
    collected_by(made["甲"], am1, local(2024, 3, 1, 0, 30))
    collected_by(made["乙"], am1, local(2024, 3, 5, 9))
    collected_by(made["丙"], am1, local(2024, 3, 5, 10))
    collected_by(made["丁"], admin, local(2024, 2, 20, 10))
    collected_by(made["丁"], am1, local(2024, 3, 12, 10), profile_only=True)
    collected_by(made["戊"], am1, local(2024, 4, 1, 0, 30))
    collected_by(made["己"], am1, local(2024, 2, 29, 23, 30))
    collected_by(made["庚"], am2, local(2024, 3, 10, 12))
    from kehu.customers.models import Customer

    latest = Customer.history.filter(id=made["乙"].pk).latest("history_id")
    Customer.history.create(**{field.attname: getattr(latest, field.attname) for field in latest._meta.fields
                               if field.attname not in {"history_id"}} | {
        "history_date": local(2024, 3, 20, 10), "history_type": "~", "history_user_id": am1.pk})

    for customer, when, amount in ((made["甲"], local(2024, 3, 1, 0, 30), "1000"),
                                   (made["乙"], local(2024, 3, 31, 23, 0), "500"),
                                   (made["乙"], local(2024, 4, 1, 0, 10), "9999"),
                                   (made["丙"], local(2024, 2, 10, 10), "1000"),
                                   (made["丙"], local(2023, 3, 15, 10), "1200"),
                                   (made["庚"], local(2024, 3, 15, 10), "500")):
        transaction_create(actor=admin, customer=customer, occurred_at=when, amount=Decimal(amount))
    for customer, staff, when in ((made["甲"], am1, local(2024, 3, 2, 10)), (made["甲"], am1, local(2024, 3, 9, 10)),
                                  (made["乙"], am1, local(2024, 3, 31, 23, 30)),
                                  (made["乙"], am1, local(2024, 4, 1, 0, 10)),
                                  (made["庚"], am2, local(2024, 3, 12, 10)),
                                  (made["庚"], users["branch_manager"], local(2024, 3, 13, 10))):
        contact_log(actor=staff, customer=customer, channel="phone", summary="回访", occurred_at=when)
    return made


def _by_user(body) -> dict:
    return {item["staff"]["username"]: item for item in body["items"]}


def test_known_figures_scores_and_ranking(api_as, kpi_data):
    configure(weekly_quota=2, monthly_quota=4, information_weight=40, contribution_weight=60, contribution_share=50,
              bonus_cap=150)
    response = api_as("administrator").get("/api/staff-kpis", month=MONTH)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["month"] == MONTH and body["coverage_available"] is True  # the cadence coverage selector is installed
    assert [(week["start"], week["end"], week["quota"]) for week in body["weeks"]] == [
        ("2024-03-01", "2024-03-03", 1), ("2024-03-04", "2024-03-10", 2), ("2024-03-11", "2024-03-17", 2),
        ("2024-03-18", "2024-03-24", 2), ("2024-03-25", "2024-03-31", 2)]
    rows = _by_user(body)
    am1, am2 = rows["am1"], rows["am2"]
    assert am1["collected"] == 4 and am1["collected_by_week"] == [1, 2, 1, 0, 0] and am1["weeks_on_quota"] == 2
    assert am2["collected"] == 1 and am2["collected_by_week"] == [0, 1, 0, 0, 0] and am2["weeks_on_quota"] == 0
    assert (am1["contacts"], am1["contacted_customers"], am2["contacts"]) == (3, 2, 1)
    assert am1["customers"] == 6 and am2["customers"] == 1
    assert Decimal(am1["spend"]) == Decimal("1500") and Decimal(am1["spend_last_month"]) == Decimal("1000")
    assert Decimal(am1["spend_last_year"]) == Decimal("1200")
    assert Decimal(am1["growth_month"]) == Decimal("50.0") and Decimal(am1["growth_year"]) == Decimal("25.0")
    assert am2["growth_month"] is None and am2["coverage_on"] is None
    # branch SH1: average spend 1,000, target 50 % = 500; am1 1,500/500 = 3 capped at 1.5 → 90; info 4/4 → 40
    assert Decimal(am1["contribution_target"]) == Decimal("500")
    assert (Decimal(am1["information_score"]), Decimal(am1["contribution_score"]), Decimal(am1["score"])) == (
        Decimal("40.0"), Decimal("90.0"), Decimal("130.0"))
    assert (Decimal(am2["information_score"]), Decimal(am2["contribution_score"]), Decimal(am2["score"])) == (
        Decimal("10.0"), Decimal("60.0"), Decimal("70.0"))
    assert (am1["rank"], am2["rank"], am1["branch_size"]) == (1, 2, 2)
    assert am1["branch"]["code"] == "SH1"
    # the branch manager of East and Beijing's account manager are ranked in their own branches
    assert rows["manager1"]["branch"]["code"] == "EAST" and rows["manager1"]["rank"] == 1
    assert rows["bjam1"]["branch"]["code"] == "BJ1" and Decimal(rows["bjam1"]["score"]) == 0
    assert [item["staff"]["username"] for item in body["items"]] == ["manager1", "am1", "am2", "bjam1"]


def test_default_weights_are_the_seeds_50_and_50(api_as, kpi_data):
    rows = _by_user(api_as("administrator").get("/api/staff-kpis", month=MONTH).json())
    # quota 50: am1 4/50 → 4.0 points; target 70 % of 1,000 = 700: am1 1,500/700 capped at 1.2 → 60.0
    assert (Decimal(rows["am1"]["information_score"]), Decimal(rows["am1"]["contribution_score"])) == (
        Decimal("4.0"), Decimal("60.0"))
    # am2: 1/50 → 1.0; 500/700 × 50 = 35.7
    assert (Decimal(rows["am2"]["information_score"]), Decimal(rows["am2"]["contribution_score"])) == (
        Decimal("1.0"), Decimal("35.7"))


def test_the_configuration_refuses_weights_not_adding_up_to_100(db):
    from django.core.exceptions import ValidationError

    from kehu.relations.models import KpiConfiguration

    with pytest.raises(ValidationError):
        KpiConfiguration(information_weight=60, contribution_weight=60).full_clean()
    with pytest.raises(ValidationError):
        KpiConfiguration(weekly_quota=60, monthly_quota=50).full_clean()
    KpiConfiguration(information_weight=30, contribution_weight=70).full_clean()


def test_the_administrator_edits_the_configuration_in_the_admin(client, users):
    from kehu.relations.models import KpiConfiguration

    admin = users["administrator"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    data = {"weekly_quota": 5, "monthly_quota": 20, "information_weight": 30, "contribution_weight": 70,
            "contribution_share": 60, "bonus_cap": 110}
    response = client.post(reverse("admin:relations_kpiconfiguration_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = KpiConfiguration.objects.get()
    assert (stored.pk, stored.monthly_quota, stored.contribution_weight) == (1, 20, 70)
    bad = client.post(reverse("admin:relations_kpiconfiguration_change", args=[1]), data | {"information_weight": 50})
    assert bad.status_code == 200 and KpiConfiguration.objects.get().information_weight == 30


def test_scope_account_managers_see_their_line_managers_their_branches(api_as, kpi_data, org):
    mine = api_as("account_manager").get("/api/staff-kpis", month=MONTH).json()
    assert [item["staff"]["username"] for item in mine["items"]] == ["am1"]
    assert mine["items"][0]["rank"] == 1 and mine["items"][0]["branch_size"] == 2  # ranked among SH1's staff
    east = api_as("branch_manager").get("/api/staff-kpis", month=MONTH).json()
    assert {item["staff"]["username"] for item in east["items"]} == {"manager1", "am1", "am2"}
    auditor = api_as("auditor").get("/api/staff-kpis", month=MONTH).json()
    assert {item["staff"]["username"] for item in auditor["items"]} == {"manager1", "am1", "am2", "bjam1"}
    sh1 = api_as("administrator").get("/api/staff-kpis", month=MONTH, branch=org["sh1"].pk).json()
    assert {item["staff"]["username"] for item in sh1["items"]} == {"am1", "am2"}
    assert api_as("branch_manager").get("/api/staff-kpis", month=MONTH, branch=org["bj1"].pk).status_code == 404
    assert api_as("account_manager").get("/api/staff-kpis", month=MONTH, branch=org["sh1"].pk).status_code == 404
    assert api_as("administrator").get("/api/staff-kpis", month=MONTH, branch=999999).status_code == 404
    assert api_as("service_agent").get("/api/staff-kpis", month=MONTH).status_code == 403


def test_the_page_lists_ranks_and_charts_in_both_languages(client, users, kpi_data, org):
    client.force_login(users["branch_manager"])
    url = reverse("relations:staff_kpis")
    page = client.get(url, {"month": MONTH, "branch": org["sh1"].pk}, headers={"Accept-Language": "en"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Staff KPIs" in text and 'data-staff="am1"' in text and 'data-staff="manager1"' not in text
    assert 'class="kpi-information"' in text and "style=" not in text
    chinese = client.get(url, {"month": MONTH}, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "员工考核" in chinese
    found = client.get(url, {"month": MONTH, "q": "am2"}).content.decode()
    assert 'data-staff="am2"' in found and 'data-staff="am1"' not in found
    assert client.get(url, {"month": MONTH, "branch": org["bj1"].pk}).status_code == 404
    client.force_login(users["service_agent"])
    assert client.get(url).status_code == 403


def test_the_page_shows_an_empty_state(client, users):
    client.force_login(users["auditor"])
    page = client.get(reverse("relations:staff_kpis"), {"month": MONTH, "q": "nobody"},
                      headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "No staff member matches the search." in page.content.decode()


@pytest.mark.parametrize("month", ["0000-13", "9999-12", "2024-13", "2024-00", "1899-12", "garbage", "2024-3",
                                   "２０２４-03", "=1+1"])
def test_hostile_months_answer_4xx(api_as, client, users, month):
    response = api_as("administrator").get("/api/staff-kpis", month=month)
    assert response.status_code == 422 and "month" in response.json()["error"]["fields"]
    client.force_login(users["administrator"])
    assert client.get(reverse("relations:staff_kpis"), {"month": month}).status_code == 400
    assert client.get(reverse("relations:staff_kpis_export"), {"month": month}).status_code == 400


def test_hostile_branch_and_nul_answer_4xx(api_as, client, users):
    assert api_as("administrator").get("/api/staff-kpis", branch="x").status_code == 422
    assert api_as("administrator").get("/api/staff-kpis", month="2024-03\x00").status_code in (400, 422)
    client.force_login(users["administrator"])
    assert client.get(reverse("relations:staff_kpis"), {"branch": "9" * 40}).status_code == 404


def test_csv_export_neutralises_formulas(client, users, kpi_data, make_user, org):
    make_user("account_manager", org["sh1"], username="formula").__class__.objects.filter(
        username="formula").update(display_name="=HYPERLINK(\"http://x\")")
    client.force_login(users["administrator"])
    response = client.get(reverse("relations:staff_kpis_export"), {"month": MONTH}, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Month" and len(rows) == 6
    by_user = {row[3]: row for row in rows[1:]}
    assert by_user["formula"][4] == "'=HYPERLINK(\"http://x\")"
    assert (by_user["am1"][2], by_user["am1"][5], by_user["am1"][8]) == ("1", "64.0", "4")  # rank, score, collected


def test_query_counts_do_not_grow_with_staff_or_customers(api_as, client, users, kpi_data, make_user,
                                                          make_customer, org, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as("administrator")
    client.force_login(users["administrator"])

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as api_queries:
            assert api.get("/api/staff-kpis", month=MONTH).status_code == 200
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get(reverse("relations:staff_kpis"), {"month": MONTH}).status_code == 200
        return len(api_queries), len(page_queries)

    counts()  # the first requests read what later ones find cached (the token's last use, the session)
    before = counts()
    for index in range(4):
        member = make_user("account_manager", org["sh2"], username=f"extra{index}")
        customer = make_customer(f"客{index}", owner=member, branch=org["sh2"])
        collected_by(customer, member, local(2024, 3, 7, 10))
    after = counts()
    assert after == before, (before, after)
    assert before[0] <= 12 and before[1] <= 16  # + the cadence coverage (2 queries)


def test_branch_managers_without_figures_are_left_out_account_managers_never(api_as, kpi_data):
    body = api_as("administrator").get("/api/staff-kpis", month="2024-05").json()
    assert [item["staff"]["username"] for item in body["items"]] == ["am1", "am2", "bjam1"]
    assert all(Decimal(item["score"]) == 0 and item["collected"] == 0 for item in body["items"])
    assert [item["rank"] for item in body["items"]] == [1, 1, 1]  # equal scores share a rank


@pytest.mark.django_db
def test_the_demo_gives_believable_kpis_last_month():
    from kehu.org.models import User
    from kehu.relations.kpis.selectors import add_months, current_month, staff_kpis
    from tests.demo.test_demo import run_demo

    run_demo()
    admin = User.objects.filter(groups__name="administrator").first()
    report = staff_kpis(user=admin, month=add_months(current_month(), -1))
    assert report.rows
    # the small demo of the tests (200 customers) leaves some account managers few customers to complete
    assert all(row.customers > 0 for row in report.rows)
    assert sum(1 for row in report.rows if row.collected > 0 and row.contacts > 0) > len(report.rows) / 2
    assert any(row.spend > 0 for row in report.rows)
    assert len({row.score for row in report.rows}) > 1  # not everyone alike


def test_cadence_coverage_appears_once_the_cadence_module_provides_it(api_as, kpi_data, users, monkeypatch):
    import sys
    import types

    calls = []

    def cadence_coverage_by_owner(*, as_of, owner_ids=None):
        calls.append((as_of, sorted(owner_ids or [])))
        return {users["account_manager"].pk: (3, 4)}

    package = types.ModuleType("kehu.relations.cadences")
    selectors = types.ModuleType("kehu.relations.cadences.selectors")
    selectors.cadence_coverage_by_owner = cadence_coverage_by_owner
    monkeypatch.setitem(sys.modules, "kehu.relations.cadences", package)
    monkeypatch.setitem(sys.modules, "kehu.relations.cadences.selectors", selectors)
    body = api_as("administrator").get("/api/staff-kpis", month=MONTH).json()
    rows = _by_user(body)
    assert body["coverage_available"] is True
    assert (rows["am1"]["coverage_on"], rows["am1"]["coverage_total"]) == (3, 4)
    assert rows["am2"]["coverage_on"] is None
    assert calls[0][0] == dt.date(2024, 3, 31)  # the month's last day


def test_branch_managers_home_shows_their_staffs_kpis(client, users):
    client.force_login(users["branch_manager"])
    text = client.get(reverse("home"), headers={"Accept-Language": "en"}).content.decode()
    assert "Staff KPIs this month" in text and 'data-staff="am1"' in text and 'data-staff="bjam1"' not in text
    client.force_login(users["account_manager"])
    home = client.get(reverse("home"), headers={"Accept-Language": "en"}).content.decode()
    assert "Staff KPIs this month" not in home


def test_the_page_is_paginated(client, users, make_user, org):
    for index in range(27):
        make_user("account_manager", org["sh2"], username=f"page{index:02d}")
    client.force_login(users["administrator"])
    url = reverse("relations:staff_kpis")
    first = client.get(url, {"month": MONTH}).content.decode()
    second = client.get(url, {"month": MONTH, "page": 2}).content.decode()
    assert first.count("data-staff=") == 25
    assert second.count("data-staff=") == 27 + 3 - 25  # am1, am2 and bjam1 besides the 27
    assert client.get(url, {"month": MONTH, "page": "x\u00ff"}).status_code == 200
