"""The demo plan: from a seed, every customer, profile, contact, consent, lifecycle change and transaction of the
demo, drawn with ``random.Random(seed)`` in pure Python (no database; :mod:`kehu.demo.load` writes it).

The same seed and sizes give the same plan, so the demo is reproducible. Dates are drawn in a fixed anchor window
(:data:`WINDOW_START` – :data:`WINDOW_END`), then every event (acquisitions, consents, lifecycle changes, status
records, purchases) is moved by whole days so that the window ends on the day the demo is generated (``today``;
nothing lies in the future). Birth and founding dates are not moved: resident ID numbers and credit codes encode
them. The same seed, sizes and day give the same plan.

Generated values are valid by construction (:mod:`kehu.demo.drawing`: resident ID check digits, credit-code check
characters, mobile and landline numbers in E.164 as the normalisers store them); the tests validate the result with
the real validators.
"""


from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kehu.core import industries
from kehu.customers.models import (
    ConsentChannel,
    CustomerKind,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    OrganisationProfile,
    PersonProfile,
    RelationshipStage,
    relationship_stage_for_share,
)

from . import data
from .drawing import SHANGHAI, Drawer, day_between, name_pinyin, opening_time

# The anchor window the plan is drawn in: two years, 2024-11-01 up to and including 2026-10-31 (China time); the
# plan's events are then moved so that the window ends today (see demo_window and build_plan).
WINDOW_START = dt.date(2024, 11, 1)
WINDOW_END = dt.date(2026, 10, 31)
DEFAULT_SEED = 20241101
DEFAULT_CUSTOMERS = 5000
DEFAULT_TRANSACTIONS = 50000
ORGANISATION_SHARE = 0.15
CENT = Decimal("0.01")


@dataclass(slots=True)
class PlannedContact:
    name: str
    role: str
    title: str
    mobile: str
    phone: str
    email: str
    is_primary: bool


@dataclass(slots=True)
class PlannedConsent:
    channel: str
    granted: bool
    source: str
    purpose: str
    notice_version: str
    recorded_at: dt.datetime


@dataclass(slots=True)
class PlannedChange:
    field: str
    old_value: str
    new_value: str
    reason: str
    changed_at: dt.datetime


@dataclass(slots=True)
class PlannedTransaction:
    customer: int  # index into DemoPlan.customers
    occurred_at: dt.datetime
    amount: Decimal
    margin: Decimal
    quantity: Decimal
    sku: str
    store: str
    channel: str
    external_ref: str


@dataclass(slots=True)
class PlannedCustomer:
    index: int
    kind: str
    name: str
    store: str  # branch code
    owner: str  # username
    acquired_at: dt.datetime
    lost_at: dt.date | None
    intensity: float
    mobile: str = ""
    phone: str = ""
    email: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    district_code: str = ""
    industry: str = ""  # GB/T 4754 code
    address: str = ""
    lifecycle_status: str = LifecycleStatus.PROSPECT
    lifecycle_stage: str = LifecycleStage.IDENTIFICATION
    management_class: str = ManagementClass.REGULAR
    marketing_type: str = ""
    brand_attitude: str = ""
    share_of_wallet: Decimal | None = None
    relationship_stage: str = RelationshipStage.DEVELOPMENT
    tags: list[str] = field(default_factory=list)
    person: dict[str, Any] | None = None
    organisation: dict[str, Any] | None = None
    contacts: list[PlannedContact] = field(default_factory=list)
    consents: list[PlannedConsent] = field(default_factory=list)
    changes: list[PlannedChange] = field(default_factory=list)
    status_record: dict[str, Any] | None = None
    employer_index: int | None = None  # a person working for an organisation customer


@dataclass
class DemoPlan:
    seed: int
    customers: list[PlannedCustomer]
    transactions: list[PlannedTransaction]



def demo_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The two years the demo's purchases cover when generated on ``today`` (default: today, China time)."""
    end = today or dt.datetime.now(SHANGHAI).date()
    return end - (WINDOW_END - WINDOW_START), end


def build_plan(*, seed: int = DEFAULT_SEED, customers: int = DEFAULT_CUSTOMERS,
               transactions: int = DEFAULT_TRANSACTIONS, today: dt.date | None = None,
               now: dt.datetime | None = None) -> DemoPlan:
    """Draw the whole demo data set from ``seed`` without touching the database, its events ending on ``today``
    (default: today, China time) and none later than ``now``."""
    plan = _build_anchored_plan(seed=seed, customers=customers, transactions=transactions)
    moment = now or dt.datetime.now(SHANGHAI)
    end = today or moment.astimezone(SHANGHAI).date()
    _move_events(plan, days=(end - WINDOW_END).days, latest=moment)
    return plan


