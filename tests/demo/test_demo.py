"""The demo data set, loaded through ``kehu demo --no-serve`` with a small size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation

from kehu.core import validators
from kehu.core.pinyin import name_search_keys
from kehu.customers.models import (
    Consent,
    Contact,
    Customer,
    CustomerKind,
    LifecycleChange,
    OrganisationProfile,
    PersonProfile,
    Tag,
)
from kehu.customers.selectors import CustomerFilters, customer_history, customer_list
from kehu.customers.services import customer_update
from kehu.demo import data
from kehu.demo.drawing import SHANGHAI, organisation_code_check
from kehu.demo.plan import build_plan, demo_window
from kehu.org.models import Branch, User
from kehu.org.roles import ALL_ROLES
from kehu.purchases.models import Product, Transaction

CUSTOMERS = 200
TRANSACTIONS = 2000
SEED = 7


def run_demo(*extra: str) -> str:
    """``kehu demo --no-serve`` of the tests' size; its output. Without other options, on a database as migrate
    leaves it, this process's first run is recorded and the next ones write what it wrote (``tests.db_snapshot``):
    a dozen tests in several apps read the demo, which takes seconds to load."""

    def load() -> str:
        out = StringIO()
        call_command("demo", "--no-serve", "--customers", str(CUSTOMERS), "--transactions", str(TRANSACTIONS),
                     "--seed", str(SEED), *extra, stdout=out)
        return out.getvalue()

    if extra:
        return load()
    from tests.db_snapshot import replay_or_record

    return replay_or_record(("demo", translation.get_language(), timezone.localdate()), load)


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """The demo data loaded once for the module, in a transaction rolled back after its last test. Each test runs in
    a savepoint inside it (pytest-django's ``db``), so what a test changes is gone for the next one."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            output = run_demo()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield output
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def demo(_demo_loaded, db):
    return _demo_loaded


def planned_customers():
    """The customers of the demo's plan: the sales step converts a few leads into new customers besides them."""
    from kehu.sales.models import LeadConversion

    return Customer.objects.exclude(pk__in=LeadConversion.objects.filter(created=True).values("customer_id"))


def planned_transactions():
    """The transactions of the demo's plan: onboarding a won deal records its sale besides them (``opp-…``)."""
    return Transaction.objects.exclude(external_ref__startswith="opp-")


def test_loads_the_requested_numbers_and_prints_the_logins(demo):
    assert planned_customers().count() == CUSTOMERS
    assert Transaction.objects.count() > planned_transactions().count() == TRANSACTIONS
    organisations = planned_customers().filter(kind=CustomerKind.ORGANISATION).count()
    assert organisations == 30  # 15 %
    assert PersonProfile.objects.filter(customer__in=planned_customers()).count() == CUSTOMERS - organisations
    assert OrganisationProfile.objects.filter(customer__in=planned_customers()).count() == organisations
    # every organisation has 1–3 contacts, exactly one primary, with a legal representative or general manager first
    per_organisation = Contact.objects.values("customer").annotate(
        n=Count("id"), primary=Count("id", Q(is_primary=True))
    )
    assert len(per_organisation) == organisations
    assert all(1 <= row["n"] <= 3 and row["primary"] == 1 for row in per_organisation)
    # --no-serve serves nothing, so no address is printed
    assert "http://" not in demo and data.DEMO_PASSWORD in demo and "kehu serve" in demo
    for _role, username in data.DEMO_LOGINS:
        assert username in demo


def test_branch_tree_group_regions_stores(demo):
    group = Branch.objects.get(code="GRP")
    assert group.kind == Branch.Kind.GROUP and group.parent is None
    regions = Branch.objects.filter(parent=group)
    assert sorted(r.code for r in regions) == ["EAST", "NORTH", "SOUTH"]
    stores = Branch.objects.filter(kind=Branch.Kind.STORE)
    assert stores.count() == 6
    for store in stores:
        assert store.parent.kind == Branch.Kind.REGION
        assert store.path.startswith(store.parent.path) and store.path.startswith(group.path)
        assert store.customers.exists()
    # customers live in stores and are owned by an account manager of their store
    assert not Customer.objects.exclude(branch__kind=Branch.Kind.STORE).exists()
    for customer in Customer.objects.select_related("owner", "branch"):
        assert customer.owner.groups.filter(name="account_manager").exists()
        assert customer.owner.branches.filter(pk=customer.branch_id).exists()


def test_every_role_has_a_user_who_can_sign_in(demo, client):
    for role in ALL_ROLES:
        users = User.objects.filter(groups__name=role)
        assert users.exists(), role
        username = dict(data.DEMO_LOGINS)[role]
        assert users.filter(username=username).exists()
        assert client.login(username=username, password=data.DEMO_PASSWORD), username
        client.logout()


def test_memberships_give_sensible_scopes(demo):
    everyone = Customer.objects.count()
    sh01 = Customer.objects.filter(branch__code="SH01").count()
    east = Customer.objects.filter(branch__code__in=["SH01", "SH02"]).count()
    seen = {u.username: Customer.objects.visible_to(u).count() for u in User.objects.all()}
    assert seen["admin"] == seen["auditor"] == seen["agent"] == everyone
    assert seen["manager_east"] == east < everyone
    assert seen["am_sh01"] == sh01 < east
    am = User.objects.get(username="am_sh01")
    assert Customer.objects.visible_to(am, "change").count() == Customer.objects.filter(owner=am).count() > 0


def test_personal_data_is_valid_under_the_real_validators(demo):
    persons = PersonProfile.objects.select_related("customer")
    resident_ids = 0
    for profile in persons:
        if profile.id_type == PersonProfile.IdType.RESIDENT_ID and profile.id_number:
            resident_ids += 1
            number = validators.validate_resident_id(profile.id_number, birth_date=profile.birth_date)
            assert number == profile.id_number
            assert validators.resident_id_gender(profile.id_number) == profile.gender
    assert resident_ids > 0.9 * persons.count()
    for profile in OrganisationProfile.objects.filter(customer__in=planned_customers()):
        code = profile.credit_code
        assert validators.validate_credit_code(code) == code
        assert code[:2] == "91" and organisation_code_check(code[8:16]) == code[16]
    mobiles = list(Customer.objects.exclude(mobile="").values_list("mobile", flat=True))
    mobiles += list(Contact.objects.exclude(mobile="").values_list("mobile", flat=True))
    assert len(mobiles) > CUSTOMERS * 0.8
    for mobile in mobiles:
        assert validators.normalize_mobile(mobile) == mobile
    phones = list(Customer.objects.exclude(phone="").values_list("phone", flat=True))
    phones += list(Contact.objects.exclude(phone="").values_list("phone", flat=True))
    assert phones
    for phone in phones:
        assert validators.normalize_phone(phone) == phone
    emails = list(Customer.objects.exclude(email="").values_list("email", flat=True))
    emails += list(Contact.objects.exclude(email="").values_list("email", flat=True))
    assert emails
    for email in emails:
        assert validators.validate_email(email) == email
        assert email.rsplit("@", 1)[1].endswith(data.EMAIL_DOMAINS)
    # person mobiles are unique, so a phone lookup finds one person
    person_mobiles = list(Customer.objects.filter(kind=CustomerKind.PERSON).values_list("mobile", flat=True))
    assert len(set(person_mobiles)) == len(person_mobiles)


def test_rows_pass_full_clean_without_changing_anything(demo):
    def unchanged_by_full_clean(obj, **kwargs):
        before = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
        obj.full_clean(**kwargs)
        after = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
        assert after == before, obj

    for customer in Customer.objects.select_related("person", "organisation"):
        unchanged_by_full_clean(customer)
        unchanged_by_full_clean(customer.person if customer.kind == CustomerKind.PERSON else customer.organisation)
    for model in (Contact, Consent, LifecycleChange):
        for obj in model.objects.all():
            unchanged_by_full_clean(obj)
    for obj in list(Transaction.objects.order_by("pk"))[::10]:
        unchanged_by_full_clean(obj)


def test_transactions_lie_in_the_two_years_up_to_today_with_margins_of_10_to_40_percent(demo):
    first_at = Transaction.objects.order_by("occurred_at").first().occurred_at
    last_at = Transaction.objects.order_by("-occurred_at").first().occurred_at
    first, last = first_at.astimezone(SHANGHAI).date(), last_at.astimezone(SHANGHAI).date()
    start, end = demo_window()
    assert first >= start and last <= end and last_at <= timezone.now()
    assert end - last <= dt.timedelta(days=7)  # the history runs up to the day the demo is generated
    assert last - first > dt.timedelta(days=600)
    for amount, margin in planned_transactions().values_list("amount", "margin"):
        assert amount > 0
        assert amount * Decimal("0.0999") <= margin <= amount * Decimal("0.4001")
    assert not Transaction.objects.filter(Q(branch=None) | Q(product=None) | Q(external_ref=None)).exists()
    assert Transaction.objects.values("channel").distinct().count() >= 4
    assert Product.objects.count() == len(data.PRODUCTS) >= 40
    # prospects have bought nothing; every other customer has bought something
    buyers = Customer.objects.filter(transactions__isnull=False).distinct()
    assert not buyers.filter(lifecycle_status="prospect").exists()
    assert buyers.count() == Customer.objects.exclude(lifecycle_status="prospect").count()


def test_few_customers_make_most_of_the_value(demo):
    totals = sorted(
        (row["total"] for row in Transaction.objects.values("customer").annotate(total=Sum("amount"))), reverse=True
    )
    top = totals[: len(totals) // 5]
    assert sum(top) / sum(totals) > Decimal("0.6")


def test_classifications_tags_consents_and_lifecycle_history(demo):
    for field in ("lifecycle_status", "lifecycle_stage", "management_class", "marketing_type", "brand_attitude",
                  "relationship_stage"):
        assert Customer.objects.values(field).distinct().count() >= 3, field
    assert Customer.objects.filter(management_class="key").exists()
    used = set(Tag.objects.filter(customers__isnull=False).values_list("name", flat=True))
    assert {"VIP", "企业客户", "理财偏好"} <= used
    assert not planned_customers().filter(kind=CustomerKind.ORGANISATION).exclude(tags__name="企业客户").exists()
    consents = Consent.objects.all()
    assert set(consents.values_list("channel", flat=True)) == {"sms", "email", "phone", "post"}
    assert not consents.filter(Q(recorded_at=None) | Q(source="")).exists()
    assert consents.filter(granted=False).exists()
    # every customer has its lifecycle history, starting when it was created and dated in the past
    changed = LifecycleChange.objects.filter(customer__in=planned_customers())
    assert changed.values("customer").distinct().count() == CUSTOMERS
    lost = Customer.objects.filter(lifecycle_status="lost").first()
    assert list(lost.lifecycle_changes.filter(field="status").order_by("changed_at").values_list(
        "new_value", flat=True)) == ["prospect", "current", "lost"]
    assert not LifecycleChange.objects.filter(changed_at__gt=timezone.now()).exists()
    assert not Consent.objects.filter(recorded_at__gt=timezone.now()).exists()


def test_search_keys_are_set_and_a_person_is_found_by_initials(demo):
    for name, kind, pinyin, initials in Customer.objects.values_list("name", "kind", "name_pinyin", "name_initials"):
        assert (pinyin, initials) == name_search_keys(name, is_person=kind == CustomerKind.PERSON)
        assert pinyin and initials
    admin = User.objects.get(username="admin")
    person = Customer.objects.filter(kind=CustomerKind.PERSON).order_by("code")[3]
    found = customer_list(user=admin, filters=CustomerFilters(query=person.name_initials))
    assert person in found
    assert person in customer_list(user=admin, filters=CustomerFilters(query=person.name_pinyin))
    assert person in customer_list(user=admin, filters=CustomerFilters(query=person.mobile[-4:]))


def test_the_first_edit_of_a_demo_customer_shows_in_its_history(demo):
    admin = User.objects.get(username="admin")
    customer = Customer.objects.filter(kind=CustomerKind.PERSON).order_by("code").first()
    created = customer.history.get()
    assert created.history_type == "+" and created.history_date == customer.created_at < customer.updated_at
    customer_update(customer=customer, actor=admin, expected_version=customer.version, address="新地址1号")
    entries = customer_history(customer=customer, user=admin)  # without a user the address is masked
    assert any(("新地址1号" in new) for entry in entries for _label, _old, new in entry.changes)


def test_same_seed_same_data_and_codes_follow_the_plan(demo):
    moment = timezone.now()  # the same day and moment: a plan's events end at the moment it is drawn
    plan = build_plan(seed=SEED, customers=CUSTOMERS, transactions=TRANSACTIONS, now=moment)
    again = build_plan(seed=SEED, customers=CUSTOMERS, transactions=TRANSACTIONS, now=moment)
    other = build_plan(seed=SEED + 1, customers=CUSTOMERS, transactions=TRANSACTIONS, now=moment)

    def fingerprint(p):
        return (
            [(c.name, c.mobile, c.person and c.person["id_number"], c.organisation and c.organisation["credit_code"],
              c.store, c.owner, c.tags) for c in p.customers],
            [(t.customer, t.occurred_at, t.amount, t.sku, t.external_ref) for t in p.transactions],
        )

    assert fingerprint(plan) == fingerprint(again)
    assert fingerprint(plan)[0] != fingerprint(other)[0]
    stored = list(planned_customers().order_by("code").values_list("code", "name", "mobile"))
    assert [(name, mobile) for _code, name, mobile in stored] == [(c.name, c.mobile) for c in plan.customers]
    assert [code for code, _name, _mobile in stored] == [f"KH{n:08d}" for n in range(1, CUSTOMERS + 1)]
    refs = set(planned_transactions().values_list("external_ref", flat=True))
    assert refs == {t.external_ref for t in plan.transactions}


def test_running_again_adds_nothing(demo):
    models = (Branch, User, Customer, PersonProfile, OrganisationProfile, Contact, Consent, LifecycleChange, Tag,
              Product, Transaction, Customer.history.model, Customer.tags.through)
    before = {model: model.objects.count() for model in models}
    with translation.override("en"):
        output = run_demo()
    assert {model: model.objects.count() for model in models} == before
    assert "already there" in output
    # and also with other sizes and another seed
    run_demo("--seed", "99")
    assert {model: model.objects.count() for model in models} == before


def test_the_demo_ends_with_a_scoring_run_whose_top_customers_look_active(demo):
    from kehu.scoring.models import CustomerSummary, ScoringRun

    run = ScoringRun.objects.get()
    assert run.status == ScoringRun.Status.SUCCEEDED and run.as_of == timezone.localdate()
    assert run.customers == Customer.objects.count() > CUSTOMERS  # the converted leads' customers scored too
    # the top tenth by spend this year bought recently and regularly: the model rates most of them active
    top = list(CustomerSummary.objects.exclude(p_alive=None).order_by("-current_amount")[: CUSTOMERS // 10])
    assert top and sum(1 for s in top if s.p_alive > 0.5) > len(top) * 0.6
    assert min((run.as_of - s.last_purchase).days for s in top) <= 7
    assert "Scoring run" in demo or "评分" in demo