def _move_events(plan: DemoPlan, *, days: int, latest: dt.datetime) -> None:
    """Move every event of the plan by ``days`` whole days; an event that would lie after ``latest`` (purchases
    planned for later today) is put a minute before it, so the order of events is kept."""
    shift = dt.timedelta(days=days)
    cap = latest - dt.timedelta(minutes=1)

    def moved(moment: dt.datetime) -> dt.datetime:
        return min(moment + shift, cap)

    for customer in plan.customers:
        customer.acquired_at = moved(customer.acquired_at)
        if customer.lost_at is not None:
            customer.lost_at = customer.lost_at + shift
        for consent in customer.consents:
            consent.recorded_at = moved(consent.recorded_at)
        for change in customer.changes:
            change.changed_at = moved(change.changed_at)
        if customer.status_record is not None:
            customer.status_record["recorded_at"] = moved(customer.status_record["recorded_at"])
    for planned_transaction in plan.transactions:
        planned_transaction.occurred_at = moved(planned_transaction.occurred_at)


def _build_anchored_plan(*, seed: int, customers: int, transactions: int) -> DemoPlan:
    """The plan drawn in the anchor window (:data:`WINDOW_START` – :data:`WINDOW_END`)."""
    rng = random.Random(seed)
    drawer = Drawer(rng)
    stores = [store for region in data.REGIONS for store in region.stores]
    owners = {store.code: [f"am_{store.code.lower()}", f"am_{store.code.lower()}_2"] for store in stores}
    organisation_count = round(customers * ORGANISATION_SHARE)
    kinds = [CustomerKind.ORGANISATION] * organisation_count + [CustomerKind.PERSON] * (customers - organisation_count)
    rng.shuffle(kinds)

    planned: list[PlannedCustomer] = []
    for index, kind in enumerate(kinds):
        store = rng.choices(stores, weights=[s.weight for s in stores])[0]
        customer = _plan_customer(rng, drawer, index=index, kind=str(kind), store=store,
                                  owner=rng.choices(owners[store.code], weights=(3, 2))[0])
        planned.append(customer)
    _plan_employment(rng, planned)
    planned_transactions = _plan_transactions(rng, planned, count=transactions, seed=seed)
    _plan_classification(rng, planned, planned_transactions)
    return DemoPlan(seed=seed, customers=planned, transactions=planned_transactions)


def _plan_customer(rng: random.Random, drawer: Drawer, *, index: int, kind: str, store: data.Store,
                   owner: str) -> PlannedCustomer:
    is_person = kind == CustomerKind.PERSON
    status = rng.choices(
        [LifecycleStatus.PROSPECT, LifecycleStatus.CURRENT, LifecycleStatus.LOST], weights=(12, 73, 15)
    )[0]
    # Acquisition: most buying customers were with us before the window ("existing"), the rest joined during it.
    if status == LifecycleStatus.PROSPECT:
        acquired = day_between(rng, WINDOW_START, WINDOW_END)
    elif rng.random() < 0.6:
        acquired = day_between(rng, dt.date(2016, 1, 1), WINDOW_START - dt.timedelta(days=1))
    elif status == LifecycleStatus.LOST:
        acquired = day_between(rng, WINDOW_START, WINDOW_START + dt.timedelta(days=420))
    else:
        acquired = day_between(rng, WINDOW_START, WINDOW_END)
    lost_at = None
    if status == LifecycleStatus.LOST:
        earliest = max(acquired, WINDOW_START) + dt.timedelta(days=60)
        lost_at = day_between(rng, earliest, WINDOW_END - dt.timedelta(days=150))
    intensity = rng.lognormvariate(0, 1.0) * (2.5 if not is_person else 1.0)
    customer = PlannedCustomer(index=index, kind=kind, name="", store=store.code, owner=owner,
                               acquired_at=opening_time(acquired, rng), lost_at=lost_at, intensity=intensity,
                               lifecycle_status=status)
    district = drawer.home_district(store)
    customer.province, customer.city, customer.district = district.province, district.city, district.district
    customer.district_code = district.code
    customer.address = drawer.address(district, office=not is_person)
    if is_person:
        _plan_person(rng, drawer, customer, district)
    else:
        _plan_organisation(rng, drawer, customer, district)
    customer.marketing_type = rng.choices(["economic", "ethical", "personalised", "convenience", ""],
                                          weights=(30, 10, 25, 25, 10))[0]
    _plan_consents(rng, customer)
    return customer


def _plan_person(rng: random.Random, drawer: Drawer, customer: PlannedCustomer, district: data.District) -> None:
    male = rng.random() < 0.48
    customer.name = drawer.person_name(male=male)
    customer.mobile = drawer.mobile()
    if rng.random() < 0.12:
        customer.phone = drawer.landline(district)
    if rng.random() < 0.35:
        customer.email = drawer.email(name_pinyin(customer.name))
    birth_date = day_between(rng, dt.date(1951, 1, 1), dt.date(2005, 12, 31))
    age = (WINDOW_END - birth_date).days // 365
    id_type, id_number = PersonProfile.IdType.RESIDENT_ID, ""
    roll = rng.random()
    if roll < 0.95:
        region = district if rng.random() < 0.65 else rng.choice(data.DISTRICTS)
        id_number = drawer.resident_id(region_code=region.code, birth_date=birth_date, male=male)
    elif roll < 0.97:
        id_type, id_number = PersonProfile.IdType.PASSPORT, f"E{rng.randrange(10**8):08d}"
    elif roll < 0.98:
        id_type, id_number = PersonProfile.IdType.HK_MACAO_PERMIT, f"H{rng.randrange(10**8):08d}"
    position = "退休" if age >= 62 else rng.choice(data.POSITIONS[:-1])
    if age < 25:
        income = rng.choice(["lt5k", "5k_10k"])
    else:
        income = rng.choices(["lt5k", "5k_10k", "10k_20k", "20k_50k", "gt50k"], weights=(15, 35, 30, 15, 5))[0]
    education = rng.choices(["secondary", "college", "bachelor", "master", "doctorate"],
                            weights=(20 if age > 50 else 8, 25, 45, 15, 3))[0]
    customer.person = {
        "gender": PersonProfile.Gender.MALE if male else PersonProfile.Gender.FEMALE,
        "birth_date": birth_date,
        "id_type": id_type,
        "id_number": id_number,
        "employer": "",
        "position": position,
        "income_band": income if rng.random() < 0.8 else "",
        "household": rng.choice(data.HOUSEHOLDS) if rng.random() < 0.7 else "",
        "education": education if rng.random() < 0.7 else "",
        "preferences": rng.choice(data.PREFERENCES),
    }
    if position not in {"退休", "个体经营", "自由职业"} and rng.random() < 0.6:
        employer_district = rng.choice(drawer.cities[district.city])
        industry = rng.choice(data.INDUSTRIES)
        city = employer_district.city.removesuffix("市")
        customer.person["employer"] = f"{city}{rng.choice(data.TRADE_NAMES)}{industry.wording}有限公司"


def _plan_organisation(rng: random.Random, drawer: Drawer, customer: PlannedCustomer,
                       district: data.District) -> None:
    industry = rng.choice(data.INDUSTRIES)
    customer.name = drawer.organisation_name(district, industry)
    customer.industry = industries.match(industry.industry)
    founded = day_between(rng, dt.date(1995, 1, 1), dt.date(2023, 12, 31))
    trade_pinyin = name_pinyin(customer.name[len(district.city.removesuffix("市")):][:2], is_person=False)
    domain = f"{trade_pinyin}{rng.randint(1, 99)}.example.com"
    company_phone = drawer.landline(district)
    customer.phone = company_phone
    if rng.random() < 0.4:
        customer.email = f"info@{domain}"
    contact_count = rng.choices([1, 2, 3], weights=(40, 35, 25))[0]
    first_role = "legal_rep" if rng.random() < 0.6 else "general_manager"
    other_roles = [role for role, _title in data.CONTACT_ROLES if role != first_role]
    roles = [first_role, *rng.sample(other_roles, contact_count - 1)]
    titles = dict(data.CONTACT_ROLES)
    for position, role in enumerate(roles):
        name = drawer.person_name(male=rng.random() < 0.55)
        customer.contacts.append(PlannedContact(
            name=name, role=role, title=titles[role], mobile=drawer.mobile(),
            phone=company_phone if rng.random() < 0.5 else "",
            email=f"{name_pinyin(name)}@{domain}" if rng.random() < 0.6 else "", is_primary=position == 0,
        ))
    if rng.random() < 0.3:
        customer.mobile = customer.contacts[0].mobile
    legal = next((c.name for c in customer.contacts if c.role == "legal_rep"), None)
    staff_count = max(3, min(20000, int(rng.lognormvariate(3.5, 1.3))))
    revenue = Decimal(staff_count * rng.randint(200, 1500) * 1000).quantize(CENT)
    status = OrganisationProfile.BusinessStatus.OPERATING
    if customer.lifecycle_status == LifecycleStatus.LOST and rng.random() < 0.3:
        status = rng.choice([OrganisationProfile.BusinessStatus.SUSPENDED,
                             OrganisationProfile.BusinessStatus.DEREGISTERED])
    customer.organisation = {
        "credit_code": drawer.credit_code(district_code=district.code, founded=founded),
        "ownership_type": rng.choices(data.OWNERSHIP_TYPES, weights=industry.ownership_weights)[0],
        "industry": industry.industry,
        "main_business": industry.main_business,
        "staff_count": staff_count,
        "annual_revenue": revenue,
        "legal_representative": legal or drawer.person_name(male=rng.random() < 0.6),
        "founded_on": founded,
        "other_banks_suppliers": rng.choice(data.OTHER_BANKS_SUPPLIERS),
        "business_status": status,
    }


def _plan_consents(rng: random.Random, customer: PlannedCustomer) -> None:
    """Consent events per channel: most customers agree to some channels; a few withdraw later."""
    start = max(customer.acquired_at.date(), dt.date(2021, 11, 1))  # PIPL in force from 2021-11-01
    chances = {ConsentChannel.SMS: 0.85, ConsentChannel.PHONE: 0.6, ConsentChannel.POST: 0.25,
               ConsentChannel.EMAIL: 0.8 if customer.email else 0.0}
    for channel, chance in chances.items():
        if rng.random() >= chance:
            continue
        day = day_between(rng, start, min(start + dt.timedelta(days=60), WINDOW_END))
        source = rng.choices(["store", "form", "web", "phone", "import"], weights=(35, 25, 20, 10, 10))[0]
        version = "PIPL-2025-v3" if day >= dt.date(2025, 6, 1) else "PIPL-2023-v2"
        customer.consents.append(PlannedConsent(
            channel=str(channel), granted=rng.random() < 0.88, source=source, purpose=rng.choice(data.CONSENT_PURPOSES),
            notice_version=version, recorded_at=opening_time(day, rng),
        ))
        if customer.consents[-1].granted and rng.random() < 0.08 and day < WINDOW_END:
            later = day_between(rng, day + dt.timedelta(days=1), WINDOW_END)
            customer.consents.append(PlannedConsent(
                channel=str(channel), granted=False, source=rng.choice(["phone", "web", "store"]),
                purpose=customer.consents[-1].purpose, notice_version=version, recorded_at=opening_time(later, rng),
            ))


def _plan_employment(rng: random.Random, customers: list[PlannedCustomer]) -> None:
    """About one employed person in ten works for one of the organisation customers (a "works for" link)."""
    organisations = [c for c in customers if c.kind == CustomerKind.ORGANISATION]
    if not organisations:
        return
    for customer in customers:
        if customer.person and customer.person["employer"] and rng.random() < 0.15:
            employer = rng.choice(organisations)
            customer.person["employer"] = employer.name
            customer.employer_index = employer.index


def _active_days(customer: PlannedCustomer) -> tuple[dt.date, dt.date]:
    start = max(customer.acquired_at.date(), WINDOW_START)
    end = customer.lost_at or WINDOW_END
    return start, max(start, end)


def _plan_transactions(rng: random.Random, customers: list[PlannedCustomer], *, count: int,
                       seed: int) -> list[PlannedTransaction]:
    """Purchases with skewed value: a customer's share of purchases and their spend per purchase both grow with a
    lognormal "intensity", so a few customers make most of the value (Pareto-like)."""
    buyers = [c for c in customers if c.lifecycle_status != LifecycleStatus.PROSPECT]
    if not buyers or count <= 0:
        return []
    window_days = (WINDOW_END - WINDOW_START).days + 1
    weights = []
    for customer in buyers:
        start, end = _active_days(customer)
        weights.append(customer.intensity * ((end - start).days + 1) / window_days)
    # everyone who bought has at least one purchase; the rest follow the weights
    chosen = list(buyers[:count]) if count < len(buyers) else list(buyers)
    chosen += rng.choices(buyers, weights=weights, k=max(0, count - len(chosen)))

    everyday = [p for p in data.PRODUCTS if p.list_price < 1500]
    premium = [p for p in data.PRODUCTS if p.list_price >= 1500]
    everyday_weights = list(itertools.accumulate(p.popularity for p in everyday))
    premium_weights = list(itertools.accumulate(p.popularity for p in premium))
    stores = [store.code for region in data.REGIONS for store in region.stores]
    store_region = {store.code: region.code for region in data.REGIONS for store in region.stores}
    discounts = [Decimal(d) for d in ("1.00", "1.00", "1.00", "0.95", "0.90", "0.88", "0.85")]
    planned = []
    for customer in chosen:
        start, end = _active_days(customer)
        day = day_between(rng, start, end)
        is_person = customer.kind == CustomerKind.PERSON
        premium_chance = min(0.75, 0.05 + 0.08 * math.log1p(customer.intensity * 3))
        if rng.random() < premium_chance:
            product = premium[bisect.bisect(premium_weights, rng.random() * premium_weights[-1])]
        else:
            product = everyday[bisect.bisect(everyday_weights, rng.random() * everyday_weights[-1])]
        if not is_person and product.bulk:
            quantity = max(2, min(200, int(rng.lognormvariate(1.9, 0.8))))
        elif is_person and product.list_price < 500:
            quantity = rng.choices([1, 2, 3], weights=(80, 14, 6))[0]
        else:
            quantity = 1
        amount = (product.list_price * rng.choice(discounts) * quantity).quantize(CENT, ROUND_HALF_UP)
        rate = Decimal(str(round(rng.uniform(product.margin_low, product.margin_high), 3)))
        margin = (amount * rate).quantize(CENT, ROUND_HALF_UP)
        if rng.random() < 0.85:
            store = customer.store
        else:
            same_region = [s for s in stores if store_region[s] == store_region[customer.store]]
            store = rng.choice(same_region if rng.random() < 0.6 else stores)
        if is_person:
            channel = rng.choices(["store", "app", "online", "phone", "manager"], weights=(55, 20, 15, 5, 5))[0]
        else:
            channel = rng.choices(["manager", "store", "online", "phone"], weights=(60, 20, 10, 10))[0]
        planned.append(PlannedTransaction(
            customer=customer.index, occurred_at=opening_time(day, rng), amount=amount, margin=margin,
            quantity=Decimal(quantity), sku=product.sku, store=store, channel=channel, external_ref="",
        ))
    planned.sort(key=lambda t: (t.occurred_at, t.customer))
    for number, planned_transaction in enumerate(planned, start=1):
        planned_transaction.external_ref = f"DEMO-{seed}-{number:07d}"
    return planned


def _share(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _plan_classification(rng: random.Random, customers: list[PlannedCustomer],
                         transactions: list[PlannedTransaction]) -> None:
    """Classes, stages, share of wallet, tags and lifecycle history from what each customer actually bought."""
    totals = [Decimal(0)] * len(customers)
    first: list[dt.datetime | None] = [None] * len(customers)
    financial = [0] * len(customers)
    financial_skus = {p.sku for p in data.PRODUCTS if p.category in {"保险", "贵金属", "理财服务"}}
    for planned_transaction in transactions:  # sorted by time: the first seen is the first purchase
        index = planned_transaction.customer
        totals[index] += planned_transaction.amount
        if first[index] is None:
            first[index] = planned_transaction.occurred_at
        if planned_transaction.sku in financial_skus:
            financial[index] += 1
    buyers = sorted((c for c in customers if c.lifecycle_status != LifecycleStatus.PROSPECT),
                    key=lambda c: (-totals[c.index], c.index))
    rank = {c.index: position / max(len(buyers), 1) for position, c in enumerate(buyers)}
    new_since = WINDOW_END - dt.timedelta(days=90)
    for customer in customers:
        status = customer.lifecycle_status
        position = rank.get(customer.index)
        if status == LifecycleStatus.PROSPECT:
            customer.management_class = rng.choices(["potential", "regular", "temporary"], weights=(4, 4, 2))[0]
            customer.lifecycle_stage = rng.choices(["identification", "cultivation"], weights=(6, 4))[0]
            customer.share_of_wallet = None if rng.random() < 0.5 else Decimal("0.00")
        else:
            assert position is not None
            if position < 0.05:
                customer.management_class = ManagementClass.KEY
                customer.tags.append("VIP")
            elif position < 0.20:
                customer.management_class = rng.choices(["potential", "regular"], weights=(4, 6))[0]
            else:
                customer.management_class = rng.choices(["regular", "temporary", "potential"], weights=(80, 12, 8))[0]
            if status == LifecycleStatus.LOST:
                customer.lifecycle_stage = rng.choices(["elimination", "decline"], weights=(7, 3))[0]
                customer.share_of_wallet = _share(rng, 0, 20)
            elif customer.acquired_at.date() >= WINDOW_END - dt.timedelta(days=180):
                customer.lifecycle_stage = rng.choices(["cultivation", "growth"], weights=(6, 4))[0]
                customer.share_of_wallet = _share(rng, 5, 40)
            elif position < 0.20:
                customer.lifecycle_stage = rng.choices(["stable", "growth"], weights=(7, 3))[0]
                customer.share_of_wallet = _share(rng, 55, 100)
            else:
                customer.lifecycle_stage = rng.choices(["growth", "stable", "decline"], weights=(3, 5, 2))[0]
                customer.share_of_wallet = _share(rng, 5, 85)
        if customer.share_of_wallet is not None:
            customer.relationship_stage = relationship_stage_for_share(float(customer.share_of_wallet))
        loyal = 6 if customer.management_class == ManagementClass.KEY else 3
        customer.brand_attitude = rng.choices(["loyal", "switching", "none", ""], weights=(loyal, 3, 2, 2))[0]
        if financial[customer.index] >= 2:
            customer.tags.append("理财偏好")
        if customer.acquired_at.date() >= new_since and status != LifecycleStatus.LOST:
            customer.tags.append("新客")
        if customer.kind == CustomerKind.ORGANISATION:
            customer.tags.append("企业客户")
        if customer.person and customer.person["birth_date"].month == 11:
            customer.tags.append("生日月")
        if customer.marketing_type == "economic" and rng.random() < 0.5:
            customer.tags.append("价格敏感")
        _plan_changes(rng, customer, first[customer.index])
        if customer.management_class == ManagementClass.KEY or rng.random() < 0.03:
            customer.status_record = {
                "main_business": customer.organisation["main_business"] if customer.organisation else "",
                "operating_status": "经营正常" if customer.organisation else "",
                "holdings_with_us": rng.choice(data.HOLDINGS_WITH_US),
                "holdings_with_competitors": rng.choice(data.HOLDINGS_WITH_COMPETITORS),
                "preferred_channel": rng.choice(data.PREFERRED_CHANNELS),
                "contact_frequency": rng.choice(data.CONTACT_FREQUENCIES),
                "development_potential": rng.choice(data.DEVELOPMENT_POTENTIAL),
                "satisfaction": rng.choices([3, 4, 5], weights=(2, 5, 3))[0],
                "recorded_at": opening_time(day_between(rng, WINDOW_END - dt.timedelta(days=365), WINDOW_END), rng),
            }


def _plan_changes(rng: random.Random, customer: PlannedCustomer, first_purchase: dt.datetime | None) -> None:
    acquired = customer.acquired_at
    changes = [PlannedChange("status", "", LifecycleStatus.PROSPECT, data.REASON_CREATED, acquired)]
    if customer.lifecycle_status != LifecycleStatus.PROSPECT:
        if first_purchase is None or acquired.date() < WINDOW_START:
            # the first purchase was before the window the transactions cover
            limit = min(acquired.date() + dt.timedelta(days=90), WINDOW_START - dt.timedelta(days=1))
            first_purchase = opening_time(day_between(rng, acquired.date(), max(limit, acquired.date())), rng)
        first_purchase = max(first_purchase, acquired)
        changes.append(PlannedChange("status", LifecycleStatus.PROSPECT, LifecycleStatus.CURRENT,
                                     data.REASON_FIRST_PURCHASE, first_purchase))
        last = first_purchase
        if customer.lifecycle_status == LifecycleStatus.LOST and customer.lost_at is not None:
            noticed = min(customer.lost_at + dt.timedelta(days=rng.randint(90, 150)), WINDOW_END)
            last = max(opening_time(noticed, rng), first_purchase)
            changes.append(PlannedChange("status", LifecycleStatus.CURRENT, LifecycleStatus.LOST,
                                         rng.choice(data.LOST_REASONS), last))
    else:
        last = acquired
    if customer.lifecycle_stage != LifecycleStage.IDENTIFICATION:
        day = day_between(rng, last.date(), WINDOW_END)
        changes.append(PlannedChange("stage", LifecycleStage.IDENTIFICATION, customer.lifecycle_stage,
                                     rng.choice(data.STAGE_REASONS), max(opening_time(day, rng), last)))
    customer.changes = changes
